"""A project's documents (合同, 投资协议, 可研报告 …): uploaded by those who may change the project
(its team's officers and the administrators), read by staff with the investment permission.
Files are kept by core.files (type read from the first bytes, named by their SHA-256, checked
when read); each upload is a row the flush hook audits; a refused upload changes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import files
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor
from wulian.investment.models import InvestmentProject, ProjectDocument
from wulian.investment.pipeline import _require_write, require_read

KINDS: dict[str, str] = {
    "contract": "合同",
    "agreement": "投资协议",
    "feasibility": "可研报告",
    "other": "其他",
}
FILE_KINDS = ("pdf", "docx", "xlsx", "png", "jpg")
LIMIT_BYTES = 20 * 1024 * 1024  # each file (the server's upload limit applies as well)
PER_PROJECT = 50


def upload(
    session: Session,
    *,
    actor: Actor,
    project_id: int,
    kind: str,
    filename: str,
    content: bytes,
    data_dir: Path,
) -> ProjectDocument:
    """Keep a document on a project; refused (nothing kept) for who may not change the project,
    an unknown kind, an empty, too large or disallowed file, or a project with too many."""
    project = session.get(InvestmentProject, project_id)
    if project is None:
        raise NotFound(f"没有编号为 {project_id} 的招商项目")
    _require_write(session, actor, project)
    if kind not in KINDS:
        raise InvalidInput(f"没有“{kind}”这种项目文件类别", field="kind", value=kind)
    name = Path(filename or "").name.strip()[:200]
    if not name:
        raise InvalidInput("请选择要上传的文件", field="file")
    have = session.scalar(
        sa.select(sa.func.count())
        .select_from(ProjectDocument)
        .where(ProjectDocument.project_id == project_id)
    )
    if (have or 0) >= PER_PROJECT:
        raise InvalidInput(f"每个项目最多 {PER_PROJECT} 个文件", field="file")
    stored = files.store(
        data_dir, f"investment/{project_id}", content, what=f"文件“{name}”", field="file",
        kinds=FILE_KINDS, limit=LIMIT_BYTES, name=name,
    )  # fmt: skip
    row = ProjectDocument(
        project_id=project_id, kind=kind, filename=name, content_type=stored.content_type,
        size=stored.size, sha256=stored.sha256, path=stored.path, created_by=actor.label,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def documents(session: Session, *, actor: Actor, project_id: int) -> list[ProjectDocument]:
    """The project's documents, newest first."""
    require_read(actor)
    query = sa.select(ProjectDocument).where(ProjectDocument.project_id == project_id)
    return list(session.scalars(query.order_by(ProjectDocument.id.desc())))


def document_file(
    session: Session, *, actor: Actor, project_id: int, document_id: int, data_dir: Path
) -> tuple[ProjectDocument, bytes]:
    """A document's content, checked against its checksum (a file that fails is refused)."""
    require_read(actor)
    row = session.get(ProjectDocument, document_id)
    if row is None or row.project_id != project_id:
        raise NotFound("项目文件不存在")
    damaged = Conflict(f"文件“{row.filename}”校验失败（文件已被改动或损坏），拒绝提供")
    if Path(row.path).stem != row.sha256:
        raise damaged
    try:
        content = files.read(data_dir, row.path)
    except files.Missing:
        raise NotFound(f"文件“{row.filename}”已丢失，请联系管理员") from None
    except files.Damaged:
        raise damaged from None
    return row, content
