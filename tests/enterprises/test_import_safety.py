"""Imports never silently damage good data: sharp changes and other firms' names are warnings
that an officer confirms, a value never displaces a verified or more trusted one, the counts of
a report agree with each other, and uploads waiting for confirmation expire."""

from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest
import python_calamine
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.enterprises.test_imports import A, B, current, run_facts, xlsx
from wulian.core.errors import NotFound
from wulian.core.uploads import Uploads
from wulian.enterprises import facts, importreport
from wulian.enterprises.models import Enterprise, Fact, FactStatus
from wulian.reference import catalogue
from wulian.reference import service as reference_service

# The demo's fault: a verified tax revenue of 260,280.8 万元 replaced by 668.7 (a 千元 column).
VERIFIED = 260_280.8


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    return {
        "a": world.enterprise("衢州甲材料有限公司", code=A),
        "b": world.enterprise("衢州乙科技有限公司", code=B),
    }


def put(world, enterprise_id, value, *, metric="revenue", source="tax", verify=True):
    def write(session):
        fact = facts.record(
            session,
            actor=SYSTEM,
            enterprise_id=enterprise_id,
            metric_key=metric,
            period="2024",
            value=value,
            source=source,
            as_of=dt.date(2025, 4, 30),
        )
        if verify:
            facts.verify(session, actor=SYSTEM, fact_id=fact.id)
        return fact.id

    return world.run(write)


def tax_file(*rows):
    return xlsx([["纳税人识别号", "纳税人名称", "营业收入（千元）"], *rows])


def current_rows(world, enterprise_id, metric="revenue"):
    return sorted(
        world.run(
            lambda s: [
                (f.value, f.status.value)
                for f in s.scalars(
                    sa.select(Fact).where(
                        Fact.enterprise_id == enterprise_id,
                        Fact.is_current == sa.true(),
                        Fact.metric.has(key=metric),
                    )
                )
            ]
        )
    )


def test_a_sharp_change_is_a_warning_with_old_and_new_and_is_not_written_unconfirmed(world, zone):
    put(world, zone["a"], VERIFIED)
    put(world, zone["b"], 1000.0)
    data = tax_file([A, "衢州甲材料有限公司", 6687], [B, "衢州乙科技有限公司", 10_500])
    report = run_facts(world, data)
    assert report.ok  # not a problem: the value may be right
    assert not report.committed  # but nothing is written until the row is confirmed
    assert "待确认" in report.summary()
    [flag] = report.flags
    assert (flag.row, flag.kind, flag.firm, flag.code) == (
        2,
        importreport.SHARP_CHANGE,
        "衢州甲材料有限公司",
        A,
    )
    assert (flag.old, flag.new, flag.metric, flag.unit) == (VERIFIED, 668.7, "营业收入", "万元")
    assert flag.change == "-99.7%"
    assert flag.old_source == "税务部门（已核实）"
    assert current(world) == {zone["a"]: VERIFIED, zone["b"]: 1000.0}

    partial = run_facts(world, data, partial=True)  # unconfirmed rows are skipped
    assert partial.committed
    assert "未确认警告的 1 行已跳过" in partial.summary()
    assert current_rows(world, zone["a"]) == [(VERIFIED, "verified")]


def test_a_confirmed_change_is_stored_beside_the_verified_value_until_it_is_verified(world, zone):
    put(world, zone["a"], VERIFIED)
    data = tax_file([A, "衢州甲材料有限公司", 6687])
    report = run_facts(world, data, confirm_rows={2})
    assert report.committed
    assert (report.added, report.superseded, report.beside) == (0, 0, 1)
    assert current_rows(world, zone["a"]) == [(668.7, "reported"), (VERIFIED, "verified")]
    assert current(world) == {zone["a"]: VERIFIED, zone["b"]: None}  # evaluations keep it

    again = run_facts(world, data)  # the same file again: nothing new, nothing to confirm
    assert again.committed
    assert not again.flags
    assert (again.added, again.superseded, again.beside, again.unchanged) == (0, 0, 0, 1)

    queue = world.run(lambda s: [f.value for f in facts.pending_reviews(s, actor=SYSTEM).items])
    assert queue == [668.7]  # it waits for an officer beside the verified value
    new_id = world.scalar(sa.select(Fact.id).where(Fact.value == 668.7))
    world.run(lambda s: facts.verify(s, actor=SYSTEM, fact_id=new_id))
    assert current_rows(world, zone["a"]) == [(668.7, "verified")]
    assert current(world)[zone["a"]] == 668.7


