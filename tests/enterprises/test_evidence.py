"""Evidence files are written whole or not at all, and checked against their hash when read: a
write cut short (a full disk) never leaves a truncated file that is later served or reused."""

from __future__ import annotations

import hashlib
import os

import pytest

from wulian.core.errors import NotFound
from wulian.enterprises import facts

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 2000


def test_a_truncated_file_is_replaced_by_the_next_upload(tmp_path):
    relative = f"evidence/7/{hashlib.sha256(PDF).hexdigest()}.pdf"
    damaged = tmp_path / relative
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(PDF[:204_800])  # what a failed write left behind
    with pytest.raises(NotFound, match="已损坏"):
        facts.evidence_file(tmp_path, relative)
    assert facts.store_evidence(tmp_path, 7, PDF, limit=10**7) == relative
    assert facts.evidence_file(tmp_path, relative).read_bytes() == PDF


def test_a_failed_write_leaves_nothing_under_the_name(tmp_path, monkeypatch):
    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        facts.store_evidence(tmp_path, 7, PDF, limit=10**7)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_paths_outside_the_data_directory_are_not_served(tmp_path):
    outside = tmp_path.parent / "secret.pdf"
    outside.write_bytes(PDF)
    with pytest.raises(NotFound):
        facts.evidence_file(tmp_path, "../secret.pdf")
