"""Reference data: the GB/T 4754 taxonomy import, units and the metric catalogue."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SYSTEM
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidFile, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.reference import catalogue, units
from wulian.reference import service as reference_service
from wulian.reference.models import Industry, IndustryTag, Metric


def _import_full(world, shared_data):
    folder = shared_data / "gbt4754"
    return world.run(
        lambda session: reference_service.import_gbt4754(
            session,
            actor=SYSTEM,
            notes=folder / "gbt4754_2017_notes.csv",
            tags=folder / "industry_special_tags.csv",
            strategic=folder / "strategic_emerging_2018_to_gbt4754.csv",
        )
    )


def test_the_full_official_table_loads_with_its_tags(world, shared_data):
    result = _import_full(world, shared_data)
    assert (result.industries, result.leaves, result.removed) == (1972, 1382, 0)
    levels = dict(
        world.engine.connect()
        .execute(sa.select(Industry.level, sa.func.count()).group_by(Industry.level))
        .all()
    )
    assert levels == {1: 20, 2: 97, 3: 473, 4: 1382}
    with world.engine.connect() as conn:
        battery = conn.execute(sa.select(Industry).where(Industry.code == "3841")).one()
        assert battery.name == "锂离子电池制造"
        assert battery.parent_code == "384"
        tags = set(conn.scalars(sa.select(IndustryTag.tag).where(IndustryTag.code == "3841")))
    assert "strategic" in tags
    assert result.tags > 1300
    # Loading the same files again changes nothing and removes nothing.
    again = _import_full(world, shared_data)
    assert again == result
    actions = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "reference.import")
    )
    assert actions == 2


def _write(tmp_path, text, name="gbt.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD = (
    "code,name,parent_code,level,notes\n"
    "C,制造业,,1,\n"
    "38,电气机械和器材制造业,C,2,\n"
    "384,电池制造,38,3,\n"
    "3841,锂离子电池制造,384,4,◇ 包括\n"
)


def test_a_small_gbk_table_loads_and_a_leaf_is_found(world, tmp_path):
    path = _write(tmp_path, GOOD, encoding="gb18030")
    result = world.run(lambda s: reference_service.import_gbt4754(s, actor=SYSTEM, notes=path))
    assert (result.industries, result.leaves) == (4, 1)

    def lookups(session):
        assert reference_service.get_leaf_or_raise(session, code="3841").name == "锂离子电池制造"
        with pytest.raises(NotFound, match="应填写四位小类代码"):
            reference_service.get_leaf_or_raise(session, code="384")
        with pytest.raises(NotFound, match="没有代码“9999”"):
            reference_service.get_leaf_or_raise(session, code="9999")

    world.run(lookups)


@pytest.mark.parametrize(
    ("text", "row", "column", "reason"),
    [
        (GOOD + "3842,镍氢电池制造,384,5,\n", 6, "level", "层级应为 1–4"),
        (GOOD + "3841,重复,384,4,\n", 6, "code", "代码重复"),
        (GOOD + "38A1,错误,384,4,\n", 6, "code", "小类代码格式不正确"),
        (GOOD + "3851,家用电器,385,4,\n", 6, "parent_code", "上级应为已列出的中类"),
        (GOOD + "3842,,384,4,\n", 6, "name", "名称不能为空"),
        (GOOD.replace("C,制造业,,1,", "C,制造业,X,1,"), 2, "parent_code", "门类不应有上级"),
    ],
)
def test_bad_tables_are_refused_with_row_and_column_and_change_nothing(
    world, tmp_path, text, row, column, reason
):
    path = _write(tmp_path, text)
    with pytest.raises(InvalidFile) as info:
        world.run(lambda s: reference_service.import_gbt4754(s, actor=SYSTEM, notes=path))
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (row, column)
    assert reason in problem.reason
    assert "未写入任何数据" in info.value.message
    assert world.scalar(sa.select(sa.func.count(Industry.code))) == 0


def test_missing_columns_and_unknown_tag_codes_are_refused(world, tmp_path):
    bad = _write(tmp_path, "code,name\nC,制造业\n")
    with pytest.raises(InvalidFile, match="缺少这一列"):
        world.run(lambda s: reference_service.import_gbt4754(s, actor=SYSTEM, notes=bad))
    notes = _write(tmp_path, GOOD)
    tags = _write(
        tmp_path,
        "gbt_code,gbt_name,tag,tag_name,partial_star,category_path,note\n"
        "3841,锂离子电池制造,strategic,战略性新兴产业,0,新能源,\n"
        "9999,不存在,strategic,战略性新兴产业,0,新能源,\n",
        name="tags.csv",
    )
    with pytest.raises(InvalidFile) as info:
        world.run(
            lambda s: reference_service.import_gbt4754(s, actor=SYSTEM, notes=notes, tags=tags)
        )
    assert info.value.problems[0].row == 3
    assert info.value.problems[0].value == "9999"
    assert world.scalar(sa.select(sa.func.count(Industry.code))) == 0


def test_only_administrators_load_reference_data(world, tmp_path):
    path = _write(tmp_path, GOOD)
    analyst = Actor(
        kind="user", id=9, label="a", role=Role.ANALYST, permissions=ROLE_PERMISSIONS[Role.ANALYST]
    )
    with pytest.raises(PermissionDenied):
        world.run(lambda s: reference_service.import_gbt4754(s, actor=analyst, notes=path))


# ---------------------------------------------------------------- metrics


def test_catalogue_covers_the_inputs_evaluations_need():
    keys = {spec.key for spec in catalogue.shipped()}
    required = {
        # innovation points: the national indicators and their inputs
        "rd_expense",
        "rd_expense_growth",
        "rd_intensity",
        "tech_staff_share",
        "invention_patent_applications",
        "pct_applications",
        "tech_contract_value",
        "hightech_product_revenue",
        "revenue",
        "revenue_growth",
        "postgraduate_share",
        "rd_deduction_tax_relief",
        "return_on_equity",
        "new_graduates_hired",
        "provincial_platforms",
        "provincial_awards",
        # per-mu efficiency inputs
        "tax_paid",
        "industrial_value_added",
        "land_area",
        "energy_use",
        "electricity_use",
        "emissions",
        "staff_average",
        # cultivation ladder inputs
        "staff_total",
        "tech_staff",
        "rd_expense_domestic",
        "main_business_revenue",
        "total_assets",
        "total_cost",
        "debt_ratio",
        "ip_class1_count",
        "ip_class2_count",
        "postgraduate_staff",
        "net_assets",
        "net_profit",
        "equity_financing",
    }
    assert required <= keys


def test_bad_catalogue_entries_are_refused_with_their_position():
    with pytest.raises(InvalidInput, match="第 2 个指标（x2）无效"):
        catalogue.parse(
            "- {key: x1, name: 甲, unit: 万元, type: number}\n"
            "- {key: x2, name: 乙, unit: 斤, type: number}\n"
        )
    with pytest.raises(InvalidInput, match="第 2 行第 1 列"):
        catalogue.parse("- key: [unclosed\n")
    with pytest.raises(InvalidInput, match="指标键重复：x1"):
        catalogue.parse("- {key: x1, name: 甲, unit: 万元, type: number}\n" * 2)
    with pytest.raises(InvalidInput, match="formula"):
        catalogue.parse("- {key: x1, name: 甲, unit: 比例, type: ratio, kind: indicator}\n")


def test_sync_metrics_fills_the_table_once(world):
    first = world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    assert first.added == len(catalogue.shipped())
    second = world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    assert (second.added, second.updated) == (0, 0)
    with world.engine.connect() as conn:
        land = conn.execute(sa.select(Metric).where(Metric.key == "land_area")).one()
    assert (land.name, land.unit, land.kind) == ("用地面积", "亩", "input")


# ---------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("元", "万元", 1e-4),
        ("千元", "万元", 0.1),
        ("亿元", "万元", 1e4),
        ("%", "比例", 0.01),
        ("平方米", "亩", 0.0015),
        ("公顷", "亩", 15),
        ("千瓦时", "万千瓦时", 1e-4),
        ("千克标准煤", "吨标准煤", 0.001),
        ("公斤", "吨", 0.001),
    ],
)
def test_unit_factors(source, target, expected):
    assert math.isclose(units.factor(source, target), expected)


def test_666_point_67_square_metres_are_one_mu():
    assert math.isclose(10000 / 15 * units.factor("平方米", "亩"), 1.0)


def test_units_of_another_kind_are_refused_in_chinese():
    with pytest.raises(InvalidInput, match="单位“亩”不能换算为“万元”：应为金额"):
        units.factor("亩", "万元")
    with pytest.raises(InvalidInput, match="不认识的单位“斤”"):
        units.factor("斤", "吨")


@given(st.sampled_from(sorted(units.UNITS)), st.sampled_from(sorted(units.UNITS)))
def test_conversion_round_trips(a, b):
    if units.unit(a).family != units.unit(b).family:
        return
    assert math.isclose(units.factor(a, b) * units.factor(b, a), 1.0)
