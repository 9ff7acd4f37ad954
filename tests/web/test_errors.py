"""An unhandled error answers a Chinese 500 that tells the client the connection is closed."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_unhandled_error_closes_the_connection_in_chinese(app):
    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/_broken", broken, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/_broken")
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert response.json()["code"] == "internal_error"
    assert "系统内部错误" in response.json()["title"]
    assert "boom" not in response.text
