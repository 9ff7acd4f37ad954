"""A small zone for the request desk: the shipped configuration, the departments it routes to,
two firms, officers of the service centre (dispatcher), of the land bureau and of the leaders'
office (supervisor), an analyst, and a user for each firm."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import SYSTEM
from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.calendar import CHINA_TIME
from wulian.core.permissions import Role
from wulian.desk import service
from wulian.enterprises.uscc import synthetic

DEPARTMENTS = {
    "business-env": "营商环境办（企业服务中心）",
    "leaders": "管委会领导",
    "chain-office": "产业链专班（链长办）",
    "planning": "自然资源和规划分局",
    "economy": "经济信息化局",
    "finance": "金融办",
    "talent": "人才办",
    "approval": "行政审批局",
    "transport": "交通运输局",
    "science": "科技局",
}


def china(*parts: int) -> dt.datetime:
    """A time in China (year, month, day, hour, minute)."""
    return dt.datetime(*parts, tzinfo=CHINA_TIME)  # type: ignore[misc]


def actor_of(world, username):
    return auth_service.actor_for_user(world.get_user(username))


@pytest.fixture
def desk(world):
    ids = {code: world.department(code, name) for code, name in DEPARTMENTS.items()}
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))
    firm = world.enterprise("企呼测试一有限公司", code=synthetic(901))
    other = world.enterprise("企呼测试二有限公司", code=synthetic(902))
    world.user("centre1", Role.OFFICER, department_id=ids["business-env"])
    world.user("land1", Role.OFFICER, department_id=ids["planning"])
    world.user("land2", Role.OFFICER, department_id=ids["planning"])
    world.user("power1", Role.OFFICER, department_id=ids["economy"])
    world.user("leader1", Role.OFFICER, department_id=ids["leaders"])
    world.user("analyst1", Role.ANALYST)
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    world.user("firm2", Role.ENTERPRISE, enterprise_id=other)
    return {"departments": ids, "firm": firm, "other": other}


def submit(world, username="firm1", when=None, **fields):
    actor = actor_of(world, username)
    values = {
        "title": "新厂房用地指标迟迟未落实",
        "description": "二期项目 30 亩用地指标已报批三个月，请协调规划分局尽快出具用地预审意见。",
        "category": "land",
    } | fields

    def run(session):
        audit.track(session, actor)
        request = service.submit(
            session, actor=actor, now=when or china(2026, 9, 28, 10, 0), **values
        )
        return request.id, request.tracking_no

    return world.run(run)


def act(world, username, request_id, action, when, **fields):
    actor = actor_of(world, username)

    def run(session):
        audit.track(session, actor)
        request = service.act(
            session,
            actor=actor,
            request_id=request_id,
            step=service.Command(action, **fields),
            now=when,
        )
        return request.state

    return world.run(run)


def read(world, request_id):
    from wulian.core.db import session_factory
    from wulian.desk.models import DeskRequest

    with session_factory(world.engine)() as session:
        request = session.get(DeskRequest, request_id)
        session.expunge(request)
        return request
