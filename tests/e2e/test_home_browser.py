"""In a real browser, on the demo zone: each role's home lists what waits for it, with counts and
links; following an item leads to exactly those items, and acting on one updates the home."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.conftest import SYSTEM, login
from tests.e2e.test_browser import sign_in, sign_out
from wulian.core.permissions import Role
from wulian.desk import service as desk_service
from wulian.desk.models import DeskRequest


def todo_count(page: Page, label: str) -> int:
    item = page.locator("#todo li", has_text=label)
    if item.count() == 0:
        return 0
    return int(item.locator(".todo-count").inner_text())


@pytest.mark.demo
def test_the_dispatcher_accepts_from_the_home_queue(page: Page, live_server, world):
    centre = world.department("business-env", "营商环境办（企业服务中心）")
    world.user("centre", Role.OFFICER, department_id=centre)
    office = world.department("chain-office", "产业链专班（链长办）")
    world.user("chain1", Role.OFFICER, department_id=office)

    sign_in(page, live_server, "centre")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    waiting = todo_count(page, "待受理的诉求")
    assert waiting >= 1
    page.locator("#todo li", has_text="待受理的诉求").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/desk\?state=submitted"))
    rows = page.locator("#queue tbody tr[data-request]")
    expect(rows).to_have_count(min(waiting, 50))
    rows.first.get_by_role("link").first.click()
    page.locator("form[data-action='accept']").get_by_role("button", name="受理").click()
    expect(page.locator("#state")).to_have_text("已受理")
    page.goto(f"{live_server}/")
    assert todo_count(page, "待受理的诉求") == waiting - 1
    sign_out(page)

    sign_in(page, live_server, "chain1")
    to_review = todo_count(page, "待复核的企业归链")
    assert to_review >= 1
    assert todo_count(page, "待受理的诉求") == 0  # accepting is the service centre's work
    page.locator("#todo li", has_text="待复核的企业归链").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/atlas/review"))


@pytest.mark.demo
def test_a_firm_sees_what_waits_for_it(page: Page, live_server, world):
    handling = world.run(
        lambda s: s.scalars(
            sa.select(DeskRequest).where(DeskRequest.state == "handling").order_by(DeskRequest.id)
        ).first()
    )
    assert handling is not None, "the demo zone has a request being handled"
    step = desk_service.Command("suspend", reason="请补充项目备案证明")
    world.run(lambda s: desk_service.act(s, actor=SYSTEM, request_id=handling.id, step=step))
    world.user("firmuser", Role.ENTERPRISE, enterprise_id=handling.enterprise_id)
    sign_in(page, live_server, "firmuser")
    assert todo_count(page, "待企业补充的诉求") >= 1
    assert todo_count(page, "办理中的诉求") >= 1
    assert todo_count(page, "待受理的诉求") == 0
    page.locator("#todo li", has_text="待企业补充的诉求").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/desk\?state=waiting"))
    expect(page.locator("#queue tbody tr[data-request]").first).to_contain_text("待企业补充")


@pytest.mark.demo
def test_one_file_per_firm_gathers_its_modules(client, make_client, world):
    """The firm's page (一企一档) shows its innovation points, 亩均 classes, benefits paid and
    possible, and requests, each linking into its module; the firm's own user sees the same
    page for its firm, without drafts."""
    firm_id = world.scalar(
        sa.text(
            "SELECT p.enterprise_id FROM policy_payouts p "
            "JOIN innovation_results i ON i.enterprise_id = p.enterprise_id "
            "JOIN landuse_results l ON l.enterprise_id = p.enterprise_id "
            "JOIN desk_requests d ON d.enterprise_id = p.enterprise_id "
            "ORDER BY p.enterprise_id LIMIT 1"
        )
    )
    assert firm_id is not None, "the demo zone has a firm present in every module"
    world.user("analyst_e", Role.ANALYST, department_id=world.department("economy", "经济信息化局"))
    login(client, "analyst_e")
    page = client.get(f"/enterprises/{firm_id}").text
    for section in ("firm-innovation", "firm-landuse", "firm-benefits", "firm-requests"):
        assert f'id="{section}"' in page, section
    assert "已兑现" in page
    assert f'href="/innovation/portrait/{firm_id}"' in page
    assert f'href="/desk?enterprise={firm_id}' in page
    drafts = world.scalar(
        sa.text(
            "SELECT count(*) FROM innovation_runs r JOIN innovation_results i ON i.run_id = r.id "
            "WHERE i.enterprise_id = :f AND r.status = 'draft'"
        ).bindparams(f=firm_id)
    )
    world.user("firm_e", Role.ENTERPRISE, enterprise_id=firm_id)
    own = make_client()
    login(own, "firm_e")
    mine = own.get(f"/enterprises/{firm_id}").text
    assert 'id="firm-benefits"' in mine
    assert 'id="firm-requests"' in mine
    assert mine.count("草稿") <= page.count("草稿") - (1 if drafts else 0)
    listed = own.get(f"/desk?enterprise={firm_id}&state=").text
    assert "data-request" in listed


@pytest.mark.demo
def test_the_cockpit_shows_figures_from_every_module(client, world):
    """A leader's cockpit on the demo zone: each module's figures as the database holds them,
    a chart beside the tables, and the same figures in a workbook."""
    world.user("leader1", Role.ANALYST, department_id=world.department("leaders", "管委会领导"))
    login(client, "leader1")
    page = client.get("/cockpit").text
    for section in ("cockpit-chains", "cockpit-innovation", "cockpit-landuse", "cockpit-payouts",
                    "cockpit-desk"):  # fmt: skip
        assert f'id="{section}"' in page, section
    paid = world.scalar(sa.text("SELECT count(*) FROM policy_payouts"))
    free = world.scalar(sa.text("SELECT count(*) FROM policy_payouts WHERE mode = '免申即享'"))
    assert paid > 0
    share = f"{free / paid * 100:.1f}%" if paid else "—"
    assert share in page
    total = world.scalar(sa.text("SELECT count(*) FROM desk_requests"))
    assert f"诉求 {total:,} 件" in page
    for key in ("chains-trend", "chains-revenue", "innovation-points", "landuse", "payouts",
                "desk"):  # fmt: skip
        assert f'<script type="application/json" id="chart-data-{key}">' in page, key
    book = client.get("/cockpit/export.xlsx")
    assert book.status_code == 200
    import io

    import openpyxl

    sheets = openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    assert sheets == ["产业链", "创新积分", "亩均效益", "政策兑现", "企呼我应", "诉求按部门",
                      "资金链", "图·产业链企业与营收", "图·各产业链营收", "图·政策兑现",
                      "图·企呼我应诉求", "图·创新积分分布", "图·亩均效益分类"]  # fmt: skip
    import docx

    brief = client.get("/cockpit/briefing.docx")
    assert brief.status_code == 200
    assert "attachment" in brief.headers["content-disposition"]
    document = docx.Document(io.BytesIO(brief.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "一、产业链",
        "二、创新积分",
        "三、亩均效益",
        "四、政策兑现",
        "五、企呼我应",
        "六、资金链",
    ]
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"诉求 {total:,} 件" in text
    assert len(document.tables) >= 3
    captions = [p.text for p in document.paragraphs if p.runs and p.runs[0].bold]
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(brief.content)) as package:
        drawn = [etree.fromstring(package.read(n)) for n in sorted(package.namelist())
                 if n.startswith("word/charts/chart")]  # fmt: skip
    charts_ns = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
    series = {v.text for chart in drawn for v in chart.iterfind(".//c:ser/c:tx//c:v", charts_ns)}
    for caption, name in (("政策兑现（按年度）", "兑现笔数（笔）"),
                          ("企呼我应诉求（近 12 个月）", "提交（件）"),
                          ("产业链企业与营收（按年度）", "营收合计（亿元）")):  # fmt: skip
        assert caption in captions  # the cockpit's charts, drawn by Word
        assert name in series
    assert any(c.startswith("亩均效益分类（") for c in captions)
    assert any(c.startswith("创新积分分布（") for c in captions)
    assert len(drawn) == 6
