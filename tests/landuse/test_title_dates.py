"""亩均效益 counts the titles a firm holds on 31 December of the year evaluated (the registry's
one rule for titles held on a date): an expired 规上 title no longer counts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.conftest import SYSTEM
from wulian.enterprises.models import EnterpriseTag
from wulian.landuse import service
from wulian.landuse.models import LanduseSpec


def guishang(world, year):
    def build(session):
        text = session.get(LanduseSpec, session.scalar(
            sa.select(LanduseSpec.id).where(LanduseSpec.code == "huangyan"))).text  # fmt: skip
        frame = service.build_input(session, actor=SYSTEM, spec=service.parse(text), year=year)
        return dict(frame.select("enterprise_id", "guishang").iter_rows())

    return world.run(build)


def test_an_expired_title_does_not_count(world, zone):
    firm = zone["ids"][0]
    assert guishang(world, 2024)[firm] is True  # a title without dates: held

    def expire(session):
        tag = session.scalar(
            sa.select(EnterpriseTag).where(
                EnterpriseTag.enterprise_id == firm, EnterpriseTag.tag == "guishang"
            )
        )
        tag.valid_from, tag.valid_to = dt.date(2020, 1, 1), dt.date(2024, 12, 30)

    world.run(expire)
    assert guishang(world, 2024)[firm] is False  # expired the day before 31 December
    assert guishang(world, 2023)[firm] is True