def test_a_verified_value_is_not_replaced_by_a_report_of_its_own_source(world, zone):
    put(world, zone["a"], 1000.0)
    report = run_facts(world, tax_file([A, "衢州甲材料有限公司", 11_000]))  # +10 %: no warning
    assert report.committed
    assert not report.flags
    assert report.beside == 1
    assert current(world)[zone["a"]] == 1000.0
    fact_id = put(world, zone["a"], 1200.0, verify=False)  # a single value (API, form) too
    assert current(world)[zone["a"]] == 1000.0
    assert current_rows(world, zone["a"]) == [(1000.0, "verified"), (1200.0, "reported")]
    world.run(lambda s: facts.verify(s, actor=SYSTEM, fact_id=fact_id))
    assert current(world)[zone["a"]] == 1200.0


def test_a_lower_priority_source_is_stored_beside_the_value_in_use(world, zone):
    put(world, zone["a"], 1000.0, verify=False)  # tax, reported
    report = run_facts(world, tax_file([A, "衢州甲材料有限公司", 12_000]), source="officer")
    assert report.committed
    assert (report.added, report.beside) == (0, 1)
    assert current(world)[zone["a"]] == 1000.0
    values = world.run(lambda s: facts.firm_values(s, actor=SYSTEM, enterprise_id=zone["a"]))
    chosen = values["revenue"]["2024"]
    assert (chosen.fact.value, chosen.alternatives) == (1000.0, 1)


def test_bounds_come_from_the_catalogue_by_metric_and_settings_override_them(world, zone):
    bounds = catalogue.change_bounds()
    assert bounds["revenue"].ratio == 3
    assert bounds["debt_ratio"].jump == 0.2
    assert bounds["debt_ratio"].ratio is None
    assert bounds["invention_patent_applications"].floor == 10  # small counts move freely
    frame = pl.DataFrame({"old": [100.0, 100.0, 0.5, 2.0], "new": [34.0, 33.0, 0.75, 9.0]})
    revenue = bounds["revenue"]
    assert frame.select(
        catalogue.sharp(pl.col("old"), pl.col("new"), revenue.ratio, revenue.jump, revenue.floor)
    ).to_series().to_list() == [False, True, False, True]
    debt = bounds["debt_ratio"]
    assert frame.select(
        catalogue.sharp(pl.col("old"), pl.col("new"), debt.ratio, debt.jump, debt.floor)
    ).to_series().to_list() == [True, True, True, True]
    assert not frame.select(catalogue.sharp(pl.lit(2.0), pl.lit(9.0), 3.0, None, 10.0)).item()
    tight = catalogue.change_bounds({"revenue": {"ratio": 1.1}})
    assert tight["revenue"].ratio == 1.1

    put(world, zone["a"], 1000.0)
    data = tax_file([A, "衢州甲材料有限公司", 11_500])  # +15 %
    assert not run_facts(world, data, dry_run=True).flags
    flagged = run_facts(world, data, dry_run=True, bounds=tight)
    assert [f.change for f in flagged.flags] == ["+15.0%"]
    with pytest.raises(Exception, match="不在指标目录中"):
        catalogue.change_bounds({"no_such_metric": {"ratio": 2}})


def test_a_code_registered_under_another_name_is_a_warning_with_both_names(world, zone):
    def rename(session):
        firm = session.get(Enterprise, zone["b"])
        firm.former_names = ["衢州旧名科技有限公司"]

    world.run(rename)
    data = tax_file(
        [A, "衢州乙科技有限公司", 5000],  # B's name beside A's code
        [B, "衢州旧名科技有限责任公司", 6000],  # a former name (folded): fine
    )
    report = run_facts(world, data)
    assert not report.committed
    [flag] = report.flags
    assert (flag.row, flag.kind) == (2, importreport.OTHER_NAME)
    assert "衢州甲材料有限公司" in flag.reason
    assert "衢州乙科技有限公司" in flag.reason
    assert current(world) == {zone["a"]: None, zone["b"]: None}

    book = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(importreport.report_xlsx(report))
    )
    warnings = book.get_sheet_by_name("警告清单").to_python()
    assert warnings[0][:4] == ["行号", "企业名称", "统一社会信用代码", "类型"]
    assert warnings[1][:4] == [2.0, "衢州甲材料有限公司", A, importreport.OTHER_NAME]

    confirmed = run_facts(world, data, confirm_all=True)
    assert confirmed.committed
    assert current(world) == {zone["a"]: 500.0, zone["b"]: 600.0}


