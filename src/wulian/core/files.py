"""The one store of files people upload (evidence for a self-reported value, a request's
attachments): under the data directory, each file named by its SHA-256, its type read from its
first bytes (never from its name), written atomically (a temporary file beside it, checked, then
renamed: a reader sees the whole file or none) and checked against its hash when read.

    stored = files.store(data_dir, "evidence/12", content, what="佐证材料", field="evidence",
                         kinds=("pdf", "png", "jpg"), limit=10 * 1024 * 1024)
    content = files.read(data_dir, stored.path)      # Missing or Damaged when it is not whole
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wulian.core.errors import InvalidInput


@dataclass(frozen=True)
class Kind:
    label: str  # as people name it
    suffix: str
    content_type: str
    magic: bytes  # the first bytes of such a file
    zip_named: bool = False  # a zip container told apart by its name's suffix (docx, xlsx)


KINDS = {
    "pdf": Kind("PDF", ".pdf", "application/pdf", b"%PDF-"),
    "png": Kind("PNG", ".png", "image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": Kind("JPG", ".jpg", "image/jpeg", b"\xff\xd8\xff"),
    "docx": Kind(
        "Word（docx）", ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04", zip_named=True,
    ),
    "xlsx": Kind(
        "Excel（xlsx）", ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        b"PK\x03\x04", zip_named=True,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the data directory
    sha256: str
    size: int
    content_type: str


def kind_of(content: bytes, name: str, kinds: Sequence[str]) -> Kind | None:
    """The kind among kinds that content is, by its first bytes (and for zip containers, the
    suffix of name); None when it is none of them."""
    suffix = Path(name).suffix.lower()
    for key in kinds:
        kind = KINDS[key]
        if content.startswith(kind.magic) and (not kind.zip_named or suffix == kind.suffix):
            return kind
    return None


def store(
    data_dir: Path,
    folder: str,
    content: bytes,
    *,
    what: str,
    field: str,
    kinds: Sequence[str],
    limit: int,
    name: str = "",
    sha256: str | None = None,
) -> Stored:
    """Keep content under data_dir/folder as <sha256><suffix>; refused with a Chinese message
    naming what (佐证材料, 附件“…”) when it is empty, over limit bytes, not of one of kinds, or
    not matching the checksum the sender gave. A file already stored intact is not written
    again."""
    if not content:
        raise InvalidInput(f"{what}是空文件", field=field, value=name or None)
    if len(content) > limit:
        size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:.0f} KB"
        raise InvalidInput(f"{what}超过 {size} 的上限", field=field, value=name or None)
    kind = kind_of(content, name, kinds)
    if kind is None:
        raise InvalidInput(
            f"{what}的类型不允许：只接受 {_either(kinds)}文件", field=field, value=name or None
        )
    digest = hashlib.sha256(content).hexdigest()
    if sha256 is not None and sha256.strip().lower() != digest:
        raise InvalidInput(
            f"{what}的校验值与内容不符（传输中可能损坏），请重新上传", field=field,
            value=name or None,
        )  # fmt: skip
    relative = f"{folder}/{digest}{kind.suffix}"
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _intact(path):
        _write_atomically(path, content, what, field)
    return Stored(relative, digest, len(content), kind.content_type)


class Missing(Exception):
    """No such stored file (or a path outside the data directory)."""


class Damaged(Exception):
    """The stored file's content no longer has the hash it is named after."""


def _stored(data_dir: Path, relative: str) -> tuple[Path, bytes]:
    """A stored file and its content, read once and checked against its hash."""
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise Missing(relative)
    try:
        content = path.read_bytes()
    except OSError:
        raise Missing(relative) from None
    if hashlib.sha256(content).hexdigest() != path.stem:
        raise Damaged(relative)
    return path, content


def checked_path(data_dir: Path, relative: str) -> Path:
    """The path of a stored file whose content still has its hash; Missing or Damaged."""
    return _stored(data_dir, relative)[0]


def read(data_dir: Path, relative: str) -> bytes:
    """A stored file's content, checked against its hash; Missing or Damaged."""
    return _stored(data_dir, relative)[1]


def _either(kinds: Sequence[str]) -> str:
    """“PDF、PNG 或 JPG ”, “…Word（docx）或 Excel（xlsx）”: spaces only beside Latin letters."""
    labels = [KINDS[k].label for k in kinds]
    text = labels[-1] if len(labels) == 1 else "、".join(labels[:-1]) + " 或 " + labels[-1]
    text = text.replace("） 或 ", "）或 ")
    return text if text.endswith("）") else text + " "


def _intact(path: Path) -> bool:
    """Whether the file at path exists and its content still has the hash it is named after (a
    write cut short, say by a full disk, leaves no such file)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == path.stem
    except OSError:
        return False


def _write_atomically(path: Path, content: bytes, what: str, field: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.part")
    try:
        with temporary.open("xb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        if temporary.stat().st_size != len(content):
            raise InvalidInput(f"{what}保存不完整，请重新上传", field=field)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
