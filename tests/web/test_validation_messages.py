"""Refused input is explained in Chinese, naming each field by its label, never its code name."""

from __future__ import annotations

from fastapi.routing import APIRoute
from pydantic import BaseModel

from tests.conftest import login, page_csrf
from wulian.core.permissions import Role
from wulian.web.errors import FIELD_LABELS


def _routes(routes):
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)


def test_every_parameter_and_field_a_user_can_get_wrong_has_a_chinese_label(app):
    unlabelled = set()
    for route in _routes(app.routes):
        dependant = route.dependant
        params = [
            *dependant.path_params,
            *dependant.query_params,
            *dependant.body_params,
            *(p for sub in dependant.dependencies for p in sub.query_params + sub.body_params),
        ]
        for param in params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                fields = [(f.alias or n, f.title) for n, f in model.model_fields.items()]
            else:
                fields = [(param.alias or param.name, param.field_info.title)]
            for name, title in fields:
                if not (title or FIELD_LABELS.get(name)):
                    unlabelled.add(f"{route.path} {name}")
    assert not unlabelled
    assert all("\u4e00" <= label[0] <= "\u9fff" for label in FIELD_LABELS.values())


def test_a_form_field_of_the_wrong_type_is_named_by_its_label(client, world):
    world.user("analyst1", Role.ANALYST)
    login(client, "analyst1")
    token = page_csrf(client, "/")
    response = client.post(
        "/landuse/runs", data={"csrf_token": token, "spec_id": "1", "year": "二〇二四"}
    )
    assert response.status_code == 422
    assert "“年度”：应为整数" in response.text
    assert "year" not in response.text.split("<main", 1)[-1]


def test_a_bound_is_stated_with_its_value(client, world):
    world.user("analyst1", Role.ANALYST)
    login(client, "analyst1")
    response = client.get("/enterprises", params={"page": "0"})
    assert response.status_code == 422
    assert "“页码”：不能小于 1" in response.text


def test_api_errors_carry_the_label_beside_the_field_name(client, world, settings):
    world.user("alice", Role.ADMIN)
    login(client, "alice")
    token = page_csrf(client, "/")
    response = client.post(
        "/api/v1/users", json={"role": "wizard"}, headers={"X-CSRF-Token": token}
    )
    body = response.json()
    errors = {e["field"]: e for e in body["errors"]}
    assert errors["role"]["label"] == "角色"
    assert errors["username"]["label"] == "用户名"
    assert "“角色”：取值不在允许范围内" in body["detail"]
