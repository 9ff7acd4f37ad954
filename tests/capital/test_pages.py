"""The fund matrix's pages and API as people use them: the finance office enters a fund, a
commitment and an investment in a 招商 project and sees the leverage update; a refusal is shown in
Chinese and recorded; other staff read; a firm's user sees only its own page; tokens are scoped."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.capital.conftest import commit, fund
from tests.capital.test_funds import two_funds
from tests.capital.test_listings import add as add_listing
from tests.capital.test_loans import loan, pool, set_status
from tests.conftest import login, page_csrf
from wulian.capital.models import Compensation, Fund, FundInvestment
from wulian.core.audit.models import AuditEntry


@pytest.fixture
def app(app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
    return app


def signed_in(make_client, username):
    client = make_client()
    login(client, username)
    return client


def test_the_finance_office_invests_in_a_project_and_the_leverage_updates(world, zone, make_client):
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital")
    response = client.post(
        "/capital/funds",
        data={
            "csrf_token": token,
            "name": "衢州产业母基金",
            "kind": "mother",
            "reinvest_pct": "50",
        },
    )
    assert response.status_code == 303
    fund_url = response.headers["location"].split("?")[0]
    token = page_csrf(client, fund_url)
    client.post(
        f"{fund_url}/commitments",
        data={"csrf_token": token, "investor": "市财政局", "investor_kind": "government",
              "committed": "10", "paid_in": "4", "unit": "亿元"},
    )  # fmt: skip
    page = client.get("/capital")
    assert "撬动倍数" in page.text
    assert "—（无政府资金）" not in page.text
    response = client.post(
        f"{fund_url}/investments",
        data={"csrf_token": token, "target": "project", "project_id": str(zone.project),
              "amount": "30000", "unit": "万元", "invested_on": "2026-06-01"},
    )  # fmt: skip
    assert response.status_code == 303
    page = client.get("/capital")
    assert "5.00 倍" in page.text  # the project's 20亿 ÷ 4亿 paid in by the city
    assert "年产 5 万吨正极材料项目" in client.get(fund_url).text


def test_an_investment_beyond_the_commitment_is_refused_in_chinese_and_audited(
    world, zone, make_client
):
    _fin, mother, _ = two_funds(world, zone)
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, f"/capital/funds/{mother}")
    response = client.post(
        f"/capital/funds/{mother}/investments",
        data={"csrf_token": token, "target": "firm", "firm": "衢州硅测科技有限公司",
              "amount": "13", "unit": "亿元"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "超过基金“衢州产业母基金”的剩余认缴额 12 亿元" in response.text
    assert world.scalar(sa.select(sa.func.count()).select_from(FundInvestment)) == 2
    entry = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "capital.refused"))
    assert entry.after["attempt"] == "登记基金投资"


def test_an_officer_outside_the_finance_office_is_refused_and_audited(world, zone, make_client):
    client = signed_in(make_client, "inv1")
    assert client.get("/capital").status_code == 200  # reads the matrix
    assert 'id="new-fund"' not in client.get("/capital").text
    token = page_csrf(client, "/capital")
    response = client.post("/capital/funds", data={"csrf_token": token, "name": "越权基金",
                                                   "kind": "mother"})  # fmt: skip
    assert response.status_code == 403
    assert "只有金融办的工作人员" in response.text
    assert world.scalar(sa.select(sa.func.count()).select_from(Fund)) == 0
    entry = world.scalar(sa.select(AuditEntry).where(AuditEntry.action == "capital.refused"))
    assert entry.after["attempt"] == "登记基金"


def test_a_firm_user_sees_only_its_own_page(world, zone, make_client):
    two_funds(world, zone)
    client = signed_in(make_client, "firm_user")
    assert client.get("/capital").status_code == 403
    own = client.get(f"/capital/firms/{zone.firm}")
    assert own.status_code == 200
    assert "衢州产业母基金" in own.text
    title = own.text.split("<title>")[1].split("</title>")[0]
    assert title.startswith("衢州")
    assert "：企业融资 · " in title  # the name only, no tables
    assert own.text.count('id="firm-needs"') == 1
    assert client.get(f"/capital/firms/{zone.firm_b}").status_code == 403
    assert "我的融资" in client.get("/").text


def test_the_api_is_scoped_by_token(world, zone, client, settings):
    two_funds(world, zone)
    secret = settings.session_secret
    allowed = world.token("金融报表", ["finance:read"], secret)
    other = world.token("其他", ["zone:read"], secret)
    ok = client.get("/api/v1/capital/matrix", headers={"Authorization": f"Bearer {allowed}"})
    assert ok.status_code == 200
    assert ok.json()["total"]["leverage"] == "2.50"
    refused = client.get("/api/v1/capital/matrix", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    assert "finance:read" in refused.text
    bound = world.token("企业", ["enterprises:read"], secret, enterprise_id=zone.firm)
    own = client.get(f"/api/v1/capital/firms/{zone.firm}",
                     headers={"Authorization": f"Bearer {bound}"})  # fmt: skip
    assert own.status_code == 200
    assert own.json()[0]["amount_yi"] == "1"
    theirs = client.get(f"/api/v1/capital/firms/{zone.firm_b}",
                        headers={"Authorization": f"Bearer {bound}"})  # fmt: skip
    assert theirs.status_code == 403


def ledger(rows, headers=("基金名称", "投资企业", "招商项目编号", "投资金额（亿元）", "投资日期")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_ledger_import_is_all_or_nothing_with_row_column_and_value(world, zone, make_client):
    fin = zone.actor(world, "fin1")
    f = fund(world, fin, "政府产业基金", "industry")
    commit(world, fin, f, "市财政局", "government", "3", "3")
    client = signed_in(make_client, "fin1")
    bad = ledger([
        ("政府产业基金", "衢州锂测材料有限公司", None, "1", "2026-05-01"),
        ("政府产业基金", "衢州硅测科技有限公司", None, "50000", "2026-05-02"),
        ("不存在的基金", "衢州硅测科技有限公司", None, "1", "2026-05-02"),
        ("政府产业基金", None, zone.project, "2.5", "2026-05-03"),
        ("政府产业基金", "衢州硅测科技有限公司", None, "1", "五月"),
    ])  # fmt: skip
    token = page_csrf(client, "/capital/import")
    page = client.post("/capital/import", data={"csrf_token": token},
                       files={"file": ("台账.xlsx", bad)})  # fmt: skip
    assert page.status_code == 200
    assert "未写入任何数据" in page.text
    text = page.text
    assert "疑似按万元填写" in text
    assert "50000" in text
    assert "没有名为“不存在的基金”的基金" in text
    assert "超过基金“政府产业基金”的剩余认缴额 2 亿元" in text  # after row 2's 1亿
    assert "日期格式应为 YYYY-MM-DD" in text
    assert world.scalar(sa.select(sa.func.count()).select_from(FundInvestment)) == 0

    good = ledger([
        ("政府产业基金", "衢州锂测材料有限公司", None, "1", "2026-05-01"),
        ("政府产业基金", None, zone.project, "2", "2026-05-03"),
    ])  # fmt: skip
    page = client.post("/capital/import", data={"csrf_token": token},
                       files={"file": ("台账.xlsx", good)})  # fmt: skip
    assert "检查通过：2 笔投资，合计 3 亿元" in page.text
    assert world.scalar(sa.select(sa.func.count()).select_from(FundInvestment)) == 0
    commit_url = page.text.split('action="/capital/import/')[1].split('"')[0]
    done = client.post(f"/capital/import/{commit_url}", data={"csrf_token": token})
    assert "已导入 2 笔投资，合计 3 亿元" in done.text
    assert world.scalar(sa.select(sa.func.count()).select_from(FundInvestment)) == 2
    assert client.get("/capital/export.xlsx").status_code == 200


def test_a_default_on_the_page_moves_the_pool_past_its_warning(world, zone, make_client):
    fin = zone.actor(world, "fin1")
    pid = pool(world, fin)
    for _ in range(4):
        loan(world, fin, pool_id=pid, granted="235", disbursed="235")
    bad = loan(world, fin, pool_id=pid, granted="60", disbursed="60")
    client = signed_in(make_client, "fin1")
    page = client.get("/capital/loans")
    assert 'class="pool-ok"' in page.text
    assert "data-pool-alert" not in page.text
    token = page_csrf(client, "/capital/loans")
    response = client.post(f"/capital/loans/{bad}", data={"csrf_token": token,
                                                          "status": "default"})  # fmt: skip
    assert response.status_code == 303
    page = client.get("/capital/loans")
    assert "风险池“科技贷风险池”不良率 6.00%，超过预警线 5%" in page.text
    assert "风险池“科技贷风险池”不良率 6.00%" in client.get("/capital").text
    client.post(f"/capital/loans/{bad}/compensation", data={"csrf_token": token})
    other = signed_in(make_client, "inv1")
    cid = world.scalar(sa.select(Compensation.id))
    refused = other.post(f"/capital/compensations/{cid}/approve",
                         data={"csrf_token": page_csrf(other, "/capital/loans")})  # fmt: skip
    assert refused.status_code == 403
    assert "风险补偿只能由金融办的工作人员审批" in refused.text
    entry = world.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "capital.refused")
        .order_by(AuditEntry.id.desc())
    )  # fmt: skip
    assert entry.after["attempt"] == "审批风险补偿"
    assert world.scalar(sa.select(Compensation.status)) == "proposed"
    done = client.post(f"/capital/compensations/{cid}/approve", data={"csrf_token": token})
    assert done.status_code == 303
    assert world.scalar(sa.select(Compensation.status)) == "approved"


def test_products_and_a_firms_plan_on_the_pages(world, zone, make_client):
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital/products")
    bad = client.post(
        "/capital/products",
        data={"csrf_token": token, "name": "科技贷", "lender": "衢州某银行", "kind": "credit",
              "eligibility": "营业收入: revenue >="},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "准入规则第 1 行（营业收入）无法解析" in bad.text
    ok = client.post(
        "/capital/products",
        data={"csrf_token": token, "name": "科技贷", "lender": "衢州某银行", "kind": "credit",
              "eligibility": "园区企业: in_zone\n纳税额不低于 50 万元: tax_paid >= 50",
              "max_wan": "1000", "min_rate": "3.45"},
    )  # fmt: skip
    assert ok.status_code == 303
    plan = client.get(f"/capital/plans/{zone.firm}")
    assert "接近符合" in plan.text
    assert "缺少数据：纳税额" in plan.text
    client.post(f"/capital/plans/{zone.firm}/notes",
                data={"csrf_token": token, "text": "请补报纳税额", "handed": "1"})  # fmt: skip
    firm = signed_in(make_client, "firm_user")
    own = firm.get(f"/capital/plans/{zone.firm}")
    assert "请补报纳税额" in own.text
    assert 'id="note-form"' not in own.text
    assert firm.get(f"/capital/plans/{zone.firm_b}").status_code == 403


def test_the_listing_pipeline_page(world, zone, make_client):
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital/listings")
    added = client.post("/capital/listings", data={"csrf_token": token,
                                                   "firm": "衢州锂测材料有限公司"})  # fmt: skip
    assert added.status_code == 303
    page = client.get("/capital/listings")
    assert "衢州锂测材料有限公司" in page.text
    case = page.text.split('data-listing="')[1].split('"')[0]
    bad = client.post(f"/capital/listings/{case}/advance",
                      data={"csrf_token": token, "to_stage": "listed"})  # fmt: skip
    assert bad.status_code == 422
    assert "不能直接转到“上市”" in bad.text
    client.post(f"/capital/listings/{case}/advance",
                data={"csrf_token": token, "to_stage": "shareholding"})  # fmt: skip
    firm = signed_in(make_client, "firm_user")
    assert "股改" in firm.get(f"/capital/firms/{zone.firm}").text


def test_a_firms_page_shows_its_capital_to_finance_staff_and_to_the_firm(world, zone, make_client):
    two_funds(world, zone)
    fin = zone.actor(world, "fin1")
    pid = pool(world, fin)
    loan(world, fin, pool_id=pid, granted="300", disbursed="200")
    bad = loan(world, fin, pool_id=pid, granted="50", disbursed="50")
    set_status(world, fin, bad, "overdue")
    add_listing(world, fin)
    for who in ("fin1", "firm_user"):
        page = signed_in(make_client, who).get(f"/enterprises/{zone.firm}").text
        assert 'id="firm-capital"' in page, who
        assert "衢州产业母基金" in page
        assert (
            "<strong>2</strong> 笔，授信 <strong>350</strong> 万元，余额 <strong>250</strong> 万元"
            in page
        )
        assert "逾期 1 笔" in page
        assert "上市后备" in page
        assert f'href="/capital/firms/{zone.firm}"' in page
    other = signed_in(make_client, "fin1").get(f"/enterprises/{zone.firm_b}").text
    assert 'id="firm-capital"' not in other  # a firm with no capital shows no empty section
