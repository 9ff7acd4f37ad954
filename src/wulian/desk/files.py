"""Attachments: stored under their SHA-256, checked by their first bytes, verified when read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor
from wulian.desk.access import Upload, get_or_raise
from wulian.desk.config import DeskConfig
from wulian.desk.models import DeskAttachment, DeskEvent, DeskRequest

ATTACHMENT_TYPES = {
    b"%PDF-": (".pdf", "application/pdf"),
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
}

OFFICE_TYPES = {  # zip containers, told apart by name
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _store(data_dir: Path, request_id: int, upload: Upload, limit_mb: int) -> DeskAttachment:
    name = Path(upload.filename or "附件").name[:200]
    if not upload.content:
        raise InvalidInput(f"附件“{name}”是空文件", field="attachments", value=name)
    if len(upload.content) > limit_mb * 1024 * 1024:
        raise InvalidInput(
            f"附件“{name}”超过 {limit_mb} MB 的上限", field="attachments", value=name
        )
    kind = next(
        (found for magic, found in ATTACHMENT_TYPES.items() if upload.content.startswith(magic)),
        None,
    )
    suffix = Path(name).suffix.lower()
    if kind is None and upload.content.startswith(b"PK\x03\x04") and suffix in OFFICE_TYPES:
        kind = (suffix, OFFICE_TYPES[suffix])
    if kind is None:
        raise InvalidInput(
            f"附件“{name}”的类型不允许：只接受 PDF、PNG、JPG、Word（docx）和 Excel（xlsx）",
            field="attachments",
            value=name,
        )
    digest = hashlib.sha256(upload.content).hexdigest()
    if upload.sha256 is not None and upload.sha256.strip().lower() != digest:
        raise InvalidInput(
            f"附件“{name}”的校验值与内容不符（传输中可能损坏），请重新上传",
            field="attachments",
            value=name,
        )
    relative = f"desk/{request_id}/{digest}{kind[0]}"
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_bytes(upload.content)
        temporary.replace(path)
    return DeskAttachment(
        request_id=request_id, filename=name, content_type=kind[1], size=len(upload.content),
        sha256=digest, path=relative, created_by="",
    )  # fmt: skip


def attachment_file(
    session: Session, *, actor: Actor, attachment_id: int, data_dir: Path
) -> tuple[DeskAttachment, bytes]:
    """An attachment's content, checked against its checksum (a file that fails is refused)."""
    row = session.get(DeskAttachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    get_or_raise(session, actor=actor, request_id=row.request_id)
    path = data_dir / row.path
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"附件文件“{row.filename}”已丢失，请联系管理员") from None
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise Conflict(f"附件“{row.filename}”校验失败（文件已被改动或损坏），拒绝提供")
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
