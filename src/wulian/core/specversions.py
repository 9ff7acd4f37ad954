"""Spec files kept as versions in a domain's own table: an edit is a new version (never an
update), a copy is a new spec; diffs between versions.

    class LanduseSpecRow(SpecVersion, Base):
        __tablename__ = "landuse_specs"

    row = save(session, LanduseSpecRow, base=row, text=text, spec_id=model.id, name=model.name,
               copy=False, note="", created_by=actor.label)
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound

MAX_TEXT = 200_000


class SpecVersion:
    """The columns of one version of a spec file (a declarative mixin)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(100))
    text: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    shipped: Mapped[bool] = mapped_column(default=False)  # as shipped with the platform
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @declared_attr
    def based_on_id(cls) -> Mapped[int | None]:  # noqa: N805 (SQLAlchemy's declared_attr)
        return mapped_column(sa.ForeignKey(f"{cls.__tablename__}.id"))  # type: ignore[attr-defined]


Row = TypeVar("Row", bound=SpecVersion)


def latest(session: Session, model: type[Row], code: str) -> Row | None:
    """The newest version of code."""
    return session.scalar(
        sa.select(model).where(model.code == code).order_by(model.version.desc()).limit(1)
    )


def versions(session: Session, model: type[Row]) -> list[Row]:
    """Every version of every spec of model, by code, newest version first."""
    return list(session.scalars(sa.select(model).order_by(model.code, model.version.desc())))


def get_or_raise(session: Session, model: type[Row], spec_id: int, what: str) -> Row:
    """One version; NotFound naming what it is (评价方案, 产业链文件 …) when there is none."""
    row = session.get(model, spec_id)
    if row is None:
        raise NotFound(f"{what}不存在：{spec_id}")
    return row


def install(
    session: Session,
    model: type[Row],
    *,
    code: str,
    text: str,
    name: str,
    created_by: str,
    **extra: Any,
) -> bool:
    """A shipped spec file as version 1 of code, unless code is already there."""
    if latest(session, model, code) is not None:
        return False
    fields: dict[str, Any] = {
        "code": code, "version": 1, "name": name, "text": text, "note": "平台内置方案",
        "shipped": True, "created_by": created_by,
    }  # fmt: skip
    session.add(model(**fields, **extra))
    session.flush()
    return True


def checked_text(text: str) -> str:
    """text with Unix line ends; refused when too long."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"方案文件过长（最多 {MAX_TEXT:,} 个字符）", field="text")
    return text.replace("\r\n", "\n")


def save(
    session: Session,
    model: type[Row],
    *,
    base: Row,
    text: str,
    spec_id: str,
    name: str,
    copy: bool,
    note: str,
    created_by: str,
    **extra: Any,
) -> Row:
    """A new version of base's spec, or with copy a new spec (version 1) under spec_id (the id
    written in the text, already parsed and valid). Refused when an edit changes the id or
    nothing, or a copy reuses an id."""
    if copy:
        if latest(session, model, spec_id) is not None:
            raise Conflict(f"方案编号“{spec_id}”已存在：复制时请在文件中把 id 改成新的编号")
        version = 1
    else:
        if spec_id != base.code:
            raise InvalidInput(
                f"修改方案时不能改 id（{base.code}）；要另建方案，请用“复制为新方案”",
                field="text",
            )
        newest = latest(session, model, base.code) or base
        if newest.text == text:
            raise InvalidInput("内容与最新版本相同，没有保存新版本", field="text")
        version = newest.version + 1
    fields: dict[str, Any] = {
        "code": spec_id,
        "version": version,
        "name": name,
        "text": text,
        "note": note.strip()[:500],
        "shipped": False,
        "based_on_id": base.id,
        "created_by": created_by,
    }
    row = model(**fields, **extra)
    session.add(row)
    session.flush()
    return row


def previous(session: Session, model: type[Row], row: Row) -> Row | None:
    """The version row was made from (for a copy, the spec it copied)."""
    if row.based_on_id is None:
        return None
    return session.get(model, row.based_on_id)


def diff(older: SpecVersion | None, newer: SpecVersion) -> list[tuple[str, str]]:
    """The lines of a unified diff from older to newer, each with its kind (file, hunk, add, del,
    same)."""
    if older is None:
        return []
    lines = difflib.unified_diff(
        older.text.splitlines(),
        newer.text.splitlines(),
        fromfile=f"{older.code} 第 {older.version} 版",
        tofile=f"{newer.code} 第 {newer.version} 版",
        lineterm="",
    )
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out
