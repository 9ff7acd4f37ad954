"""The talent pages as a browser uses them: a firm imports its staff, sees them masked; another
firm is refused and the attempt audited; the talent office confirms; the map downloads."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import SecretStr

from tests.conftest import SYSTEM, csrf_from, login, page_csrf
from tests.talent.conftest import identity
from tests.talent.test_imports import STAFF_HEADERS, book, staff_row
from wulian.core.audit.models import AuditEntry
from wulian.talent.models import Person


def _upload(client, kind, data, firm=None):
    token = page_csrf(client, f"/talent/import/{kind}")
    fields = {"csrf_token": token} | ({"firm": str(firm)} if firm else {})
    return client.post(
        f"/talent/import/{kind}", data=fields,
        files={"file": ("名单.xlsx", data, "application/octet-stream")},
    )  # fmt: skip


def test_a_firm_imports_staff_and_another_firm_is_refused(make_client, world, zone):
    firm_a = make_client()
    login(firm_a, "firm_a_user")
    checked = _upload(firm_a, "staff", book(STAFF_HEADERS, [staff_row(1, chain="", node="")]))
    assert checked.status_code == 200
    assert "检查通过：1 行" in checked.text
    assert identity(1) not in checked.text
    action = checked.text.split('action="/talent/import/staff/')[1].split('"')[0]
    done = firm_a.post(
        f"/talent/import/staff/{action}", data={"csrf_token": csrf_from(checked.text)}
    )
    assert "已导入 1 行" in done.text
    hub = firm_a.get("/talent")
    assert "3308**********0011" in hub.text
    assert identity(1) not in hub.text
    pid = world.scalar(sa.select(Person.id))

    firm_b = make_client()
    login(firm_b, "firm_b_user")
    refused = firm_b.get(f"/talent/people?person={pid}")
    assert refused.status_code == 404  # as for a person that does not exist
    assert "没有这条人员记录" in refused.text
    attempt = world.scalar(sa.select(AuditEntry.after).where(AuditEntry.action == "talent.refused"))
    assert (attempt["attempt"], attempt["code"]) == ("查看人员信息", "not_found")

    office = make_client()
    login(office, "talent_officer")
    page = office.get(f"/talent/people?person={pid}")
    assert page.status_code == 200
    assert "3308**********0011" in page.text
    assert (
        world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "talent.person_read"))
        == 1
    )


def test_pages_by_role(make_client, world, zone):
    other = make_client()
    login(other, "other_officer")
    assert other.get("/talent/people").status_code == 403
    assert other.get("/talent/map").status_code == 200
    catalogue = other.get("/talent/map/catalogue.xlsx")
    assert catalogue.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    firm = make_client()
    login(firm, "firm_a_user")
    assert firm.get("/talent/map").status_code == 403
    assert "人才工作台" in firm.get("/").text  # the menu entry for talent.read


def test_without_a_key_the_page_says_why(make_client, world, zone, app):
    app.state.settings = app.state.settings.model_copy(update={"talent_key": SecretStr("")})
    firm = make_client()
    login(firm, "firm_a_user")
    page = firm.get("/talent")  # the page stays, saying why the staff cannot be shown
    assert "WULIAN_TALENT_KEY" in page.text
    assert "本企业人员（0 人）" in page.text
    checked = _upload(firm, "staff", book(STAFF_HEADERS, [staff_row(1)]))
    assert checked.status_code == 503
    assert "WULIAN_TALENT_KEY" in checked.text
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_an_officer_outside_the_office_is_refused_on_the_page(make_client, world, zone):
    from tests.talent.test_recognition import EVIDENCE, _authorise, _facts, _staff
    from wulian.reference import service as reference_service
    from wulian.talent.models import Recognition

    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    _facts(world, zone.firm_a, rd=400, staff=30, tech=6, revenue_1=9000)
    _authorise(world, zone)
    pid = _staff(world, zone, 1)
    firm = make_client()
    login(firm, "firm_a_user")
    token = page_csrf(firm, "/talent")
    sent = firm.post(
        "/talent/recognitions",
        data={"csrf_token": token, "person_id": pid, "grade": "E", "evidence": EVIDENCE},
    )
    assert sent.status_code == 303
    rid = world.scalar(sa.select(Recognition.id))
    other = make_client()
    login(other, "other_officer")
    token = page_csrf(other, "/talent")
    refused = other.post(
        f"/talent/recognitions/{rid}/decide", data={"csrf_token": token, "decision": "approve"}
    )
    assert refused.status_code == 403
    assert "只有人才办工作人员可以认账" in refused.text
    assert world.scalar(sa.select(Recognition.state)) == "submitted"
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "talent.recognition_refused")
        )
        == 1
    )
