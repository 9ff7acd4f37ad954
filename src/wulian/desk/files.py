"""Attachments: stored under their SHA-256, checked by their first bytes, verified when read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import files
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor
from wulian.desk.access import Upload, get_or_raise
from wulian.desk.config import DeskConfig
from wulian.desk.models import DeskAttachment, DeskEvent, DeskRequest

KINDS = ("pdf", "png", "jpg", "docx", "xlsx")


def _store(data_dir: Path, request_id: int, upload: Upload, limit_mb: int) -> DeskAttachment:
    name = Path(upload.filename or "附件").name[:200]
    stored = files.store(
        data_dir, f"desk/{request_id}", upload.content, what=f"附件“{name}”",
        field="attachments", kinds=KINDS, limit=limit_mb * 1024 * 1024, name=name,
        sha256=upload.sha256,
    )  # fmt: skip
    return DeskAttachment(
        request_id=request_id, filename=name, content_type=stored.content_type, size=stored.size,
        sha256=stored.sha256, path=stored.path, created_by="",
    )  # fmt: skip


def attachment_file(
    session: Session, *, actor: Actor, attachment_id: int, data_dir: Path
) -> tuple[DeskAttachment, bytes]:
    """An attachment's content, checked against its checksum (a file that fails is refused)."""
    row = session.get(DeskAttachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    get_or_raise(session, actor=actor, request_id=row.request_id)
    damaged = Conflict(f"附件“{row.filename}”校验失败（文件已被改动或损坏），拒绝提供")
    if Path(row.path).stem != row.sha256:  # stored files are named by their hash
        raise damaged
    try:
        content = files.read(data_dir, row.path)
    except files.Missing:
        raise NotFound(f"附件文件“{row.filename}”已丢失，请联系管理员") from None
    except files.Damaged:
        raise damaged from None
    return row, content


def attach(
    session: Session,
    request: DeskRequest,
    uploads: Sequence[Upload],
    spec: DeskConfig,
    data_dir: Path | None,
    actor: Actor,
    event: DeskEvent | None,
) -> None:
    if not uploads:
        return
    if data_dir is None:
        raise InvalidInput("此处不接受附件", field="attachments")
    have = session.scalar(
        sa.select(sa.func.count())
        .select_from(DeskAttachment)
        .where(DeskAttachment.request_id == request.id)
    )
    if (have or 0) + len(uploads) > spec.settings.max_attachments:
        raise InvalidInput(
            f"每件诉求最多 {spec.settings.max_attachments} 个附件", field="attachments"
        )
    for upload in uploads:
        row = _store(data_dir, request.id, upload, spec.settings.max_attachment_mb)
        row.created_by = actor.label
        row.event_id = event.id if event is not None else None
        session.add(row)
    session.flush()
