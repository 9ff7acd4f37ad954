"""Imports of real-looking government spreadsheets: xlsx and GBK CSV, wide and long, every kind
of problem, all-or-nothing, partial, dry run, idempotence, aliases added by an administrator."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import python_calamine
import sqlalchemy as sa
import xlsxwriter

from tests.conftest import SYSTEM
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidFile, PermissionDenied
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.enterprises import facts, importreport, imports, registry_import
from wulian.enterprises.models import Enterprise, EnterpriseTag, Fact
from wulian.enterprises.uscc import synthetic
from wulian.reference import aliases
from wulian.reference import service as reference_service

A, B, C = synthetic(1), synthetic(2), synthetic(3)


def xlsx(rows: list[list[object]], title: str | None = None) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("数据")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    offset = 0
    if title:
        sheet.write(0, 0, title)
        offset = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r + offset, c, dt.datetime.combine(value, dt.time()), dates)
            elif value is not None:
                sheet.write(r + offset, c, value)
    workbook.close()
    return buffer.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str) -> bytes:
    text = "\r\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
    return text.encode(encoding)


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    return {
        "a": world.enterprise("衢州甲材料有限公司", code=A),
        "b": world.enterprise("衢州乙科技有限公司", code=B),
    }


def run_facts(world, data, filename="税务.xlsx", **options):
    options.setdefault("period", "2024")
    options.setdefault("source", "tax")
    return world.run(
        lambda s: imports.import_facts(
            s, actor=SYSTEM, data=data, filename=filename, as_of=dt.date(2025, 5, 1), **options
        )
    )


def current(world, metric="revenue", period="2024"):
    def read(session):
        matrix = facts.build_matrix(session, actor=SYSTEM, metrics=[metric], period=period)
        return dict(matrix.frame.iter_rows())

    return world.run(read)


def fact_count(world):
    return world.scalar(sa.select(sa.func.count(Fact.id)))


def test_a_wide_xlsx_with_a_title_row_units_and_aliases_is_imported(world, zone):
    data = xlsx(
        [
            [
                "序号",
                "纳税人识别号",
                "纳税人名称",
                "营业收入（千元）",
                "研发费用(元)",
                "用电量/万度",
            ],
            [1, A, "衢州甲材料有限公司", 123456, 2_500_000, 12.5],
            [2, B, "衢州乙科技有限公司", "98,000", "—", ""],
        ],
        title="2024 年度重点企业主要经济指标（税务局导出）",
    )
    report = run_facts(world, data)
    assert report.problems == []
    assert report.committed
    assert (report.header_row, report.layout, report.rows_total) == (3, "wide", 2)
    assert (report.added, report.missing_values) == (4, 2)
    assert current(world) == {zone["a"]: 12345.6, zone["b"]: 9800.0}  # 千元 → 万元
    assert current(world, "rd_expense") == {zone["a"]: 250.0, zone["b"]: None}  # “—” is unknown
    assert current(world, "electricity_use")[zone["a"]] == 12.5
    mapped = {c.header: c.target for c in report.columns}
    assert mapped["纳税人识别号"] == "统一社会信用代码"
    assert mapped["序号"] == "（忽略）"
    assert "由 千元 换算为 万元" in {c.note for c in report.columns}


def test_a_gbk_csv_in_long_layout_with_a_unit_column(world, zone):
    rows = [
        ["统一社会信用代码", "年度", "指标名称", "数值", "计量单位"],
        [A, "2024年", "营业收入", "1.5", "亿元"],
        [A, "2024", "职工总数", "320", "人"],
        [B, "2023", "营业收入", "800", "万元"],
    ]
    for encoding in ("gbk", "gb18030", "utf-8-sig"):
        report = run_facts(world, csv_bytes(rows, encoding), filename="统计.csv", period=None)
        assert report.ok, report.problems
        assert report.layout == "long"
    assert report.encoding == "UTF-8"
    assert current(world)[zone["a"]] == 15000.0
    assert current(world, "staff_total")[zone["a"]] == 320.0
    assert current(world, period="2023")[zone["b"]] == 800.0
    assert fact_count(world) == 3  # the same file three times (three encodings) wrote once


def test_every_kind_of_problem_is_reported_with_row_column_value_and_nothing_is_written(
    world, zone
):
    data = xlsx(
        [
            [
                "统一社会信用代码",
                "企业名称",
                "营业收入(万元)",
                "研发费用(万元)",
                "职工总数",
                "科技人员数",
                "利润率",
            ],
            [A, "衢州甲材料有限公司", 1000, 1200, 50, 10, 1],  # R&D > revenue
            ["91330800MA2A00001X", "坏代码公司", 10, 1, 5, 1, ""],  # checksum
            [synthetic(99), "园外丙公司", 10, 1, 5, 1, ""],  # not registered
            [
                B,
                "衢州乙科技有限公司",
                "一千",
                1,
                5.5,
                9,
                "",
            ],  # not a number, fraction, tech > staff
            [B, "衢州乙科技有限公司", -5, 1, 5, 1, ""],  # negative, and B twice with other values
        ]
    )
    report = run_facts(world, data)
    assert not report.committed
    assert fact_count(world) == 0
    found = {(p.row, p.column, p.kind) for p in report.problems}
    assert (1, "利润率", importreport.UNKNOWN_HEADER) in found
    assert (2, "研发费用(万元)", importreport.IMPOSSIBLE_KIND) in found
    assert (3, "统一社会信用代码", importreport.BAD_CODE) in found
    assert (4, "统一社会信用代码", importreport.UNKNOWN_FIRM) in found
    assert (5, "营业收入(万元)", importreport.NOT_NUMBER) in found
    assert (5, "职工总数", importreport.OUT_OF_RANGE) in found
    assert (6, "营业收入(万元)", importreport.OUT_OF_RANGE) in found
    assert (5, "研发费用(万元)", importreport.CONFLICT) not in found  # same value twice is fine
    assert (5, "科技人员数", importreport.CONFLICT) in found
    reasons = {p.reason for p in report.problems}
    assert "研发费用大于营业收入" in "".join(reasons)
    assert any(p.value == "91330800MA2A00001X" and "校验位" in p.reason for p in report.problems)
    assert "“营业收入”不能小于 0 万元" in reasons
    # The xlsx report has the same rows, readable by anyone.
    workbook = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(importreport.report_xlsx(report))
    )
    sheet = workbook.get_sheet_by_name("问题清单").to_python()
    assert sheet[0] == ["行号", "企业名称", "列", "值", "问题类型", "原因"]
    assert len(sheet) == len(report.problems) + 1
    assert [2.0, "衢州甲材料有限公司"] in [row[:2] for row in sheet]  # the registered name
    assert dict(report.counts_by_kind())[importreport.UNKNOWN_HEADER] == 1


def test_partial_writes_only_the_clean_rows(world, zone):
    data = xlsx(
        [
            ["统一社会信用代码", "营业收入（万元）", "研发费用（万元）"],
            [A, 1000, 50],
            [B, "abc", 20],
        ]
    )
    report = run_facts(world, data, partial=True)
    assert report.committed
    assert report.rows_rejected == 1
    assert current(world) == {zone["a"]: 1000.0, zone["b"]: None}
    assert current(world, "rd_expense") == {zone["a"]: 50.0, zone["b"]: None}  # whole row skipped
    assert "有问题的行已跳过" in report.summary()


def test_reimporting_changes_nothing_and_a_new_value_supersedes(world, zone):
    first = xlsx([["统一社会信用代码", "营业收入（万元）"], [A, 1000], [B, 2000]])
    assert run_facts(world, first).added == 2
    again = run_facts(world, first)
    assert (again.added, again.superseded, again.unchanged) == (0, 0, 2)
    assert fact_count(world) == 2
    corrected = xlsx([["统一社会信用代码", "营业收入（万元）"], [A, 1100], [B, 2000]])
    report = run_facts(world, corrected)
    assert (report.added, report.superseded, report.unchanged) == (0, 1, 1)
    assert current(world)[zone["a"]] == 1100.0
    history = world.run(
        lambda s: [
            (f.value, f.is_current)
            for f in facts.history(
                s, actor=SYSTEM, enterprise_id=zone["a"], metric_key="revenue", period="2024"
            )
        ]
    )
    assert history == [(1100.0, True), (1000.0, False)]
    events = world.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "import.facts")
    )
    assert events == 3


def test_dry_run_checks_but_writes_nothing(world, zone):
    data = xlsx([["统一社会信用代码", "营业收入（万元）"], [A, 1000]])
    report = run_facts(world, data, dry_run=True)
    assert report.ok
    assert not report.committed
    assert fact_count(world) == 0


def test_unknown_firms_can_be_registered_by_option(world, zone):
    data = xlsx(
        [["统一社会信用代码", "企业名称", "营业收入（万元）"], [C, "衢州丙新能源有限公司", 10]]
    )
    assert not run_facts(world, data).committed
    report = run_facts(world, data, create_firms=True)
    assert report.committed
    assert report.created == 1
    code = world.scalar(sa.select(Enterprise.uscc).where(Enterprise.name == "衢州丙新能源有限公司"))
    assert code == C


def test_firms_are_found_by_name_when_the_code_is_missing(world, zone):
    data = xlsx([["企业名称", "营业收入（万元）"], ["衢州甲材料有限责任公司", 10], ["无名公司", 5]])
    report = run_facts(world, data, partial=True)
    assert current(world)[zone["a"]] == 10.0  # 有限责任公司 ≈ 有限公司
    assert [(p.row, p.kind) for p in report.problems] == [(3, importreport.UNKNOWN_FIRM)]


def test_an_administrator_teaches_a_new_header(world, zone):
    data = xlsx([["统一社会信用代码", "年度销售额（万元）"], [A, 10]])
    report = run_facts(world, data)
    assert [p.kind for p in report.problems] == [importreport.UNKNOWN_HEADER, importreport.MISSING]
    world.run(lambda s: aliases.add_alias(s, actor=SYSTEM, label="年度销售额", target="revenue"))
    assert run_facts(world, data).committed
    assert current(world)[zone["a"]] == 10.0


def test_units_that_cannot_convert_and_percentages_are_refused(world, zone):
    data = xlsx([["统一社会信用代码", "营业收入（亩）", "研发费用（万元）"], [A, 10, 1]])
    report = run_facts(world, data)
    assert [(p.kind, p.value) for p in report.problems] == [(importreport.BAD_UNIT, "亩")]
    data = xlsx([["统一社会信用代码", "营业收入（万元）", "资产负债率"], [A, "5%", "45%"]])
    report = run_facts(world, data, partial=True)
    assert [(p.column, p.reason) for p in report.problems] == [
        ("营业收入（万元）", "百分数只能用于比例类指标")
    ]


def test_broken_files_are_refused_in_chinese(world, zone):
    with pytest.raises(InvalidFile, match="无法读取 Excel 文件"):
        run_facts(world, b"not a workbook", filename="x.xlsx")
    with pytest.raises(InvalidFile, match="只接受"):
        run_facts(world, b"", filename="x.pdf")
    with pytest.raises(InvalidFile, match="表头重复"):
        run_facts(
            world,
            csv_bytes([["统一社会信用代码", "营业收入", "营业收入"]], "utf-8"),
            filename="x.csv",
        )


def test_enterprise_users_cannot_import(world, zone):
    firm = Actor(
        kind="user",
        id=9,
        label="firm",
        role=Role.ENTERPRISE,
        enterprise_id=zone["a"],
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )
    data = xlsx([["统一社会信用代码", "营业收入（万元）"], [A, 1000]])
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: imports.import_facts(
                s, actor=firm, data=data, filename="x.xlsx", period="2024"
            )
        )


# ---------------------------------------------------------------- registry


def test_registry_import_creates_updates_and_tags(world, zone, shared_data, monkeypatch):
    monkeypatch.setattr(registry_import, "BULK", 1)  # a bulk load: the statistics are renewed
    world.run(
        lambda s: reference_service.import_gbt4754(
            s, actor=SYSTEM, notes=shared_data / "gbt4754" / "gbt4754_2017_notes.csv"
        )
    )
    header = [
        "统一社会信用代码",
        "企业名称",
        "法定代表人",
        "成立日期",
        "注册资本（万元）",
        "注册地址",
        "行业代码",
        "所属产业链",
        "用地面积（平方米）",
        "规上",
        "高新技术企业证书编号",
        "高企发证日期",
        "高企有效期至",
        "股票代码",
        "上市交易所",
        "主营产品",
        "经营范围",
    ]
    data = xlsx(
        [
            header,
            [
                A,
                "衢州甲新材料股份有限公司",
                "张三",
                dt.date(2010, 5, 4),
                5000,
                "浙江省衢州市柯城区新新街道1号",
                "2614",
                "氟硅新材料",
                66_667,
                "是",
                "GR202333000123",
                dt.date(2023, 12, 8),
                dt.date(2026, 12, 7),
                "600000",
                "上交所",
                "聚偏氟乙烯、有机硅单体",
                "一般项目：化工产品生产（不含许可类化工产品）；技术服务。",
            ],
            [
                C,
                "衢州丙电子有限公司",
                "李四",
                "2019/3/1",
                "",
                "衢州市衢江区东港路2号",
                "C3973",
                "芯片及传感器",
                "",
                "否",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
        ]
    )
    report = world.run(
        lambda s: registry_import.import_enterprises(
            s, actor=SYSTEM, data=data, filename="名录.xlsx"
        )
    )
    assert report.problems == []
    assert report.committed
    assert (report.created, report.updated) == (1, 1)

    def analysed(session):
        if session.get_bind().dialect.name == "sqlite":
            stat = sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'enterprises'")
            return session.scalar(stat) > 0
        stat = sa.text("SELECT reltuples FROM pg_class WHERE relname = 'enterprises'")
        return session.scalar(stat) >= 0  # -1 until the table is first analysed

    assert world.run(analysed)

    def profile(session):
        a = session.get(Enterprise, zone["a"])
        c = session.scalar(sa.select(Enterprise).where(Enterprise.uscc == C))
        return a, c, {t.tag: t for t in a.tags}

    a, c, tags = world.run(profile)
    assert a.name == "衢州甲新材料股份有限公司"
    assert a.former_names == ["衢州甲材料有限公司"]
    assert (a.region_code, c.region_code) == ("330802", "330803")  # from the address by cpca
    assert (a.industry_code, c.industry_code) == ("2614", "3973")
    assert a.land_area == pytest.approx(100.0, rel=1e-4)  # 平方米 → 亩
    assert a.founded_on == dt.date(2010, 5, 4)
    assert c.founded_on == dt.date(2019, 3, 1)
    assert tags["gaoxin"].number == "GR202333000123"
    assert tags["gaoxin"].valid_to == dt.date(2026, 12, 7)
    assert (tags["listed"].exchange, tags["listed"].number) == ("SSE", "600000")
    assert "guishang" in tags
    assert a.main_products == "聚偏氟乙烯、有机硅单体"
    assert a.business_scope.startswith("一般项目：化工产品生产")
    assert (c.main_products, c.business_scope) == (None, None)
    # The same file again changes nothing.
    again = world.run(
        lambda s: registry_import.import_enterprises(
            s, actor=SYSTEM, data=data, filename="名录.xlsx"
        )
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert world.scalar(sa.select(sa.func.count(EnterpriseTag.id))) == 3


def test_registry_import_refuses_bad_cells(world, zone):
    data = xlsx(
        [
            [
                "统一社会信用代码",
                "企业名称",
                "成立日期",
                "行业代码",
                "区县代码",
                "规上",
                "上市交易所",
            ],
            ["123", "坏公司", "去年", "9999", "999999", "也许", "纳斯达克"],
            [A, "", "", "", "", "", ""],
        ]
    )
    report = world.run(
        lambda s: registry_import.import_enterprises(s, actor=SYSTEM, data=data, filename="x.xlsx")
    )
    assert not report.committed
    columns = {(p.row, p.column) for p in report.problems}
    assert columns >= {
        (2, "统一社会信用代码"),
        (2, "成立日期"),
        (2, "行业代码"),
        (2, "区县代码"),
        (2, "规上"),
        (2, "上市交易所"),
        (3, "企业名称"),
    }
    assert world.scalar(sa.select(sa.func.count(Enterprise.id))) == 2


def test_officers_cannot_import_the_registry(world, zone):
    officer = Actor(
        kind="user", id=3, label="o", role=Role.OFFICER, permissions=ROLE_PERMISSIONS[Role.OFFICER]
    )
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: registry_import.import_enterprises(
                s, actor=officer, data=b"", filename="x.csv"
            )
        )


def test_likely_duplicates_are_flagged_by_folded_name(world, zone):
    from wulian.enterprises import service
    from wulian.enterprises.names import name_key

    assert name_key("衢州甲材料（集团）有限责任公司") == name_key("衢州甲材料(集团) 有限公司")
    assert name_key("衢州甲材料有限公司杭州分公司") != name_key("衢州甲材料有限公司")
    world.enterprise("衢州甲材料有限责任公司")  # no code: likely the same as firm a
    world.enterprise("衢州乙科技有限公司分公司")
    groups = world.run(
        lambda s: [[e.name for e in g] for g in service.likely_duplicates(s, actor=SYSTEM)]
    )
    assert groups == [["衢州甲材料有限公司", "衢州甲材料有限责任公司"]]


def test_a_period_not_yet_begun_or_absurdly_old_is_a_row_problem(world, zone):
    rows = [
        ["统一社会信用代码", "年度", "指标名称", "数值"],
        [A, "2024", "营业收入", "1500"],
        [A, "2099", "营业收入", "1600"],
        [B, "1901", "营业收入", "800"],
    ]
    report = run_facts(world, csv_bytes(rows, "utf-8"), filename="统计.csv", period=None)
    assert [(p.row, p.value, p.reason) for p in report.problems] == [
        (3, "2099", "期间 2099 尚未开始（数据日期 2025-05-01），不能填报未来期间的数据"),
        (4, "1901", "期间 1901 过早：不接受 1990 年以前的数据"),
    ]
    assert fact_count(world) == 0
