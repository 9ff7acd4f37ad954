"""Opportunity industries from the registry: the zone against the external firms' regions by
GB/T class, the missing classes ranked by a preset, with the strategy statement; firms without
a class, region or revenue are left out and counted; kept per registry state; staff only."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.investment.test_atlas import actor
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises.models import Enterprise
from wulian.enterprises.uscc import synthetic
from wulian.investment import opportunities
from wulian.reference.models import Industry, Region

CLASSES = {
    "2921": "塑料薄膜制造",
    "3612": "新能源车整车制造",
    "3841": "锂离子电池制造",
    "3985": "电子专用材料制造",
    "2614": "有机化学原料制造",
    "3311": "结构性金属制品制造",
}
# nested: each region makes the first n classes (the zone the first three)
REGIONS = {"zone": 3, "330108": 1, "320506": 2, "440305": 4, "340104": 5, "370202": 6}


@pytest.fixture
def registry(world):
    codes = list(CLASSES)
    firms = []
    n = 0
    for region, made in REGIONS.items():
        for code in codes[:made]:
            n += 1
            firms.append((world.enterprise(f"机会{n}有限公司", code=synthetic(700 + n),
                                           in_zone=region == "zone"), code, region))  # fmt: skip
    stray = world.enterprise("无代码有限公司", code=synthetic(699), in_zone=False)

    def write(session):
        for code, name in CLASSES.items():
            if session.get(Industry, code) is None:
                session.add(Industry(code=code, name=name, parent_code=None, level=4))
        for code in REGIONS:
            if code != "zone" and session.get(Region, code) is None:
                session.add(Region(code=code, name=code, level=3, parent_code=None))
        session.flush()
        for fid, code, region in firms:
            firm = session.get(Enterprise, fid)
            firm.industry_code = code
            firm.region_code = None if region == "zone" else region
        session.get(Enterprise, stray).region_code = "330108"

    world.run(write)
    world.user("analyst", Role.ANALYST)
    world.user("officer_a", Role.OFFICER, department_id=world.department("investment", "招商局"))
    world.user("firm_user", Role.ENTERPRISE, enterprise_id=firms[0][0])
    return firms


def found(world, username="analyst", **options):
    who = actor(world, username)
    return world.run(lambda s: opportunities.opportunity_industries(s, actor=who, **options))


def test_missing_classes_are_ranked_with_the_strategy(world, registry):
    by_count = found(world, weight="count", preset="low-hanging")
    assert by_count.problem is None
    assert by_count.used == len(registry)
    assert by_count.regions == 6  # the zone and five prefectures
    assert by_count.left_out == {"没有四位行业代码": 1}
    codes = [i.code for i in by_count.industries]
    assert sorted(codes) == ["2614", "3311", "3985"]  # the classes the zone does not make
    assert by_count.industries[0].rank == 1
    assert by_count.industries[0].score >= by_count.industries[-1].score
    assert {i.code: i.name for i in by_count.industries}["3985"] == "电子专用材料制造"
    assert by_count.preset_label == "低垂果实"
    assert by_count.statement
    assert found(world, weight="count", preset="low-hanging") is by_count  # kept
    by_revenue = found(world, weight="revenue")  # no revenue known: left out, never 0
    assert by_revenue.left_out == {"没有四位行业代码": 1, "营收未知": len(registry)}
    assert by_revenue.industries == []
    assert "无法计算机会行业" in by_revenue.problem


def test_an_empty_registry_says_why_there_is_no_ranking(world):
    world.user("analyst2", Role.ANALYST)
    got = found(world, "analyst2", weight="count")
    assert got.industries == []
    assert "无法计算机会行业" in got.problem


@pytest.mark.parametrize(
    ("options", "message"),
    [({"weight": "profit"}, "没有“profit”这种权重"), ({"preset": "moon"}, "没有“moon”这种方案")],
)
def test_bad_options_are_refused_in_chinese(world, registry, options, message):
    with pytest.raises(InvalidInput) as refused:
        found(world, **options)
    assert message in refused.value.message


def test_staff_see_the_page_and_a_firm_user_does_not(world, registry, make_client):
    with pytest.raises(PermissionDenied):
        found(world, "firm_user")
    client = make_client()
    login(client, "officer_a")
    page = client.get("/investment/opportunities?weight=count&preset=long-jump")
    assert page.status_code == 200
    assert "战略说明" in page.text
    assert "长跳" in page.text
    assert 'id="to-opportunities"' in client.get("/investment/atlas").text
    assert client.get("/investment/opportunities?weight=x").status_code == 422
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/investment/opportunities").status_code == 403
