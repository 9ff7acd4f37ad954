"""The desk configuration's versions: the shipped file, saving a new version, the version a
request was submitted under (read once per version), and who may see the staff pages.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import specversions
from wulian.core.auth.models import Department
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission
from wulian.desk import config as desk_config
from wulian.desk.config import DeskConfig
from wulian.desk.models import DeskConfigVersion, DeskRequest
from wulian.engines.specfile import refuse

CODE = "desk"


def shipped_text() -> str:
    return resources.files("wulian.desk").joinpath("specs/desk.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str) -> DeskConfig:
    """A configuration from its text (parsed once per text)."""
    return desk_config.load(text)


SHIPPED_SPECS = specversions.Shipped(
    key="desk",
    label="服务台配置",
    model=DeskConfigVersion,
    files=lambda: {CODE: shipped_text()},
    describe=lambda session, code, text: {"name": parse(text).name},
)


def current(session: Session) -> tuple[int, DeskConfig]:
    """The newest configuration version's id and its parsed content (the text is read once per
    version: versions never change)."""
    config_id = session.scalar(
        sa.select(DeskConfigVersion.id)
        .where(DeskConfigVersion.code == CODE)
        .order_by(DeskConfigVersion.version.desc())
        .limit(1)
    )
    if config_id is None:
        raise Conflict("服务台尚未配置：请管理员载入服务台配置")
    return config_id, _config_text(session, config_id)


def config_of(session: Session, request: DeskRequest) -> DeskConfig:
    """The configuration a request runs under (the version current when it was submitted)."""
    return _config_text(session, request.config_id)


def _config_text(session: Session, config_id: int) -> DeskConfig:
    key = (database_key(session), config_id)
    text = _TEXTS.get(key)
    if text is None:
        row = session.get(DeskConfigVersion, config_id)
        if row is None:
            raise NotFound(f"服务台配置不存在：{config_id}")
        text = _TEXTS[key] = row.text
    return parse(text)


def database_key(session: Session) -> str:
    """Which database session reads (caches keyed by row ids must not mix two databases)."""
    return session.get_bind().engine.url.render_as_string()


# (database, config version id) → text: versions never change, so each is read once.
_TEXTS: dict[tuple[str, int], str] = {}


def _check_config(
    session: Session, actor: Actor, base: DeskConfigVersion, text: str, copy: bool
) -> specversions.Checked:
    """Administrators save new versions of the one configuration; department codes must exist."""
    if copy:
        raise InvalidInput("服务台只有一份配置：请修改后保存为新版本", field="text")
    spec = desk_config.load(text)
    known = set(session.scalars(sa.select(Department.code).where(Department.is_active)))
    problems: list[tuple[tuple[str | int, ...], Any, str]] = []
    for i, route in enumerate(spec.routes):
        if route.department not in known:
            problems.append((("routes", i, "department"), route.department, "没有这个部门代码"))
    for key in ("dispatcher", "supervisor", "chain_office"):
        code = getattr(spec.settings, key)
        if code is not None and code not in known:
            problems.append((("settings", key), code, "没有这个部门代码"))
    if problems:
        raise refuse(text, "desk.yaml", problems)
    return specversions.Checked(spec.id, spec.name)


SPECS = specversions.SpecKind(
    model=DeskConfigVersion, what="服务台配置", write=Permission.DESK_ADMIN,
    may_read=lambda actor: staff_only(actor), check=_check_config, shipped=SHIPPED_SPECS,
    copies=False,
)  # fmt: skip
# versions of the configuration, and saving a new one (administrators; department codes must
# exist)
get_configs = SPECS.listed
get_config_or_raise = SPECS.get
save_config = SPECS.save
install_shipped = SPECS.install  # the shipped files, for one who may write


def staff_only(actor: Actor) -> None:
    """Refuse enterprise users and officers without a desk permission."""
    actor.require_staff("企业用户只能查看本企业的诉求")
    if not (actor.has(Permission.DESK_HANDLE) or actor.has(Permission.DESK_READ)):
        actor.require(Permission.DESK_READ)
