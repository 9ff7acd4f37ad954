"""The industry talent map: demand (posts) against supply (people who consented to statistics)
per chain node and occupation, the scarcity index 1–5 and the 紧缺人才目录 workbook."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from tests.conftest import SYSTEM
from tests.talent.conftest import identity, person
from wulian.chains import service as chains
from wulian.core.errors import PermissionDenied
from wulian.talent import scarcity, service

known = st.one_of(st.none(), st.floats(0, 20))


@given(
    supply=st.integers(0, 500), extra=st.integers(1, 500), demand=st.integers(1, 500),
    education=st.one_of(st.none(), st.floats(0, 4)), years=known, salary=known,
)  # fmt: skip
def test_the_index_stays_in_1_to_5_and_more_supply_never_raises_it(
    supply, extra, demand, education, years, salary
):
    kw = {"education_rank": education, "experience_years": years, "salary_relative": salary}
    low = scarcity.rate(supply=supply, demand=demand, **kw)
    high = scarcity.rate(supply=supply + extra, demand=demand, **kw)
    assert 1 <= high.index <= low.index <= 5


@given(demand=st.integers(1, 100), years=st.floats(0, 20), more=st.floats(0, 10))
def test_harder_requirements_never_lower_the_index(demand, years, more):
    base = scarcity.rate(supply=demand, demand=demand, experience_years=years)
    harder = scarcity.rate(supply=demand, demand=demand, experience_years=years + more)
    assert harder.index >= base.index


def test_the_documented_extremes():
    assert scarcity.rate(supply=0, demand=10).index == 5
    assert scarcity.rate(supply=40, demand=10).index == 1
    assert scarcity.rate(supply=0, demand=0).index is None  # no demand, no rating
    full = scarcity.rate(supply=1, demand=10, education_rank=4, experience_years=8,
                         salary_relative=2)  # fmt: skip
    assert full.scores == {"ratio": 5, "education": 5, "experience": 5, "salary": 5}
    # unknown inputs are left out, not scored as zero
    assert scarcity.rate(supply=1, demand=10).scores == {"ratio": 5}


@pytest.fixture
def mapped(world, zone):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    firm = zone.actor(world, "firm_a_user")
    for serial, code in ((1, "2-02-29-03"), (2, "2-02-29-03"), (3, "6-07-01-03")):
        person(
            world, firm, identity_number=identity(serial), chain="lithium", node="cathode",
            occupation_code=code,
        )  # fmt: skip
    person(  # consented to nothing statistical: not counted
        world, firm, identity_number=identity(4), chain="lithium", node="cathode",
        occupation_code="6-07-01-03", consents={"matching": dt.date(2026, 6, 1)},
    )  # fmt: skip

    def post(title, code, openings, **kw):
        data = service.NewPost(title=title, openings=openings, occupation_code=code,
                               chain="lithium", node="cathode", **kw)  # fmt: skip
        world.run(lambda s: service.create_post(s, actor=firm, data=data))

    post("正极材料研发工程师", "2-02-29-03", 1, education="本科", salary_min_yuan=150_000,
         salary_max_yuan=250_000)  # fmt: skip
    post("造纸工艺工程师", "6-07-01-03", 10, education="硕士", experience_years=5,
         salary_min_yuan=300_000, salary_max_yuan=500_000)  # fmt: skip
    return zone


def test_demand_and_supply_per_node_and_occupation(world, mapped):
    cells = world.run(lambda s: service.talent_map(s, actor=mapped.actor(world, "analyst")))
    by_code = {c.occupation_code: c for c in cells}
    scarce, balanced = by_code["6-07-01-03"], by_code["2-02-29-03"]
    assert (scarce.demand, scarce.supply) == (10, 1)
    assert (balanced.demand, balanced.supply) == (1, 2)
    assert scarce.chain_name == "锂电新材料"
    assert scarce.node_name == "正极材料"
    assert scarce.index == 5
    assert scarce.level == "极度紧缺"
    assert balanced.index == 2
    assert cells[0] is scarce  # most scarce first
    assert scarce.salary == "40 万元/年"
    assert balanced.education == "大学本科"


def test_the_map_is_for_zone_staff_only(world, mapped):
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.talent_map(s, actor=mapped.actor(world, "firm_a_user")))
    cells = world.run(lambda s: service.talent_map(s, actor=mapped.actor(world, "other_officer")))
    assert cells  # counts only: any staff with talent.read


def test_the_shortage_catalogue_workbook(world, mapped):
    data = world.run(
        lambda s: service.shortage_catalogue_xlsx(s, actor=mapped.actor(world, "analyst"))
    )
    sheet = (
        CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_name("紧缺人才目录").to_python()
    )
    assert sheet[0] == service.CATALOGUE_HEADERS
    assert len(sheet) == 2  # only the scarce occupation (index ≥ 3)
    row = sheet[1]
    assert row[:3] == ["锂电新材料", "正极材料", "6-07-01-03"]
    assert row[4:7] == [10, 1, "0.10"]
    assert row[-2:] == [5, "极度紧缺"]
