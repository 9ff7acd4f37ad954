"""Request desk over HTTP: a firm submits on the portal with an attachment and follows its
request; the service centre accepts and assigns; the land bureau handles, asks for information,
replies and closes; the firm rates; an officer of another department is refused (and the attempt
audited); the leaders read the statistics and export them; the administrator's configuration
editor refuses a broken file; the Open311 API with tokens."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re

import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from tests.conftest import login, page_csrf
from wulian.core.audit.models import AuditEntry
from wulian.core.permissions import Role
from wulian.desk.models import DeskEvent, DeskRequest

PDF = b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form_post(client, path, data, page, files=None):
    token = page_csrf(client, page)
    return client.post(path, data={**data, "csrf_token": token}, files=files)


def request_id(location):
    return int(re.search(r"/desk/requests/(\d+)", location).group(1))


def act(client, rid, action, **fields):
    page = f"/desk/requests/{rid}"
    revision = re.search(r'name="revision" value="(\d+)"', client.get(page).text)
    data = {"action": action, **fields}
    if revision:
        data["revision"] = revision.group(1)
    return form_post(client, f"/desk/requests/{rid}/act", data, page)


def test_a_request_from_portal_to_rating(make_client, world, desk, settings):
    firm = make_client()
    login(firm, "firm1")
    home = firm.get("/desk")
    assert home.status_code == 200
    assert "我的诉求" in home.text
    form = firm.get("/desk/new")
    assert "企呼测试一有限公司" in form.text
    created = form_post(
        firm,
        "/desk/new",
        {
            "title": "二期项目用地预审迟迟未出",
            "description": "30 亩用地指标报批三个月，请协调规划分局。",
            "category": "land",
            "attribute[area_mu]": "30",
            "contact_name": "王经理",
        },
        "/desk/new",
        files={"attachments": ("备案.pdf", PDF, "application/pdf")},
    )
    assert created.status_code == 303, created.text[:2000]
    rid = request_id(created.headers["location"])
    page = firm.get(created.headers["location"])
    tracking = re.search(r'id="tracking-no">(QH\d+)<', page.text).group(1)
    assert f"受理编号 <strong>{tracking}</strong>" in page.text
    assert "待受理" in page.text
    assert "备案.pdf" in page.text
    attachment = re.search(r'href="/desk/attachments/(\d+)"', page.text).group(1)
    assert firm.get(f"/desk/attachments/{attachment}").content == PDF

    centre = make_client()
    login(centre, "centre1")
    queue = centre.get("/desk")
    assert tracking in queue.text
    searched = centre.get(f"/desk?state=&category=&due=&department=&q={tracking}")
    assert searched.status_code == 200
    assert tracking in searched.text
    assert act(centre, rid, "accept", category="land").status_code == 303
    assert act(centre, rid, "assign", department="planning").status_code == 303

    other = make_client()
    login(other, "power1")
    refused = act(other, rid, "handle")
    assert refused.status_code == 403
    attempts = world.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "desk.refused")
    )
    assert attempts == 1

    land = make_client()
    login(land, "land1")
    assert act(land, rid, "handle").status_code == 303
    assert act(land, rid, "suspend", reason="请补充项目备案证明").status_code == 303
    page = firm.get(f"/desk/requests/{rid}")
    assert "待企业补充" in page.text
    assert "暂停计时" in page.text
    assert act(firm, rid, "supply", note="已补充备案证明").status_code == 303
    wrong = act(land, rid, "close")
    assert wrong.status_code == 409
    assert "不能执行“办结”" in wrong.text
    assert act(land, rid, "reply", note="预审意见已出具，请到窗口领取").status_code == 303
    assert act(land, rid, "close").status_code == 303
    page = firm.get(f"/desk/requests/{rid}")
    assert "已办结" in page.text
    assert "预审意见已出具" in page.text
    assert act(firm, rid, "rate", rating="5", note="很快").status_code == 303
    assert "5 分" in firm.get(f"/desk/requests/{rid}").text

    stranger = make_client()
    login(stranger, "firm2")
    assert stranger.get(f"/desk/requests/{rid}").status_code == 403
    assert tracking not in stranger.get("/desk").text


def test_bad_input_on_the_portal_changes_nothing(make_client, world, desk):
    firm = make_client()
    login(firm, "firm1")
    empty = form_post(firm, "/desk/new", {"title": " ", "description": "内容"}, "/desk/new")
    assert empty.status_code == 422
    assert "标题不能为空" in empty.text
    unknown = form_post(
        firm, "/desk/new", {"title": "标题", "description": "内容", "category": "mars"}, "/desk/new"
    )
    assert unknown.status_code == 422
    assert "诉求类别“mars”不存在" in unknown.text
    exe = form_post(
        firm,
        "/desk/new",
        {"title": "标题", "description": "内容"},
        "/desk/new",
        files={"attachments": ("a.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert exe.status_code == 422
    assert "类型不允许" in exe.text
    assert world.scalar(sa.select(sa.func.count()).select_from(DeskRequest)) == 0


def test_leaders_read_statistics_and_export(make_client, world, desk):
    firm = make_client()
    login(firm, "firm1")
    for title in ("用电增容申请", "融资贷款需求"):
        form_post(
            firm, "/desk/new", {"title": title, "description": f"{title}，请协调。"}, "/desk/new"
        )
    leader = make_client()
    login(leader, "analyst1")
    page = leader.get("/desk/stats")
    assert page.status_code == 200
    assert 'id="kpis"' in page.text
    assert "诉求总数" in page.text
    book = leader.get("/desk/stats.xlsx")
    assert book.status_code == 200
    sheets = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).sheet_names
    assert sheets == ["按类别", "按产业链", "按区域", "按承办部门", "月度趋势", "超期清单"]
    assert "统计范围：全部诉求" in page.text
    # a handling department sees the figures of the requests it was assigned, and says so
    land = make_client()
    login(land, "land1")
    own = land.get("/desk/stats")
    assert own.status_code == 200
    assert "统计范围：本部门承办的诉求（" in own.text
    total = re.compile(r'诉求总数</div>\s*<div class="stat-value">(\d+)</div>')
    submitted = world.scalar(sa.select(sa.func.count()).select_from(DeskRequest))
    assert submitted > 0
    assert total.search(page.text).group(1) == str(submitted)
    assert total.search(own.text).group(1) == "0"  # none was assigned to it
    # the cockpit's desk module is the zone's: not shown with a department's share
    assert 'id="cockpit-desk"' in leader.get("/cockpit").text
    cockpit = land.get("/cockpit")
    assert cockpit.status_code == 200
    assert 'id="cockpit-desk"' not in cockpit.text
    assert firm.get("/desk/stats").status_code == 403


def test_the_configuration_is_edited_as_versions(make_client, world, desk):
    world.user("admin1", Role.ADMIN)
    admin = make_client()
    login(admin, "admin1")
    listing = admin.get("/desk/config")
    version = re.search(r'href="/desk/config/(\d+)"', listing.text).group(1)
    text = re.search(
        r"<textarea[^>]*>(.*?)</textarea>", admin.get(f"/desk/config/{version}").text, re.S
    ).group(1)
    text = html.unescape(text)  # the editor shows the text escaped
    broken = text.replace("to: accepted, by: [officer]", "to: nowhere, by: [officer]")
    saved = form_post(admin, f"/desk/config/{version}", {"text": broken}, f"/desk/config/{version}")
    assert saved.status_code == 422
    assert "没有名为“nowhere”的状态" in saved.text
    gone = text.replace("{department: business-env}", "{department: nobody}")
    saved = form_post(admin, f"/desk/config/{version}", {"text": gone}, f"/desk/config/{version}")
    assert saved.status_code == 422
    assert "没有这个部门代码" in saved.text
    better = text.replace("closure: {amount: 2, unit: days}", "closure: {amount: 3, unit: days}")
    saved = form_post(
        admin,
        f"/desk/config/{version}",
        {"text": better, "note": "咨询类放宽"},
        f"/desk/config/{version}",
    )
    assert saved.status_code == 303
    officer = make_client()
    login(officer, "centre1")
    assert 'id="spec-form"' not in officer.get(saved.headers["location"]).text
    assert 'id="spec-form"' in admin.get(saved.headers["location"]).text


def test_open311_api_with_tokens(client, world, desk, settings):
    firm_token = world.token(
        "企业对接", ["desk:submit"], settings.session_secret, enterprise_id=desk["firm"]
    )
    hotline = world.token("12345 热线", ["desk:read"], settings.session_secret)
    as_firm = {"Authorization": f"Bearer {firm_token}"}
    services = client.get("/api/v1/open311/services", headers=as_firm).json()
    assert {s["service_code"] for s in services} >= {"land", "power", "financing", "policy"}
    definition = client.get("/api/v1/open311/services/financing", headers=as_firm).json()
    assert definition["attributes"][0] == {
        "variable": True,
        "code": "amount_wan",
        "datatype": "number",
        "required": True,
        "datatype_description": "融资金额（万元）",
        "order": 1,
        "description": "融资金额（万元）",
        "values": [],
    }
    missing = client.post(
        "/api/v1/open311/requests",
        headers=as_firm,
        json={"service_code": "financing", "title": "贷款", "description": "流动资金"},
    )
    assert missing.status_code == 422
    assert "融资金额" in missing.json()["detail"]
    content = PDF
    body = {
        "service_code": "financing",
        "title": "流动资金贷款",
        "description": "需要 500 万流动资金",
        "attribute": {"amount_wan": "500", "purpose": "流动资金"},
        "attachments": [
            {
                "filename": "报表.pdf",
                "content_base64": base64.b64encode(content).decode(),
                "sha256": "0" * 64,
            }
        ],
    }
    bad_sum = client.post("/api/v1/open311/requests", headers=as_firm, json=body)
    assert bad_sum.status_code == 422
    assert "校验值" in bad_sum.json()["detail"]
    body["attachments"][0]["sha256"] = hashlib.sha256(content).hexdigest()
    created = client.post("/api/v1/open311/requests", headers=as_firm, json=body)
    assert created.status_code == 201
    tracking = created.json()[0]["service_request_id"]
    assert tracking.startswith("QH")
    mine = client.get("/api/v1/open311/requests", headers=as_firm)
    assert [r["service_request_id"] for r in mine.json()] == [tracking]
    assert mine.headers["X-Total-Count"] == "1"
    one = client.get(
        f"/api/v1/open311/requests/{tracking}", headers={"Authorization": f"Bearer {hotline}"}
    ).json()[0]
    assert one["status"] == "open"
    assert one["agency_responsible"] == "营商环境办（企业服务中心）"
    comment = client.post(
        f"/api/v1/open311/requests/{tracking}/updates",
        headers=as_firm,
        json={"action": "comment", "note": "补充：急需"},
    )
    assert comment.status_code == 200
    updates = client.get(f"/api/v1/open311/requests/{tracking}/updates", headers=as_firm).json()
    assert [u["action"] for u in updates] == ["submit", "comment"]
    forbidden = client.post(
        f"/api/v1/open311/requests/{tracking}/updates", headers=as_firm, json={"action": "accept"}
    )
    assert forbidden.status_code == 403
    read_only = client.post(
        "/api/v1/open311/requests",
        headers={"Authorization": f"Bearer {hotline}"},
        json={"title": "x", "description": "y"},
    )
    assert read_only.status_code == 403
    assert world.scalar(sa.select(sa.func.count()).select_from(DeskEvent)) == 2


def test_a_department_s_statistics_and_workbook_cover_only_its_own_requests(
    make_client, world, desk
):
    from tests.desk.conftest import act, china, submit

    land, _ = submit(world, title="用地指标", category="land")
    power, _ = submit(world, title="用电增容", category="land")
    for rid, department in ((land, "planning"), (power, "economy")):
        act(world, "centre1", rid, "accept", china(2026, 9, 28, 11, 0))
        act(world, "centre1", rid, "assign", china(2026, 9, 28, 11, 5), department=department)
    total = re.compile(r'诉求总数</div>\s*<div class="stat-value">(\d+)</div>')
    for username, count, name in (("land1", "1", "自然资源和规划分局"), ("analyst1", "2", None)):
        client = make_client()
        login(client, username)
        page = client.get("/desk/stats?since=2026-01-01&until=2026-12-31").text
        assert total.search(page).group(1) == count
        book = client.get("/desk/stats.xlsx?since=2026-01-01&until=2026-12-31").content
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(book)).get_sheet_by_name("按承办部门")
        rows = [r for r in sheet.to_python() if r and r[0]]
        if name is not None:
            assert f"统计范围：本部门承办的诉求（{name}）" in page
            assert "统计范围：本部门承办的诉求" in str(rows[1][0])
            assert [r[0] for r in rows[3:]] == [name]  # no other department's row
