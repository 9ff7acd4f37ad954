"""The header alias table: real-world Chinese spreadsheet headers → registry fields and metrics.

A header is split into its name and the unit written after it ("营业收入（万元）",
"研发费用(千元)", "用电量/万千瓦时", "综合能耗 单位：吨标准煤"); names are folded (width, spaces,
case) before lookup. Lookup order: administrators' additions, the shipped aliases.yaml, then the
catalogue's own metric names and keys.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from importlib import resources

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission
from wulian.reference import units
from wulian.reference.models import HeaderAlias, Metric

FIELD = "field:"
IGNORE = "field:ignore"

_TRAILING_UNIT = re.compile(r"^(?P<name>.+?)\s*[(\[【]\s*(?P<unit>[^()\[\]【】]+?)\s*[)\]】]$")
_SLASH_UNIT = re.compile(r"^(?P<name>.+?)\s*[/／]\s*(?P<unit>[^/／]+)$")
_LABEL_UNIT = re.compile(r"^(?P<name>.+?)\s*[,，;；]?\s*(单位|计量单位)\s*[:：]\s*(?P<unit>.+)$")


def fold(text: str) -> str:
    """The lookup form of a header name: NFKC width folding, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def split_header(header: str) -> tuple[str, str | None]:
    """(name, unit) of a header; the unit only when it is one the platform knows."""
    text = unicodedata.normalize("NFKC", header).strip()
    for pattern in (_LABEL_UNIT, _TRAILING_UNIT, _SLASH_UNIT):
        match = pattern.match(text)
        if match and match.group("unit").strip().lower() in units.UNITS:
            return match.group("name").strip(), match.group("unit").strip()
    return text, None


@dataclass(frozen=True)
class Shipped:
    fields: dict[str, str]  # folded alias → field name
    metrics: dict[str, str]  # folded alias → metric key


@cache
def shipped() -> Shipped:
    text = resources.files("wulian.reference").joinpath("data/aliases.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    fields = {fold(a): name for name, aliases in data["fields"].items() for a in aliases}
    metrics = {fold(a): key for key, aliases in data["metrics"].items() for a in aliases}
    return Shipped(fields=fields, metrics=metrics)


@dataclass(frozen=True)
class Resolved:
    header: str
    target: str | None  # metric key, "field:<name>", or None (unknown)
    unit: str | None

    @property
    def field(self) -> str | None:
        return self.target[len(FIELD) :] if self.target and self.target.startswith(FIELD) else None

    @property
    def metric(self) -> str | None:
        return self.target if self.target and not self.target.startswith(FIELD) else None


class Resolver:
    """Resolves headers (and metric names in long files) for one import."""

    def __init__(self, session: Session, *, fields: Collection[str], metrics: bool) -> None:
        self.fields = set(fields) | {"ignore"}
        self.metrics = metrics
        self.catalogue = {m.key: m for m in session.scalars(sa.select(Metric))}
        names = {fold(m.name): m.key for m in self.catalogue.values()}
        names |= {fold(m.key): m.key for m in self.catalogue.values()}
        self.names = names
        self.custom = dict(session.execute(sa.select(HeaderAlias.alias, HeaderAlias.target)).all())

    def target(self, name: str) -> str | None:
        key = fold(name)
        found = self.custom.get(key)
        if found is not None and self._accepts(found):
            return found
        field = shipped().fields.get(key)
        if field is not None and field in self.fields:
            return FIELD + field
        if self.metrics:
            metric = shipped().metrics.get(key) or self.names.get(key)
            if metric is not None and metric in self.catalogue:
                return metric
        return None

    def _accepts(self, target: str) -> bool:
        if target.startswith(FIELD):
            return target[len(FIELD) :] in self.fields
        return self.metrics and target in self.catalogue

    def resolve(self, header: str) -> Resolved:
        name, unit = split_header(header)
        target = self.target(name)
        if target is None and unit is None:
            target = self.target(header)  # a bracket that is part of the name
        return Resolved(header=header, target=target, unit=unit)

    def is_header(self, cells: Collection[str]) -> bool:
        """Whether a spreadsheet line looks like a header: two or more known names."""
        return sum(1 for c in cells if c and self.resolve(c).target is not None) >= 2

    def suggest(self, header: str) -> str | None:
        """The closest known name, for the message about an unknown header."""
        name, _ = split_header(header)
        known = list(shipped().metrics) + list(self.names) + list(self.custom)
        known += [a for a, f in shipped().fields.items() if f in self.fields]
        close = difflib.get_close_matches(fold(name), known, n=1, cutoff=0.6)
        return close[0] if close else None


# ---------------------------------------------------------------- administration


def add_alias(session: Session, *, actor: Actor, label: str, target: str) -> HeaderAlias:
    """Teach the platform a header: label → a metric key or a registry field."""
    actor.require(Permission.REFERENCE_MANAGE)
    label = " ".join(label.split())
    if not label or len(label) > 100:
        raise InvalidInput("表头不能为空，且不超过 100 个字", field="label")
    folded = fold(split_header(label)[0])
    if target.startswith(FIELD):
        known_fields = set(shipped().fields.values()) | {"ignore"}
        if target[len(FIELD) :] not in known_fields:
            raise NotFound(f"没有这个字段：{target[len(FIELD) :]}")
    elif session.scalar(sa.select(Metric.key).where(Metric.key == target)) is None:
        raise NotFound(f"指标目录中没有“{target}”")
    if session.scalar(sa.select(HeaderAlias.id).where(HeaderAlias.alias == folded)) is not None:
        raise Conflict(f"表头“{label}”已有对应关系，请先删除再添加", field="label")
    alias = HeaderAlias(alias=folded, label=label, target=target, created_by=actor.label)
    session.add(alias)
    session.flush()
    return alias


def remove_alias(session: Session, *, actor: Actor, alias_id: int) -> None:
    actor.require(Permission.REFERENCE_MANAGE)
    alias = session.get(HeaderAlias, alias_id)
    if alias is None:
        raise NotFound(f"别名不存在：{alias_id}")
    session.delete(alias)
    session.flush()


def list_aliases(session: Session, *, actor: Actor) -> list[HeaderAlias]:
    actor.require(Permission.REFERENCE_MANAGE)
    return list(session.scalars(sa.select(HeaderAlias).order_by(HeaderAlias.label)))
