"""The registry's read API: firms, names and records as plain values, and one rule for the
titles a firm holds on a date. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.conftest import SYSTEM
from wulian.core.errors import NotFound, PermissionDenied
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.enterprises import read
from wulian.enterprises.models import Enterprise, EnterpriseTag
from wulian.enterprises.uscc import synthetic

FROM, TO = dt.date(2024, 3, 1), dt.date(2027, 2, 28)
DAY = dt.timedelta(days=1)


@pytest.fixture
def firms(world):
    dated = world.enterprise("读取甲有限公司", code=synthetic(901))
    open_start = world.enterprise("读取乙有限公司", code=synthetic(902))
    open_end = world.enterprise("读取丙有限公司")
    outside = world.enterprise("读取园外有限公司", in_zone=False)

    def write(session):
        first = session.get(Enterprise, dated)
        first.industry_code = None
        first.land_area = 12.5
        first.founded_on = dt.date(2010, 5, 1)
        first.chain = "新材料"
        session.add_all([
            EnterpriseTag(enterprise_id=dated, tag="gaoxin", valid_from=FROM, valid_to=TO),
            EnterpriseTag(enterprise_id=dated, tag="guishang"),  # no dates: always held
            EnterpriseTag(enterprise_id=open_start, tag="gaoxin", valid_to=TO),
            EnterpriseTag(enterprise_id=open_end, tag="gaoxin", valid_from=FROM),
        ])  # fmt: skip

    world.run(write)
    return {"dated": dated, "open_start": open_start, "open_end": open_end, "outside": outside}


def held_on(world, day, **kwargs):
    frame = world.run(lambda s: read.titles(s, on=day, **kwargs))
    return {(e, t) for e, t in frame.iter_rows()}


def test_a_title_is_held_from_valid_from_to_valid_to_inclusive(world, firms):
    dated, start, end = firms["dated"], firms["open_start"], firms["open_end"]
    assert held_on(world, FROM - DAY, tags=["gaoxin"]) == {(start, "gaoxin")}
    assert held_on(world, FROM, tags=["gaoxin"]) == {
        (dated, "gaoxin"), (start, "gaoxin"), (end, "gaoxin")
    }  # fmt: skip
    assert held_on(world, TO, tags=["gaoxin"]) == {
        (dated, "gaoxin"), (start, "gaoxin"), (end, "gaoxin")
    }  # fmt: skip
    assert held_on(world, TO + DAY, tags=["gaoxin"]) == {(end, "gaoxin")}
    # open ends: held long before and long after
    assert (start, "gaoxin") in held_on(world, dt.date(1990, 1, 1))
    assert (end, "gaoxin") in held_on(world, dt.date(2099, 12, 31))
    # a title without dates is held on every day
    for day in (dt.date(1990, 1, 1), FROM, dt.date(2099, 12, 31)):
        assert (dated, "guishang") in held_on(world, day, ids=[dated])


def test_titles_frames_and_holders(world, firms):
    dated = firms["dated"]
    every = world.run(lambda s: read.titles(s, on=None, with_dates=True))
    assert every.columns == ["enterprise_id", "tag", "valid_from", "valid_to"]
    assert every.schema["valid_from"] == pl.Date
    assert every.height == 4  # on=None: every recorded title, whatever its dates
    assert every.filter(pl.col("tag") == "gaoxin", pl.col("enterprise_id") == dated).row(0)[2:] == (
        FROM,
        TO,
    )
    none = world.run(lambda s: read.titles(s, on=FROM, tags=["lianzhu"]))
    assert none.is_empty()
    assert none.schema == {"enterprise_id": pl.Int64, "tag": pl.String}
    assert world.run(lambda s: read.holders(s, tag="gaoxin", on=TO + DAY)) == {firms["open_end"]}
    assert world.run(lambda s: read.holders(s, tag="gaoxin", on=FROM, ids=[dated])) == {dated}


def test_firms_names_and_records(world, firms):
    dated, outside = firms["dated"], firms["outside"]
    frame = world.run(
        lambda s: read.firms(s, columns=("name", "land_area", "founded_on", "in_zone", "chain"))
    )
    assert frame.schema == {
        "enterprise_id": pl.Int64, "name": pl.String, "land_area": pl.Float64,
        "founded_on": pl.Date, "in_zone": pl.Boolean, "chain": pl.String,
    }  # fmt: skip
    assert frame["enterprise_id"].to_list() == sorted(firms.values())
    row = frame.filter(pl.col("enterprise_id") == dated).row(0, named=True)
    assert row["land_area"] == 12.5
    assert row["founded_on"] == dt.date(2010, 5, 1)
    zone = world.run(lambda s: read.firms(s, in_zone=True))
    assert outside not in zone["enterprise_id"].to_list()
    assert zone.columns == [
        "enterprise_id",
        "name",
    ]
    assert world.run(lambda s: read.firms(s, ids=[outside], in_zone=True)).is_empty()
    assert world.run(lambda s: read.firms(s, ids=[])).is_empty()
    with pytest.raises(ValueError, match="registry field"):
        world.run(lambda s: read.firms(s, columns=("password",)))

    assert world.run(lambda s: read.names(s, [dated, outside, 99_999])) == {
        dated: "读取甲有限公司", outside: "读取园外有限公司"
    }  # fmt: skip
    assert world.run(lambda s: read.names(s, [])) == {}
    firm = world.run(lambda s: read.get_or_raise(s, dated))
    assert isinstance(firm, read.Firm)
    assert (firm.id, firm.name, firm.uscc, firm.in_zone, firm.chain) == (
        dated, "读取甲有限公司", synthetic(901), True, "新材料"
    )  # fmt: skip
    with pytest.raises(AttributeError):
        firm.name = "改名"  # type: ignore[misc]
    with pytest.raises(NotFound, match="企业不存在"):
        world.run(lambda s: read.get_or_raise(s, 99_999))
    assert world.run(lambda s: read.get(s, 99_999)) is None
    assert world.run(lambda s: read.exists(s, dated)) is True
    assert world.run(lambda s: read.exists(s, 99_999)) is False
    assert world.run(lambda s: read.ids_named(s, "园外")) == {outside}


def test_the_actor_is_checked_like_the_matrix(world, firms):
    dated, other = firms["dated"], firms["open_start"]
    firm_user = Actor(
        kind="user", id=1, label="企业用户", role=Role.ENTERPRISE,
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE], enterprise_id=dated,
    )  # fmt: skip
    own = world.run(lambda s: read.firms(s, actor=firm_user, ids=[dated]))
    assert own["enterprise_id"].to_list() == [dated]
    assert world.run(lambda s: read.get_or_raise(s, dated, actor=firm_user)).id == dated
    with pytest.raises(PermissionDenied):
        world.run(lambda s: read.firms(s, actor=firm_user))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: read.get_or_raise(s, other, actor=firm_user))
    assert world.run(lambda s: read.firms(s, actor=SYSTEM)).height == 4
