"""The audit log exports what is filtered: every matching entry (not one page), in Chinese, with
whole values, a sheet stating the filter, text never turned into formulas, and the export itself
recorded."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from tests.conftest import login, post_form
from wulian.core.audit import labels
from wulian.core.audit import service as audit_service
from wulian.core.audit.models import AuditEntry
from wulian.core.db import session_factory
from wulian.core.permissions import Actor, Role


def _admin(client, world) -> None:
    world.user("root", Role.ADMIN)
    assert login(client, "root").status_code == 303


def _sheets(content: bytes) -> tuple[list[tuple], dict[str, object]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    rows = list(book["审计日志"].iter_rows(values_only=True))
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    return rows, notes


def test_export_holds_every_filtered_entry_and_is_itself_audited(client, world):
    _admin(client, world)
    names = ["科技局", "经信局", '=HYPERLINK("http://x","点击")']
    for i, name in enumerate(names):
        post_form(
            client, "/admin/departments", {"code": f"d{i}", "name": name},
            page="/admin/departments",
        )  # fmt: skip
    page = client.get("/admin/audit", params={"object_type": "departments"})
    assert "导出筛选结果（xlsx，3 条）" in page.text
    assert "/admin/audit/export.xlsx?object_type=departments" in page.text

    response = client.get("/admin/audit/export.xlsx", params={"object_type": "departments"})
    assert response.status_code == 200
    assert (
        "审计日志" in response.headers["content-disposition"]
        or "filename*" in (response.headers["content-disposition"])
    )
    rows, notes = _sheets(response.content)
    assert rows[0][:6] == ("序号", "时间（北京时间）", "操作人", "账号", "动作", "对象")
    body = rows[1:]
    assert len(body) == 3  # the departments only: no login, no user rows
    assert {r[4] for r in body} == {"新增"}
    assert {r[5] for r in body} == {"部门"}
    assert [r[0] for r in body] == sorted((r[0] for r in body), reverse=True)  # newest first
    contents = "\n".join(r[7] for r in body)
    assert "科技局" in contents
    assert "经信局" in contents
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    formula_like = [c for row in book["审计日志"].iter_rows() for c in row if c.data_type == "f"]
    assert formula_like == []  # the department named like a formula stays text
    assert notes["筛选条件"] == "对象：部门"
    assert notes["导出条数"] == 3
    assert notes["是否完整"] == "是"

    exports = world.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "audit.export")
    )
    assert exports == 1
    again = client.get("/admin/audit", params={"action": "audit.export"})
    assert "导出审计日志" in again.text
    assert "对象：部门" in again.text


def test_export_states_when_it_is_cut_at_the_limit(world, engine):
    world.department("science", "科技局")
    world.department("economy", "经信局")
    world.department("talent", "人才办")
    actor = Actor.system("root")
    with session_factory(engine)() as session:
        audit_service.track(session, actor)
        export = audit_service.export_xlsx(
            session,
            actor=actor,
            filters=audit_service.Filters(object_type="departments"),
            staff={},
            described="对象：部门",
            limit=2,
        )
        session.commit()
    assert export.rows == 2
    assert export.truncated
    rows, notes = _sheets(export.content)
    assert len(rows) == 3  # the header and the two newest
    assert str(notes["是否完整"]).startswith("否：符合条件的记录超过 2 条")


def test_export_keeps_long_values_whole_where_the_page_shortens_them():
    long = "甲" * 500
    page = labels.changes(None, {"name": long})
    whole = labels.changes(None, {"name": long}, cut=None)
    assert page[0].after == "甲" * 200 + "…"
    assert whole[0].after == long


def test_a_bad_day_in_the_filter_exports_nothing(client, world):
    _admin(client, world)
    bad = client.get("/admin/audit/export.xlsx", params={"until": "2026-02-30"})
    assert bad.status_code == 422
    assert "格式应为 YYYY-MM-DD" in bad.text
    exports = world.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "audit.export")
    )
    assert exports == 0


def test_the_audit_page_keeps_the_filter_across_pages_and_sizes(client, world):
    _admin(client, world)
    for i in range(25):
        world.department(f"d{i}", f"部门{i:02d}")
    first = client.get("/admin/audit", params={"object_type": "departments", "per_page": 20})
    assert "第 1 / 2 页，共 25 条" in first.text
    assert "/admin/audit?object_type=departments&amp;per_page=20&amp;page=2" in first.text
    second = client.get(
        "/admin/audit", params={"object_type": "departments", "per_page": 20, "page": 2}
    )
    assert second.text.count("部门0") == 5  # 部门00 … 部门04, the oldest five
    assert "部门24" not in second.text
