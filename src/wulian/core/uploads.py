"""Uploaded files waiting for an officer's confirmation, kept for a limited time.

An import is checked on upload and written only when the officer confirms the preview; between
the two the file, what the upload asked for and the check report wait in the data directory.
Each entry records when it was made; an entry older than `keep` is refused and removed
(`purge`), confirmed or not. The clock is injected so that tests need not wait.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wulian.core.db import utcnow
from wulian.core.errors import NotFound, PermissionDenied
from wulian.core.permissions import Actor

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,40}$")
SUFFIXES = (".data", ".json", ".report.xlsx")
EXPIRED = "导入记录不存在或已过期，请重新上传"


@dataclass(frozen=True)
class Uploads:
    """The waiting uploads in folder: `<token>.data` (the file), `<token>.json` (the request and
    when it was made) and `<token>.report.xlsx` (the check report)."""

    folder: Path
    keep: dt.timedelta
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def save(self, *, data: bytes, meta: dict[str, Any], report: bytes) -> str:
        """Keep an upload; its token. Expired entries go first."""
        self.purge()
        self.folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(18)
        stamped = {**meta, "created_at": self.clock().isoformat()}
        # The metadata first: a purge running meanwhile never takes the entry for a stray file.
        (self.folder / f"{token}.json").write_text(json.dumps(stamped, ensure_ascii=False), "utf-8")
        (self.folder / f"{token}.data").write_bytes(data)
        (self.folder / f"{token}.report.xlsx").write_bytes(report)
        return token

    def meta(self, token: str) -> dict[str, Any]:
        """What the upload asked for; NotFound when it is unknown, expired or already used."""
        meta = self._read(token)
        if meta is None or not (self.folder / f"{token}.data").exists():
            raise NotFound(EXPIRED)
        return meta

    @staticmethod
    def owner(actor: Actor) -> str:
        """Who made an upload, as kept in its metadata (`actor`): only they may confirm it."""
        return f"{actor.kind}:{actor.id}"

    def meta_for(self, token: str, actor: Actor) -> dict[str, Any]:
        """What the upload asked for, when actor made it; else PermissionDenied."""
        meta = self.meta(token)
        if meta.get("actor") != self.owner(actor):
            raise PermissionDenied("只能确认自己上传的文件")
        return meta

    def data(self, token: str) -> bytes:
        self.meta(token)
        return (self.folder / f"{token}.data").read_bytes()

    def report(self, token: str) -> Path:
        """The check report of a live entry (also after its file was imported)."""
        if self._read(token) is None:
            raise NotFound("检查报告不存在或已过期")
        path = self.folder / f"{token}.report.xlsx"
        if not path.exists():
            raise NotFound("检查报告不存在或已过期")
        return path

    def replace_report(self, token: str, report: bytes) -> None:
        if self._read(token) is not None:
            (self.folder / f"{token}.report.xlsx").write_bytes(report)

    def used(self, token: str) -> None:
        """The file was imported: drop it; the report stays until the entry expires."""
        (self.folder / f"{token}.data").unlink(missing_ok=True)

    def purge(self) -> int:
        """Remove every expired entry (and stray files of none); how many entries went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        tokens = {p.name.split(".", 1)[0] for p in self.folder.iterdir() if p.is_file()}
        for token in tokens:
            if not TOKEN.match(token):
                continue
            if self._read(token) is None:
                self._remove(token)
                removed += 1
        return removed

    def _read(self, token: str) -> dict[str, Any] | None:
        """The entry's metadata, or None when it is unknown or expired (then it is removed)."""
        if not TOKEN.match(token):
            return None
        path = self.folder / f"{token}.json"
        try:
            meta: dict[str, Any] = json.loads(path.read_text("utf-8"))
            made = dt.datetime.fromisoformat(meta["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if self.clock() - made >= self.keep:
            self._remove(token)
            return None
        return meta

    def _remove(self, token: str) -> None:
        for suffix in SUFFIXES:
            (self.folder / f"{token}{suffix}").unlink(missing_ok=True)
