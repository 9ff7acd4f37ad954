"""Enterprise names in pinyin: a sort key (lists sort by pinyin, not by code point) and a search
key (a firm is found by part of its name or a former name, in full pinyin or by initials). The
keys of existing firms are computed here, as enterprises/names.py computed them when this
migration was written.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 05:00:00
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op
from pypinyin import Style, lazy_pinyin

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_BRACKETS = re.compile(r"[()\[\]{}<>〔〕【】《》「」『』]")
_SPACES = re.compile(r"[\s\u3000·.。、,，-]+")
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")


def _name_key(name: str) -> str:
    text = _SPACES.sub("", _BRACKETS.sub("", unicodedata.normalize("NFKC", name).lower()))
    if text.endswith("分公司"):
        return text
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _syllables(name: str, style: Style = Style.NORMAL) -> list[str]:
    text = unicodedata.normalize("NFKC", name).lower()
    return [s for s in lazy_pinyin(text, style=style, errors="default") if s.strip()]


def _search_key(name: str, former: Iterable[str]) -> str:
    parts = []
    for text in (name, *former):
        parts += [
            _name_key(text),
            "".join(_syllables(text)).replace(" ", ""),
            "".join(_syllables(text, Style.FIRST_LETTER)).replace(" ", ""),
        ]
    return "|".join(dict.fromkeys(p for p in parts if p))[:2000]


def upgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_pinyin", sa.String(length=400), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("name_search", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name, former_names FROM enterprises")).all()
    updates = []
    for firm_id, name, former in rows:
        names = json.loads(former) if isinstance(former, str) else (former or [])
        updates.append(
            {
                "i": firm_id,
                "p": " ".join(_syllables(name))[:400],
                "s": _search_key(name, names),
            }
        )
    if updates:
        connection.execute(
            sa.text("UPDATE enterprises SET name_pinyin = :p, name_search = :s WHERE id = :i"),
            updates,
        )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.alter_column("name_pinyin", server_default=None)
        batch_op.alter_column("name_search", server_default=None)
        batch_op.create_index("ix_enterprises_name_pinyin", ["name_pinyin", "id"])


def downgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_name_pinyin")
        batch_op.drop_column("name_search")
        batch_op.drop_column("name_pinyin")