def test_the_downloadable_report_names_the_firm_of_each_problem(world, zone):
    data = tax_file([A, "衢州甲材料有限公司", "一千"], [B, "衢州乙科技有限公司", -5])
    report = run_facts(world, data)
    book = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(importreport.report_xlsx(report))
    )
    problems = book.get_sheet_by_name("问题清单").to_python()
    assert problems[0][:3] == ["行号", "企业名称", "列"]
    assert [row[:2] for row in problems[1:]] == [
        [2.0, "衢州甲材料有限公司"],
        [3.0, "衢州乙科技有限公司"],
    ]


def test_counts_agree_with_each_other_and_say_when_the_list_is_capped(world, zone, monkeypatch):
    monkeypatch.setattr(importreport, "MAX_PROBLEMS", 5)
    bad = "91330800MA2A00001X"
    rows = [[bad, "坏代码公司", 10, 1]] * 8 + [[A, "衢州甲材料有限公司", "abc", "x"]]
    rows += [[B, "衢州乙科技有限公司", 100, 5]]
    data = xlsx([["统一社会信用代码", "企业名称", "营业收入（万元）", "研发费用（万元）"], *rows])
    report = run_facts(world, data, partial=True)
    assert report.problem_count == 10  # 8 codes, 2 numbers
    assert len(report.problems) == 5
    assert sum(count for _, count in report.counts_by_kind()) == report.problem_count
    assert dict(report.counts_by_kind()) == {importreport.BAD_CODE: 8, importreport.NOT_NUMBER: 2}
    assert report.rows_rejected == 9  # every row with a problem, listed or not
    assert "只列出前 5 处（共 10 处）" in report.capped_note()
    assert "发现 10 处问题（涉及 9 行）" in report.summary()
    # partial writes only the clean row: a problem beyond the list still keeps its row out
    assert current(world) == {zone["a"]: None, zone["b"]: 100.0}
    summary = (
        python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(importreport.report_xlsx(report)))
        .get_sheet_by_name("导入概况")
        .to_python()
    )
    lines = {row[0]: row[1] for row in summary if row and row[0]}
    assert lines["问题数"] == 10
    assert lines["问题：代码无效"] == 8
    assert "只列出前 5 处" in lines["清单说明"]


def test_unconfirmed_uploads_and_their_reports_expire(tmp_path):
    now = [dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)]
    uploads = Uploads(tmp_path / "uploads", dt.timedelta(hours=24), clock=lambda: now[0])
    token = uploads.save(data=b"file", meta={"actor": "user:1"}, report=b"xlsx")
    used = uploads.save(data=b"file2", meta={"actor": "user:1"}, report=b"xlsx2")
    uploads.used(used)  # imported: the file goes at once, the report stays for now
    assert json.loads((tmp_path / "uploads" / f"{token}.json").read_text())["actor"] == "user:1"
    now[0] += dt.timedelta(hours=23, minutes=59)
    assert uploads.purge() == 0
    assert uploads.data(token) == b"file"
    assert uploads.report(used).read_bytes() == b"xlsx2"
    with pytest.raises(NotFound):
        uploads.data(used)
    now[0] += dt.timedelta(minutes=1)
    with pytest.raises(NotFound):
        uploads.data(token)  # refused the moment it expires, purged or not
    assert uploads.purge() == 1  # the other one
    assert list((tmp_path / "uploads").iterdir()) == []


def test_self_reports_show_a_sharp_change_in_the_review(world, zone):
    put(world, zone["a"], VERIFIED)
    put(world, zone["a"], 1500.0, source="self", verify=False)
    put(world, zone["b"], 1000.0)
    put(world, zone["b"], 1100.0, source="self", verify=False)

    def changes(session):
        pending = facts.pending_reviews(session, actor=SYSTEM).items
        found = facts.review_changes(session, actor=SYSTEM, pending=pending)
        return {f.enterprise_id: (found[f.id].old.value, found[f.id].sharp) for f in pending}

    assert world.run(changes) == {zone["a"]: (VERIFIED, True), zone["b"]: (1000.0, False)}
    status = world.scalar(sa.select(Fact.status).where(Fact.value == VERIFIED))
    assert status == FactStatus.VERIFIED
