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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission

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


@dataclass(frozen=True)
class Shipped:
    """The spec files of one kind that ship with the platform, declared once by the domain that
    keeps them: what `wulian db upgrade` installs and what the spec pages offer to adopt.

    files() gives code → text; describe(session, code, text) validates a text and gives the
    columns of its version row besides the common ones (at least "name"); installed(session,
    code, text) runs after a version of code was added (e.g. to sync rows derived from it)."""

    key: str
    label: str  # 评价方案, 政策文件, 产业链文件 …
    model: type[SpecVersion]
    files: Callable[[], dict[str, str]]
    describe: Callable[[Session, str, str], dict[str, Any]]
    installed: Callable[[Session, str, str], None] | None = None


@dataclass
class Installed:
    """What installing one kind of shipped spec did, by code."""

    label: str
    added: list[str] = field(default_factory=list)  # new codes, as version 1
    updated: list[str] = field(default_factory=list)  # untouched specs brought to the new file
    offered: list[str] = field(
        default_factory=list
    )  # edited here: the new file waits to be adopted
    unchanged: int = 0


def _newest_shipped(session: Session, model: type[Row], code: str) -> Row | None:
    return session.scalar(
        sa.select(model)
        .where(model.code == code, model.shipped == sa.true())
        .order_by(model.version.desc())
        .limit(1)
    )


def offer(session: Session, shipped: Shipped, code: str) -> str | None:
    """The text of a shipped file of code that is newer than the platform version stored here,
    when the spec was edited here since (so installing did not take it): it waits to be adopted."""
    text = shipped.files().get(code)
    if text is None:
        return None
    newest = latest(session, shipped.model, code)
    if newest is None or newest.shipped or newest.text == text:
        return None
    stored = _newest_shipped(session, shipped.model, code)
    return None if stored is not None and stored.text == text else text


def install(session: Session, shipped: Shipped, *, created_by: str) -> Installed:
    """Bring the stored specs of a kind to the shipped files, never over an edit made here:
    a missing code is added as version 1; a spec nobody edited since its shipped version gets
    the newer file as a new version; an edited spec keeps its versions and the newer file is
    offered (`offer`) for an administrator to adopt. Running it again changes nothing."""
    done = Installed(label=shipped.label)
    for code, text in shipped.files().items():
        newest = latest(session, shipped.model, code)
        if newest is not None and (newest.text == text or not newest.shipped):
            if not newest.shipped and offer(session, shipped, code) is not None:
                done.offered.append(code)
            else:
                done.unchanged += 1
            continue
        fields: dict[str, Any] = {
            "code": code, "version": 1 if newest is None else newest.version + 1, "text": text,
            "note": "平台内置方案" if newest is None else "平台内置方案的新版本",
            "shipped": True, "created_by": created_by,
            "based_on_id": None if newest is None else newest.id,
        }  # fmt: skip
        session.add(shipped.model(**fields, **shipped.describe(session, code, text)))
        session.flush()
        (done.added if newest is None else done.updated).append(code)
        if shipped.installed is not None:
            shipped.installed(session, code, text)
    return done


@dataclass(frozen=True)
class Checked:
    """A valid text for a new version: the id written in it, its name, and the columns of the
    version row besides the common ones."""

    spec_id: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpecKind(Generic[Row]):
    """A kind of versioned spec file, declared once by the domain that keeps it; versions,
    diffs, saving, the pages (`core.specpages`) and the production install come from here.

    may_read(actor) raises when actor may not see the specs; check(session, actor, base, text,
    copy) validates text as a new version of base (or with copy a new spec made from it),
    including who may write it, and gives what to store."""

    model: type[Row]
    what: str  # 评价方案, 政策版本, 产业链文件 …, for messages
    write: Permission  # needed for any new version (checked before anything else)
    may_read: Callable[[Actor], None]
    check: Callable[[Session, Actor, Row, str, bool], Checked]
    shipped: Shipped | None = None
    saved: Callable[[Session, Actor, Row], None] | None = None  # after a version is saved
    # whether actor may save new versions of row's spec (to offer the editor only where saving
    # works; `check` still decides); None: whoever holds the pages' edit permission
    may_edit: Callable[[Session, Actor, Row], bool] | None = None
    copies: bool = True  # whether a spec may be copied into a new one

    # The kind's entry points, for its domain's service to name: get_specs = SPECS.listed, …
    def listed(self, session: Session, *, actor: Actor) -> list[Row]:
        return listed(session, self, actor=actor)

    def install(self, session: Session, *, actor: Actor) -> Installed:
        """Bring the stored specs to the shipped files (`install`), for one who may write."""
        actor.require(self.write)
        if self.shipped is None:
            return Installed(label=self.what)
        return install(session, self.shipped, created_by=actor.label)

    def get(self, session: Session, *, actor: Actor, spec_id: int) -> Row:
        return get(session, self, actor=actor, spec_id=spec_id)

    def save(
        self,
        session: Session,
        *,
        actor: Actor,
        text: str,
        based_on_id: int,
        copy: bool = False,
        note: str = "",
    ) -> Row:
        return save_text(
            session, self, actor=actor, text=text, based_on_id=based_on_id, copy=copy, note=note
        )


def listed(session: Session, kind: SpecKind[Row], *, actor: Actor) -> list[Row]:
    """Every version of every spec of kind, by code, newest version first."""
    kind.may_read(actor)
    return versions(session, kind.model)


def get(session: Session, kind: SpecKind[Row], *, actor: Actor, spec_id: int) -> Row:
    """One version; NotFound naming the kind."""
    kind.may_read(actor)
    return get_or_raise(session, kind.model, spec_id, kind.what)


def save_text(
    session: Session,
    kind: SpecKind[Row],
    *,
    actor: Actor,
    text: str,
    based_on_id: int,
    copy: bool = False,
    note: str = "",
) -> Row:
    """A new version of based_on's spec, or with copy a new spec (version 1) under the id
    written in text; refused, with the line, when kind's check refuses the text."""
    actor.require(kind.write)
    kind.may_read(actor)
    base = get_or_raise(session, kind.model, based_on_id, kind.what)
    text = checked_text(text)
    checked = kind.check(session, actor, base, text, copy)
    row = save(
        session, kind.model, base=base, text=text, spec_id=checked.spec_id, name=checked.name,
        copy=copy, note=note, created_by=actor.label, **checked.extra,
    )  # fmt: skip
    if kind.saved is not None:
        kind.saved(session, actor, row)
    return row


def mark_shipped(row: SpecVersion) -> None:
    """A version saved from a shipped file (an adopted offer) counts as the platform's version."""
    row.shipped = True


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
    return _diff_lines(
        older.text, newer.text, f"{older.code} 第 {older.version} 版",
        f"{newer.code} 第 {newer.version} 版",
    )  # fmt: skip


def diff_texts(older: SpecVersion, text: str, label: str) -> list[tuple[str, str]]:
    """As `diff`, from a stored version to a text that is not stored (a shipped file)."""
    return _diff_lines(older.text, text, f"{older.code} 第 {older.version} 版", label)


def _diff_lines(old: str, new: str, old_label: str, new_label: str) -> list[tuple[str, str]]:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm=""
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
