"""The audit log speaks Chinese: every table, column and recorded action has a label, and a
change reads as “字段：旧 → 新”."""

from __future__ import annotations

import re
from pathlib import Path

import wulian
import wulian.models
from wulian.core.audit import labels
from wulian.core.db import Base

SOURCE = Path(wulian.__file__).parent


def test_every_table_and_column_has_a_chinese_label():
    assert sorted(t for t in Base.metadata.tables if t not in labels.TABLES) == []
    columns = {c.name for t in Base.metadata.tables.values() for c in t.columns}
    assert sorted(c for c in columns if c not in labels.COLUMNS) == []


def test_every_action_the_code_records_has_a_chinese_label():
    recorded = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text("utf-8")
        recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+|logout)"', text))
        recorded |= set(re.findall(r'_record\(\s*session,\s*"([a-z_.]+)"', text))
    assert {"landuse.publish", "login.success"} <= recorded
    assert sorted(a for a in recorded if a not in labels.ACTIONS) == []


def test_a_change_reads_as_people_write_it():
    got = labels.changes(
        {"status": "draft", "note": "", "period": "2024"},
        {"status": "published", "note": "", "period": "2024", "published_by": "王五"},
    )
    assert [(c.field, c.before, c.after) for c in got] == [
        ("状态", "草稿", "已发布"),
        ("发布人", None, "王五"),
    ]
    assert labels.column("no_such_column") == "no_such_column（未命名）"


def test_moments_read_in_china_time():
    got = labels.changes(None, {"created_at": "2026-12-04T05:26:01.928410+00:00"})
    assert [(c.field, c.after) for c in got] == [("创建时间", "2026-12-04 13:26:01")]
