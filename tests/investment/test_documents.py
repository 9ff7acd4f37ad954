"""A project's documents: its team's officers and the administrator upload them, every staff
reader lists and downloads them, an officer of another team cannot upload, a firm's user sees
nothing; bad files are refused in Chinese and nothing is kept; uploads are audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.investment.conftest import lead
from wulian.core.audit.models import AuditEntry
from wulian.investment import documents
from wulian.investment.models import ProjectDocument

PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.fixture
def app(app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
    return app


@pytest.fixture
def project(world, zone):
    return lead(world, zone.actor(world, "officer_a"), team_id=zone.team_a)


def signed_in(make_client, username):
    client = make_client()
    login(client, username)
    return client


def upload(client, project, *, kind="agreement", name="投资协议.pdf", content=PDF):
    token = page_csrf(client, f"/investment/{project}")
    return client.post(
        f"/investment/{project}/documents",
        data={"csrf_token": token, "kind": kind},
        files={"file": (name, content, "application/pdf")},
    )


def kept(world):
    return world.scalar(sa.select(sa.func.count()).select_from(ProjectDocument))


def test_the_team_uploads_and_every_staff_reader_downloads(world, zone, project, make_client):
    officer = signed_in(make_client, "officer_a")
    sent = upload(officer, project)
    assert sent.status_code == 303
    page = officer.get(sent.headers["location"])
    assert "文件已上传" in page.text
    assert "投资协议.pdf" in page.text
    row = world.scalar(sa.select(ProjectDocument))
    assert (row.kind, row.size, row.created_by) == ("agreement", len(PDF), "officer_a")
    link = f"/investment/{project}/documents/{row.id}"
    for username in ("officer_b", "analyst", "admin"):
        got = signed_in(make_client, username).get(link)
        assert got.status_code == 200
        assert got.content == PDF
        assert "attachment" in got.headers["content-disposition"]
    audited = world.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry)
        .where(AuditEntry.object_type == "investment_project_documents")
    )  # fmt: skip
    assert audited == 1
    assert signed_in(make_client, "admin").get(f"/investment/{project + 1}/documents/{row.id}")\
        .status_code == 404  # fmt: skip
    assert upload(signed_in(make_client, "admin"), project, kind="contract").status_code == 303
    assert kept(world) == 2


def test_another_team_and_a_firm_user_cannot(world, zone, project, make_client):
    other = signed_in(make_client, "officer_b")
    assert 'id="document-form"' not in other.get(f"/investment/{project}").text
    refused = upload(other, project)
    assert refused.status_code == 403
    assert "只有该小组的工作人员或系统管理员可以修改" in refused.text
    assert kept(world) == 0
    upload(signed_in(make_client, "officer_a"), project)
    row = world.scalar(sa.select(ProjectDocument))
    firm = signed_in(make_client, "firm_user")
    assert firm.get(f"/investment/{project}/documents/{row.id}").status_code == 403
    token = page_csrf(firm, "/desk")
    posted = firm.post(
        f"/investment/{project}/documents",
        data={"csrf_token": token, "kind": "agreement"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert posted.status_code == 403
    assert kept(world) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "病毒.exe", "content": b"MZ\x90\x00" * 10}, "的类型不允许"),
        ({"name": "改名.pdf", "content": b"not a pdf at all"}, "的类型不允许"),
        ({"content": b""}, "是空文件"),
        ({"kind": "secret"}, "没有“secret”这种项目文件类别"),
    ],
)
def test_bad_files_are_refused_and_nothing_kept(world, zone, project, make_client, fields, message):
    officer = signed_in(make_client, "officer_a")
    refused = upload(officer, project, **fields)
    assert refused.status_code == 422
    assert message in refused.text
    assert kept(world) == 0


def test_too_large_a_file_is_refused(world, zone, project, make_client, monkeypatch):
    monkeypatch.setattr(documents, "LIMIT_BYTES", 100 * 1024)
    refused = upload(signed_in(make_client, "officer_a"), project, content=PDF + b"0" * 150_000)
    assert refused.status_code == 422
    assert "超过 100 KB 的上限" in refused.text
    assert kept(world) == 0
