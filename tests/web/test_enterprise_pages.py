"""Enterprise pages end to end over HTTP: list filters and export, a firm's page and the history
of a value, the import preview and commit, self-reports with evidence, the review queue."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import python_calamine
import sqlalchemy as sa
import xlsxwriter

from tests.conftest import SYSTEM, csrf_from, login, page_csrf
from wulian.core.auth.models import Department, User
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Fact, FactStatus
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service

A, B = synthetic(11), synthetic(12)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def workbook(rows):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return buffer.getvalue()


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    a = world.enterprise("衢州甲材料有限公司", code=A)
    b = world.enterprise("衢州乙科技有限公司", code=B, in_zone=False)
    world.user("officer1", Role.OFFICER, department_id=world.department())
    world.user("analyst1", Role.ANALYST)
    world.user("firm-a", Role.ENTERPRISE, enterprise_id=a)
    world.user("firm-b", Role.ENTERPRISE, enterprise_id=b)
    return {"a": a, "b": b}


def token_in(html):
    match = re.search(r"/imports/([A-Za-z0-9_-]+)/(commit|report)", html)
    assert match, "no import token on the page"
    return match.group(1)


def upload(client, data, filename="data.xlsx", **fields):
    token = page_csrf(client, "/imports")
    form = {"csrf_token": token, "kind": "facts", "period": "2024", "source": "tax", **fields}
    return client.post("/imports", data=form, files={"file": (filename, data)})


def test_import_preview_then_commit(client, world, zone):
    login(client, "officer1")
    data = workbook([["统一社会信用代码", "营业收入（万元）"], [A, 1200], [B, "abc"]])
    preview = upload(client, data)
    assert preview.status_code == 200
    assert "发现 1 处问题" in preview.text
    assert "不是数字" in preview.text
    assert 'id="commit"' not in preview.text  # all-or-nothing: nothing to confirm
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0
    report_link = re.search(r'href="(/imports/[0-9A-Za-z_-]+/report\.xlsx)"', preview.text)
    assert report_link, "the preview links to its problem report"
    report = client.get(report_link.group(1))
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(report.content))
    rows = sheet.get_sheet_by_index(0).to_python()
    assert rows[1][:5] == [3.0, "衢州乙科技有限公司", "营业收入（万元）", "abc", "不是数字"]

    partial = upload(client, data, partial="true")
    assert 'id="commit"' in partial.text
    token = token_in(partial.text)
    done = client.post(f"/imports/{token}/commit", data={"csrf_token": csrf_from(partial.text)})
    assert "已写入：新增 1 条" in done.text
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 1


def test_sharp_changes_are_written_only_when_their_rows_are_ticked(client, world, zone):
    def verified(session):
        fact = facts.record(
            session,
            actor=SYSTEM,
            enterprise_id=zone["a"],
            metric_key="revenue",
            period="2024",
            value=260_280.8,
            source="tax",
            as_of=dt.date(2025, 4, 30),
        )
        facts.verify(session, actor=SYSTEM, fact_id=fact.id)

    world.run(verified)
    login(client, "officer1")
    data = workbook([["统一社会信用代码", "营业收入（千元）"], [A, 6687]])
    preview = upload(client, data)
    assert 'id="warnings"' in preview.text
    assert "260,280.8" in preview.text
    assert "668.7" in preview.text
    assert "-99.7%" in preview.text
    assert 'name="confirm" value="2"' in preview.text
    token = token_in(preview.text)
    refused = client.post(f"/imports/{token}/commit", data={"csrf_token": csrf_from(preview.text)})
    assert "有警告的行尚未确认，未写入任何数据" in refused.text
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 1
    ticked = client.post(
        f"/imports/{token}/commit",
        data={"csrf_token": csrf_from(refused.text), "confirm": ["2"]},
    )
    assert "已写入" in ticked.text
    assert "1 条存于已核实或更可信的值旁" in ticked.text
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 2
    # revenue is the economy bureau's to verify: its officers see the value in their queue
    assert "668.7" not in client.get("/reviews").text
    world.user(
        "officer_economy", Role.OFFICER, department_id=world.department("economy", "经济信息化局")
    )
    client.post("/logout", data={"csrf_token": page_csrf(client, "/")})
    login(client, "officer_economy")
    queue = client.get("/reviews")
    assert "668.7" in queue.text
    assert "大幅变动" in queue.text


def test_an_unconfirmed_upload_expires_after_the_set_time(client, app, world, zone, settings):
    now = [dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)]
    app.state.clock = lambda: now[0]
    login(client, "officer1")
    preview = upload(client, workbook([["统一社会信用代码", "营业收入（万元）"], [A, 1]]))
    token = token_in(preview.text)
    assert "保留 24 小时" in preview.text
    folder = settings.data_dir / "uploads"
    assert len(list(folder.iterdir())) == 3
    now[0] += dt.timedelta(hours=23)
    assert client.get(f"/imports/{token}/report.xlsx").status_code == 200
    now[0] += dt.timedelta(hours=1)
    assert client.get(f"/imports/{token}/report.xlsx").status_code == 404
    late = client.post(f"/imports/{token}/commit", data={"csrf_token": csrf_from(preview.text)})
    assert late.status_code == 404
    assert "已过期" in late.text
    client.get("/imports")
    assert list(folder.iterdir()) == []
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0


def test_a_preview_belongs_to_its_uploader(make_client, world, zone):
    officer, admin_client = make_client(), make_client()
    world.user("admin2", Role.ADMIN)
    login(officer, "officer1")
    login(admin_client, "admin2")
    preview = upload(officer, workbook([["统一社会信用代码", "营业收入（万元）"], [A, 1]]))
    token = token_in(preview.text)
    stolen = admin_client.post(
        f"/imports/{token}/commit", data={"csrf_token": page_csrf(admin_client, "/imports")}
    )
    assert stolen.status_code == 403
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0


def test_a_broken_upload_gets_a_chinese_message(client, zone):
    login(client, "officer1")
    response = upload(client, b"garbage", filename="x.xlsx")
    assert response.status_code == 422
    assert "无法读取 Excel 文件" in response.text


def test_self_report_with_evidence_then_review(make_client, world, zone):
    firm, officer = make_client(), make_client()
    login(firm, "firm-a")
    login(officer, "officer1")
    page = firm.get(f"/enterprises/{zone['a']}")
    assert "填报缺失数据" in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "metric": "rd_expense",
        "period": "2024",
        "value": "88.5",
        "note": "2024 年审计报告第 12 页",
    }
    bad = firm.post(
        f"/enterprises/{zone['a']}/reports", data=form, files={"evidence": ("x.exe", b"MZ..")}
    )
    assert bad.status_code == 422
    assert "只接受 PDF、PNG 或 JPG" in bad.text
    assert 'value="2024 年审计报告第 12 页"' in bad.text  # what was typed is kept
    done = firm.post(
        f"/enterprises/{zone['a']}/reports", data=form, files={"evidence": ("证明.pdf", PDF)}
    )
    assert done.status_code == 303
    fact_id = world.scalar(sa.select(Fact.id))
    assert firm.get(f"/facts/{fact_id}/evidence").content == PDF
    # Another firm cannot report for firm A nor read its evidence.
    other = make_client()
    login(other, "firm-b")
    assert other.get(f"/facts/{fact_id}/evidence").status_code == 403
    form_b = {**form, "csrf_token": page_csrf(other, f"/enterprises/{zone['b']}")}
    assert other.post(f"/enterprises/{zone['a']}/reports", data=form_b).status_code == 403

    queue = officer.get("/reviews")
    assert "研发费用" in queue.text
    rejected = officer.post(
        f"/reviews/{fact_id}",
        data={"csrf_token": csrf_from(queue.text), "decision": "reject", "reason": " "},
    )
    assert "必须填写理由" in rejected.text
    verified = officer.post(
        f"/reviews/{fact_id}", data={"csrf_token": csrf_from(queue.text), "decision": "verify"}
    )
    assert verified.status_code == 303
    assert world.scalar(sa.select(Fact.status).where(Fact.id == fact_id)) == FactStatus.VERIFIED
    assert "已通过" in firm.get(f"/enterprises/{zone['a']}").text


def test_list_filters_export_and_history(client, world, zone):
    def put(session, value, source):
        facts.record(
            session,
            actor=SYSTEM,
            enterprise_id=zone["a"],
            metric_key="revenue",
            period="2024",
            value=value,
            source=source,
            as_of=__import__("datetime").date(2025, 3, 1),
        )

    world.run(lambda s: put(s, 100.0, "stats"))
    world.run(lambda s: put(s, 120.0, "stats"))
    login(client, "analyst1")
    outside = client.get("/enterprises?zone=out")
    assert "衢州乙科技" in outside.text
    assert "衢州甲材料" not in outside.text
    found = client.get("/enterprises?q=甲材料有限责任公司")  # folded name matches
    assert "衢州甲材料" in found.text
    export = client.get("/enterprises/export.xlsx?zone=in")
    rows = (
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(export.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[0][:2] == ["统一社会信用代码", "企业名称"]
    assert [r[1] for r in rows[1:]] == ["衢州甲材料有限公司"]
    page = client.get(f"/enterprises/{zone['a']}")
    assert "120" in page.text
    assert "缺失" in page.text
    history = client.get(f"/enterprises/{zone['a']}/history?metric=revenue&period=2024")
    assert history.text.count("已被取代") == 1


def test_an_administrator_adds_a_header_alias_in_the_ui(client, world, zone):
    world.user("admin1", Role.ADMIN)
    login(client, "admin1")
    page = client.get("/admin/aliases")
    form = {"csrf_token": csrf_from(page.text), "label": "年度销售额", "target": "revenue"}
    added = client.post("/admin/aliases", data=form)
    assert "已添加：年度销售额 → revenue" in added.text
    again = client.post("/admin/aliases", data=form)
    assert again.status_code == 409
    assert "已有对应关系" in again.text


def test_staff_are_named_by_name_and_department_not_by_login(client, world, zone):
    world.user("admin2", Role.ADMIN, department_id=world.department())

    def name(session):
        user = session.scalar(sa.select(User).where(User.username == "admin2"))
        user.display_name = "王晓东"
        return session.get(Department, user.department_id).name

    department = world.run(name)
    login(client, "admin2")
    page = client.get("/admin/aliases")
    form = {"csrf_token": csrf_from(page.text), "label": "全年销售额", "target": "revenue"}
    client.post("/admin/aliases", data=form)
    listed = client.get("/admin/aliases").text
    assert f"王晓东（{department}）" in listed
    audit_log = client.get("/admin/audit").text
    assert f"王晓东（{department}）" in audit_log


def test_likely_duplicates_page_and_merge(make_client, world, zone):
    ledger = world.enterprise("衢州甲材料 有限责任公司")  # no code: likely firm a
    world.user("admin1", Role.ADMIN)
    analyst = make_client()
    login(analyst, "analyst1")
    seen = analyst.get("/enterprises/duplicates")
    assert seen.text.count('class="table duplicate-group"') == 1
    assert "衢州甲材料 有限责任公司" in seen.text
    assert "合并到所选企业" not in seen.text  # reading is not merging
    token = csrf_from(seen.text)
    refused = analyst.post(
        f"/enterprises/{ledger}/merge", data={"csrf_token": token, "keep": zone["a"]}
    )
    assert refused.status_code == 403

    admin = make_client()
    login(admin, "admin1")
    page = admin.get("/enterprises/duplicates")
    assert "合并到所选企业" in page.text
    wrong = admin.post(
        f"/enterprises/{zone['a']}/merge",
        data={"csrf_token": csrf_from(page.text), "keep": ledger},
    )
    assert wrong.status_code == 422
    assert "保留有统一社会信用代码" in wrong.text
    done = admin.post(
        f"/enterprises/{ledger}/merge", data={"csrf_token": csrf_from(page.text), "keep": zone["a"]}
    )
    assert done.status_code == 303
    after = admin.get(done.headers["location"])
    assert "已合并到" in after.text
    assert "移入数据 0 条" in after.text
    assert 'id="no-duplicates"' in after.text
    firm = admin.get(f"/enterprises/{zone['a']}")
    assert "衢州甲材料 有限责任公司" in firm.text  # now a former name


def test_a_self_report_for_a_future_period_is_refused_and_nothing_waits_for_review(
    client, world, zone
):
    login(client, "firm-a")
    page = client.get(f"/enterprises/{zone['a']}")
    form = {"csrf_token": csrf_from(page.text), "metric": "rd_expense", "value": "88.5"}
    response = client.post(f"/enterprises/{zone['a']}/reports", data={**form, "period": "2099"})
    assert response.status_code == 422
    assert "“研发费用”的期间 2099 尚未开始" in response.text
    assert world.scalar(sa.select(sa.func.count(Fact.id))) == 0


def test_an_address_whose_id_is_not_a_number_is_not_found(client, zone):
    login(client, "officer1")
    page = client.get("/enterprises/import")
    assert page.status_code == 404
    assert "页面不存在" in page.text
    api = client.get("/api/v1/enterprises/abc")
    assert api.status_code == 404


def test_a_ratio_is_shown_as_a_percentage_and_a_count_as_an_integer(client, world, zone):
    """资产负债率 24.56%, not 0.2456; 职工总数 4,690, not 4690.0."""

    def put(session):
        for key, value in (("debt_ratio", 0.2456), ("staff_total", 4690.0)):
            facts.record(
                session, actor=SYSTEM, enterprise_id=zone["a"], metric_key=key, period="2024",
                value=value, source="stats", as_of=dt.date(2025, 3, 1),
            )  # fmt: skip

    world.run(put)
    login(client, "analyst1")
    page = client.get(f"/enterprises/{zone['a']}").text
    assert ">24.56%</a>" in page
    assert "0.2456" not in page
    assert ">4,690</a>" in page
    history = client.get(f"/enterprises/{zone['a']}/history?metric=debt_ratio&period=2024").text
    assert "24.56%" in history
