"""The one upload store: type by first bytes, limits and checksums refused in Chinese, written
whole or not at all, checked when read; evidence and desk attachments both use it."""

from __future__ import annotations

import hashlib

import pytest

from wulian.core import files
from wulian.core.errors import InvalidInput

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 50
ZIP = b"PK\x03\x04" + bytes(200)
ALL = ("pdf", "png", "jpg", "docx", "xlsx")


def put(tmp_path, content, name="a.pdf", kinds=ALL, **extra):
    return files.store(
        tmp_path, "t/1", content, what="附件", field="f", kinds=kinds, limit=100_000, name=name,
        **extra,
    )  # fmt: skip


def test_the_type_comes_from_the_first_bytes_not_the_name(tmp_path):
    stored = put(tmp_path, PDF, name="合同.docx")  # a PDF named .docx is a PDF
    assert stored.content_type == "application/pdf"
    assert stored.path == f"t/1/{hashlib.sha256(PDF).hexdigest()}.pdf"
    assert put(tmp_path, ZIP, name="表.xlsx").path.endswith(".xlsx")
    with pytest.raises(
        InvalidInput, match="类型不允许：只接受 PDF、PNG、JPG、Word（docx）或 Excel（xlsx）文件"
    ):
        put(tmp_path, ZIP, name="a.zip")  # a zip that is neither docx nor xlsx
    with pytest.raises(InvalidInput, match="只接受 PDF 或 PNG 文件"):
        put(tmp_path, b"MZ\x90\x00", name="a.pdf", kinds=("pdf", "png"))


def test_empty_large_and_corrupted_uploads_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="附件是空文件"):
        put(tmp_path, b"")
    with pytest.raises(InvalidInput, match="超过 98 KB 的上限"):
        put(tmp_path, PDF + bytes(200_000))
    with pytest.raises(InvalidInput, match="校验值与内容不符"):
        put(tmp_path, PDF, sha256="0" * 64)
    assert put(tmp_path, PDF, sha256=hashlib.sha256(PDF).hexdigest().upper()).size == len(PDF)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [
        f"{hashlib.sha256(PDF).hexdigest()}.pdf"
    ]


def test_reading_checks_the_hash(tmp_path):
    stored = put(tmp_path, PDF)
    assert files.read(tmp_path, stored.path) == PDF
    (tmp_path / stored.path).write_bytes(PDF[:100])  # cut short
    with pytest.raises(files.Damaged):
        files.read(tmp_path, stored.path)
    assert put(tmp_path, PDF).path == stored.path  # the next upload replaces it whole
    assert files.read(tmp_path, stored.path) == PDF
    with pytest.raises(files.Missing):
        files.read(tmp_path, "t/1/" + "0" * 64 + ".pdf")
    with pytest.raises(files.Missing):
        files.read(tmp_path, "../outside.pdf")
