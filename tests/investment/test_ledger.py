"""The ledger import: every row or none, problems with row, column and value, amounts read in
the unit their header names, and amounts off by 10⁴ flagged before anything is written."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.conftest import login, page_csrf
from tests.investment.conftest import TODAY
from wulian.core.errors import PermissionDenied
from wulian.investment import ledger
from wulian.investment.models import InvestmentProject, StageEvent

HEADERS = ["项目名称", "企业名称", "总投资（亿元）", "其中固定资产投资（万元）", "项目来源",
           "产业链", "环节", "阶段", "签约日期", "负责小组"]  # fmt: skip
GOOD = [
    ["锂电正极项目", "甲新能源有限公司", "35.5", "300000", "以商招商", "锂电新材料", "正极材料",
     "签约", "2026-05-08", "投资促进局（招商）"],
    ["电子化学品项目", "乙化学有限公司", "8", "", "展会", "", "", "洽谈", "", ""],
]  # fmt: skip


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["2026 年招商项目台账"])  # a title above the header, as ledgers have
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(world, zone, data, *, dry_run, confirm=(), user="officer_a"):
    actor = zone.actor(world, user)
    return world.run(
        lambda s: ledger.import_ledger(
            s, actor=actor, today=TODAY, data=data, filename="台账.xlsx", dry_run=dry_run,
            confirm_rows=confirm,
        )
    )  # fmt: skip


def count(world, model=InvestmentProject):
    return world.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_clean_ledger_is_checked_then_written_with_its_stages(world, zone):
    data = workbook(GOOD)
    check = run(world, zone, data, dry_run=True)
    assert check.ready
    assert check.created == 2
    assert count(world) == 0  # a check writes nothing
    done = run(world, zone, data, dry_run=False)
    assert done.committed
    assert done.total_wan == 355_000 + 80_000
    rows = world.run(lambda s: {p.name: p for p in s.scalars(sa.select(InvestmentProject))})
    signed = rows["锂电正极项目"]
    assert (signed.stage, str(signed.signed_on), signed.fixed_asset_wan) == (
        "signed",
        "2026-05-08",
        300_000,
    )
    assert (signed.chain, signed.node) == ("lithium", "cathode")
    assert rows["电子化学品项目"].stage == "negotiation"
    assert count(world, StageEvent) == 4  # each: entered as a lead, then at its stage


def test_one_bad_row_writes_nothing_and_names_row_column_and_value(world, zone):
    rows = [*GOOD, ["", "丙公司", "abc", "", "路演", "", "", "开花", "", "不存在的局"]]
    report = run(world, zone, workbook(rows), dry_run=False)
    assert not report.committed
    assert count(world) == 0
    described = [p.describe() for p in report.problems]
    assert any("第 5 行“总投资（亿元）”列（值：abc）" in d for d in described), described
    assert any("第 5 行“项目来源”列（值：路演）" in d for d in described)
    assert any("第 5 行“阶段”列（值：开花）" in d for d in described)
    assert any("第 5 行“负责小组”列（值：不存在的局）" in d for d in described)


def test_a_row_the_service_refuses_is_reported_by_row(world, zone):
    rows = [[*GOOD[0][:7], "签约", "2026-05-08", "驻沪招商组"]]  # another team's project
    report = run(world, zone, workbook(rows), dry_run=True)
    assert [p.row for p in report.problems] == [3]
    assert "只能为本小组登记项目" in report.problems[0].reason
    assert report.problems[0].column == "负责小组"


def test_an_amount_off_by_ten_thousand_is_flagged_and_written_only_when_confirmed(world, zone):
    rows = [
        GOOD[0],
        ["万元误填项目", "丁有限公司", "120000", "", "平台推荐", "", "", "线索", "", ""],
    ]
    data = workbook(rows)
    check = run(world, zone, data, dry_run=True)
    assert not check.problems
    assert [(f.row, f.value) for f in check.flags] == [(4, "120000")]
    assert "疑似按万元填写（按万元即 12 亿元）" in check.flags[0].reason
    assert not check.ready
    refused = run(world, zone, data, dry_run=False)
    assert not refused.committed
    assert count(world) == 0
    done = run(world, zone, data, dry_run=False, confirm={4})
    assert done.committed
    wan = world.scalar(
        sa.select(InvestmentProject.amount_wan).where(InvestmentProject.name == "万元误填项目")
    )
    assert wan == 120_000  # 12 亿元


def test_a_money_header_without_unit_and_a_missing_column_are_refused(world, zone):
    headers = ["项目名称", "企业名称", "总投资"]
    report = run(world, zone, workbook([["某项目", "某公司", "3"]], headers), dry_run=True)
    assert any("须注明单位" in p.reason for p in report.problems)
    report = run(
        world, zone, workbook([["某项目", "某公司"]], ["项目名称", "企业名称"]), dry_run=True
    )
    assert any("缺少“总投资”列" in p.reason for p in report.problems)


def test_a_duplicate_row_and_a_project_already_in_the_pipeline_are_refused(world, zone):
    run(world, zone, workbook(GOOD[:1]), dry_run=False)
    report = run(world, zone, workbook([GOOD[0], GOOD[1], GOOD[1]]), dry_run=True)
    reasons = {(p.row, p.reason) for p in report.problems}
    assert (3, "项目库中已有同名项目（同一企业）") in reasons
    assert (5, "与第 4 行重复") in reasons


def test_analysts_and_firms_may_not_import(world, zone):
    for user in ("analyst", "firm_user"):
        with pytest.raises(PermissionDenied):
            run(world, zone, workbook(GOOD), dry_run=True, user=user)


def test_the_import_pages_check_then_confirm(world, zone, make_client):
    client = make_client()
    login(client, "officer_a")
    assert "下载导入模板" in client.get("/investment/import").text
    template = client.get("/investment/import/template.xlsx")
    assert template.status_code == 200
    token = page_csrf(client, "/investment/import")
    rows = [
        GOOD[0],
        ["万元误填项目", "丁有限公司", "120000", "", "平台推荐", "", "", "线索", "", ""],
    ]
    checked = client.post(
        "/investment/import", data={"csrf_token": token},
        files={"file": ("台账.xlsx", workbook(rows))},
    )  # fmt: skip
    assert checked.status_code == 200
    assert "疑似按万元填写" in checked.text
    commit = checked.text.split('action="/investment/import/')[1].split("/commit")[0]
    done = client.post(
        f"/investment/import/{commit}/commit", data={"csrf_token": token, "confirm": "4"}
    )
    assert "已导入 2 个项目" in done.text
    assert count(world) == 2
