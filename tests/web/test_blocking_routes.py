"""No route blocks the event loop on the database: a route that reaches the unit of work (the
session) is a plain function, run in the thread pool. An `async def` route that waited on a row
lock would stop every other request of its worker, /healthz included (a double-click was
enough)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant

from tests.conftest import app_routes
from wulian.core import deps


def _api_routes(app: object) -> list[Any]:
    """The routes with an endpoint and its dependencies (FastAPI's, through included routers)."""
    return [r for r in app_routes(app) if hasattr(r, "dependant") and hasattr(r, "endpoint")]


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_no_async_route_reaches_the_database(app):
    blocking = sorted(
        f"{sorted(route.methods or ())} {route.path}"
        for route in _api_routes(app)
        if inspect.iscoroutinefunction(route.endpoint) and deps._db in set(_calls(route.dependant))
    )
    assert blocking == []


def test_the_check_finds_such_a_route(app):
    """The check above is not vacuous: it sees the session behind a route's dependencies."""
    routes = _api_routes(app)
    reaching = [r for r in routes if deps._db in set(_calls(r.dependant))]
    assert len(reaching) > 50
    assert any(r.path == "/desk/requests/{request_id}/act" for r in reaching)
