"""Every spec kind has a JSON API at its pages' address (here 亩均效益 specs): the versions, one
version with its text and diff, and saving a new version, with the same checks and permissions
as the editor. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import login, page_csrf

BASE = "/api/v1/landuse/specs"


def test_list_read_and_save_a_new_version(world, zone, client):
    login(client, "analyst1")
    listed = client.get(BASE).json()
    assert [(v["id"], v["version"], v["shipped"]) for v in listed] == [(zone["spec"], 1, True)]
    one = client.get(f"{BASE}/{zone['spec']}").json()
    assert one["diff"] == ""
    assert "benchmark: 24.097," in one["text"]
    text = one["text"].replace("benchmark: 24.097,", "benchmark: 25.5,")
    headers = {"X-CSRF-Token": page_csrf(client, "/")}
    saved = client.post(
        f"{BASE}/{zone['spec']}", json={"text": text, "note": "2025 年基准值"}, headers=headers
    )
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert (body["version"], body["based_on_id"], body["note"]) == (
        2,
        zone["spec"],
        "2025 年基准值",
    )
    assert "-" in body["diff"]
    assert "+" in body["diff"]
    assert any(line.startswith("+") and "25.5" in line for line in body["diff"].splitlines())
    assert len(client.get(BASE).json()) == 2


def test_a_text_that_does_not_check_is_refused_with_its_line_and_nothing_saved(world, zone, client):
    login(client, "analyst1")
    text = client.get(f"{BASE}/{zone['spec']}").json()["text"]
    headers = {"X-CSRF-Token": page_csrf(client, "/")}
    bad = client.post(
        f"{BASE}/{zone['spec']}",
        json={"text": text.replace("benchmark: 24.097,", "benchmark: 零,")},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "行" in bad.json()["detail"]
    assert len(client.get(BASE).json()) == 1


def test_saving_belongs_to_the_specs_department(world, zone, client, make_client):
    officer = make_client()
    login(officer, "officer1")
    text = officer.get(f"{BASE}/{zone['spec']}").json()["text"]
    refused = officer.post(
        f"{BASE}/{zone['spec']}",
        json={"text": text, "note": "x"},
        headers={"X-CSRF-Token": page_csrf(officer, "/")},
    )
    assert refused.status_code == 403
    assert client.get(BASE).status_code == 401  # not signed in
    firm = make_client()
    login(firm, "firm0")
    assert firm.get(BASE).status_code == 403
