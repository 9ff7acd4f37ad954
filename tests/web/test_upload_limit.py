"""The upload limit is stated where files are taken, and an oversize form goes back to its page
with a Chinese message (the API keeps its problem+json 413)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import SYSTEM, csrf_from, login
from wulian.core.permissions import Role
from wulian.enterprises.models import Fact
from wulian.reference import service as reference_service


def test_every_upload_page_states_the_limit(client, world, settings):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.user("officer1", Role.OFFICER, department_id=world.department())
    login(client, "officer1")
    page = client.get("/imports")
    assert "文件（不超过 256 KB）" in page.text  # settings.max_upload_bytes of the tests


def test_an_oversize_upload_returns_to_its_form_with_a_chinese_message(client, world, settings):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.user("officer1", Role.OFFICER, department_id=world.department())
    login(client, "officer1")
    token = csrf_from(client.get("/imports").text)
    big = b"x" * (settings.max_upload_bytes + 1)
    response = client.post(
        "/imports",
        data={"csrf_token": token, "kind": "facts", "period": "2024", "source": "tax"},
        files={"file": ("big.csv", big)},
        headers={"Referer": "http://testserver/imports?kind=facts"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/imports?kind=facts&too_large=upload"
    back = client.get(response.headers["location"])
    assert back.status_code == 200
    assert "上传的文件超过 256 KB 的上限，未保存任何内容" in back.text
    assert 'id="upload-form"' in back.text
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0


def test_a_referer_of_another_site_is_not_followed_and_the_api_keeps_problem_json(
    client, world, settings
):
    world.user("officer1", Role.OFFICER, department_id=world.department())
    login(client, "officer1")
    big = b"x" * (settings.max_upload_bytes + 1)
    elsewhere = client.post(
        "/imports", files={"file": ("big.csv", big)}, headers={"Referer": "http://evil.example/"}
    )
    assert elsewhere.status_code == 413
    assert "上传的文件超过 256 KB 的上限" in elsewhere.text
    api = client.post(
        "/api/v1/imports",
        files={"file": ("big.csv", big)},
        headers={"Referer": "http://testserver/"},
    )
    assert api.status_code == 413
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "request_too_large"
