"""Capital in the cockpit's workbook and the weekly briefing: each chain's fund investment,
credit and loans, listed and reserve firms, read through the capital service; a register the
zone does not keep yet shows “未知”, not 0; a reader without the finance permission gets no
capital sheet or section."""

from __future__ import annotations

import datetime as dt
import io

import docx
import openpyxl

from tests.capital.test_chain_capital import on_chain as on_chain  # the fixture
from tests.conftest import login
from wulian.web import briefing, cockpit


def _sheet(content: bytes) -> dict[str, tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book["资金链"].values)
    assert rows[0] == tuple(cockpit.CAPITAL_HEADERS)
    return {r[0]: r for r in rows[1:]}


def test_the_workbook_and_the_briefing_carry_each_chains_capital(world, on_chain, make_client):
    zone = on_chain
    figures = world.run(lambda s: cockpit.build(s, actor=zone.actor(world, "analyst")))
    rows = _sheet(cockpit.export_xlsx(figures))
    # 1 investment of 2 亿元; 1 firm granted 300 万元, 200 outstanding, none overdue; listed 1,
    # no 新三板, 1 reserve
    assert rows["锂电新材料"][1:] == (1, 2, 1, 300, 200, 0, "0.0%", 1, 0, 1)
    # another chain: the registers are kept, so nothing there is a known 0; nothing
    # outstanding: its overdue share is unknown
    other = next(r for name, r in rows.items() if name != "锂电新材料")
    assert other[1:] == (0, 0, 0, 0, 0, 0, "未知", 0, 0, 0)
    document = docx.Document(io.BytesIO(briefing.briefing_docx(
        figures, zone=zone_name(), day=dt.date(2026, 6, 28))))  # fmt: skip
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "六、资金链" in headings
    text = "\n".join(p.text for p in document.paragraphs)
    assert "各产业链的基金投资" in text
    assert "未知" not in text  # every register is kept
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "产业链"
                 and t.rows[0].cells[1].text == "基金投资（笔）")  # fmt: skip
    # the ladder's firms not yet listed (后备 to 注册), not the 上市后备 stage alone
    assert table.rows[0].cells[-1].text == "梯队中未上市（家）"
    lithium = next(r for r in table.rows if r.cells[0].text == "锂电新材料")
    assert [c.text for c in lithium.cells][1:5] == ["1", "2", "1", "300"]
    client = make_client()
    login(client, "fin1")
    assert "资金链" in openpyxl.load_workbook(
        io.BytesIO(client.get("/cockpit/export.xlsx").content)).sheetnames  # fmt: skip


def zone_name() -> str:
    return "示范区"


def test_registers_not_kept_are_unknown_not_zero(world, zone):
    from tests.conftest import SYSTEM
    from wulian.chains import service as chains

    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    figures = world.run(lambda s: cockpit.build(s, actor=zone.actor(world, "fin1")))
    rows = _sheet(cockpit.export_xlsx(figures))
    assert rows
    for row in rows.values():
        assert row[1:] == ("未知",) * 10
    document = docx.Document(io.BytesIO(briefing.briefing_docx(
        figures, zone=zone_name(), day=dt.date(2026, 6, 28))))  # fmt: skip
    text = "\n".join(p.text for p in document.paragraphs)
    assert "基金投资、贷款、上市梯队台账尚无记录，相应数字为“未知”，不是 0。" in text


def test_a_reader_without_the_finance_permission_gets_no_capital(world, zone):
    from wulian.core.auth import service as auth_service
    from wulian.core.permissions import Role

    world.user("firm_reader", Role.ENTERPRISE, enterprise_id=zone.firm_b)
    firm = auth_service.actor_for_user(world.get_user("firm_reader"))
    figures = world.run(lambda s: cockpit.build(s, actor=firm))
    assert figures.capital is None
    assert figures.capital_registers is None
    book = openpyxl.load_workbook(io.BytesIO(cockpit.export_xlsx(figures)))
    assert "资金链" not in book.sheetnames
    document = docx.Document(io.BytesIO(briefing.briefing_docx(
        figures, zone=zone_name(), day=dt.date(2026, 6, 28))))  # fmt: skip
    assert "六、资金链" not in [p.text for p in document.paragraphs]
