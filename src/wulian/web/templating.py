"""Jinja2 templates with the layout's helpers: CSRF token, menu, dates in China time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlalchemy.orm import Session

from wulian import __version__
from wulian.chains import service as chains_service
from wulian.chains.health import money
from wulian.core import forms
from wulian.core.auth import service as auth_service
from wulian.core.auth.cookies import csrf_token
from wulian.core.calendar import CHINA_TIME
from wulian.core.permissions import ROLE_LABELS, SCOPES
from wulian.web.navigation import active_href, menu_for

TEMPLATES_DIR = Path(__file__).parent / "templates"


def china_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp shown in China Standard Time."""
    if value is None:
        return "—"
    return value.astimezone(CHINA_TIME).strftime(fmt)


def thousands(value: int | float | str | None) -> str:
    """A count with thousands separators; missing is shown as a dash, never as 0; text (a figure
    already formatted) as it is."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"  # 职工总数 78 人, not 78.0
    return f"{value:,}"


def wan(yuan: int | float | None, places: int = 2) -> str:
    """An amount in yuan as 万元 a person reads it: 20–500 万元 and 12.5 万元, never 20.0 or
    12.50 (up to places decimals, trailing zeros dropped, thousands separators); missing is a
    dash, never 0."""
    if yuan is None:
        return "—"
    text = f"{yuan / 10_000:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure(value: float | None, metric: Any) -> str:
    """A metric's value as a person reads it: a ratio as a percentage (资产负债率 24.56%, not
    0.2456), anything else with thousands separators (职工总数 4,690)."""
    if value is None:
        return "—"
    if getattr(metric, "value_type", None) == "ratio":
        return f"{round(value * 100, 2):.2f}".rstrip("0").rstrip(".") + "%"
    return thousands(value)


def unit_of(metric: Any) -> str:
    """The unit a metric's values are shown in (a ratio's is the % of its value)."""
    return "" if getattr(metric, "value_type", None) == "ratio" else str(metric.unit)


def _per_request(
    context: Any, attribute: str, load: Callable[[Session], dict[str, str]]
) -> dict[str, str]:
    """A lookup read from the database once per request (kept on request.state); pages that use
    it are rendered by sync routes."""
    request = context.get("request")
    state = getattr(request, "state", None)
    found = getattr(state, attribute, None)
    if found is None and request is not None:
        with request.app.state.session_factory() as session:
            found = load(session)
        setattr(request.state, attribute, found)
    return found or {}


@pass_context
def chain_name(context: Any, code: str | None) -> str:
    """A chain's name for its code (产业链 氟硅, never fluorosilicon on a page); a dash when
    none."""
    if not code:
        return "—"
    return str(_per_request(context, "chain_names", chains_service.chain_names).get(code, code))


@pass_context
def staff(context: Any, login: str | None) -> str:
    """A member of staff as pages name them: 张三（科技局）, not the login zhangsan; what is not
    a login (系统, a token) as it is."""
    if not login:
        return "—"
    return str(_per_request(context, "staff_names", auth_service.staff_names).get(login, login))


def static(path: str) -> str:
    """The URL of a packaged static file, versioned so that upgrades refresh browser caches."""
    return f"/static/{path}?v={__version__}"


def size_text(size: int) -> str:
    """A byte count as a person reads it: 50 MB, 64 KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.3g} KB"


def unread_count(request: Request) -> int | None:
    """The signed-in user's unread notifications (the header's bell); None without a session."""
    count = getattr(request.state, "unread", None)
    return count() if callable(count) else None


def build_templates(zone_name: str, limits: dict[str, int] | None = None) -> Jinja2Templates:
    """The template environment of the app; limits (upload, form, evidence: bytes) are stated
    on the pages that take files and in the message of an oversize form."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.globals.update(
        csrf_token=csrf_token,
        form_key=forms.new_key,
        static=static,
        menu_for=menu_for,
        active_href=active_href,
        unread_count=unread_count,
        zone_name=zone_name,
        version=__version__,
        role_labels=ROLE_LABELS,
        scopes=SCOPES,
        limits={k: size_text(v) for k, v in (limits or {}).items()},
    )
    env.filters.update(
        china_time=china_time, thousands=thousands, money=money, chain_name=chain_name,
        measure=measure, unit_of=unit_of, staff=staff, wan=wan,
    )  # fmt: skip
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return templates
