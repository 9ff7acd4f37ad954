"""The national occupation classification (职业分类大典 2022) as a code → name table, read from
the operator's own copy (a CSV with columns level, code, name, …), or absent.

An occupation code given for a person or a post is stored when the table knows it as an
occupation (level 4, x-xx-xx-xx); with no table configured only the code's shape is checked.
"""

from __future__ import annotations

import csv
import fcntl
import functools
import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.classify import model as classify_model
from wulian.engines.occupations import engine
from wulian.engines.occupations import table as tablemod

log = logging.getLogger(__name__)

CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$", re.ASCII)
DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))  # what NFKC leaves as other dashes


@functools.cache
def load(path: Path) -> Mapping[str, str]:
    """The occupations (level 4) of the CSV at path: code → name."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["code"].strip(): row["name"].strip()
            for row in csv.DictReader(handle)
            if str(row.get("level", "")).strip() == "4"
        }


def check(
    code: str, table: Mapping[str, str] | None, *, field: str = "occupation_code"
) -> str | None:
    """The occupation code as stored (None when not given), or a clear error. Full-width digits
    and dashes (a Chinese input method's “2－02－05－06”) are read as the ASCII ones (NFKC)."""
    code = unicodedata.normalize("NFKC", code).strip()
    code = code.translate(DASHES).replace(" ", "")
    if not code:
        return None
    if not CODE.match(code):
        raise InvalidInput(
            f"职业代码“{code}”格式不对：应为职业分类大典（2022）的细类代码，如 2-02-09-01",
            field=field,
            value=code,
        )
    if table is not None and code not in table:
        raise InvalidInput(
            f"职业分类大典（2022）中没有职业代码“{code}”（须为细类，即职业）",
            field=field,
            value=code,
        )
    return code


# ---------------------------------------------------------------- suggested occupations of posts
#
# A post entered without an occupation code gets one suggested by the classify engine's model
# of the classification (engines.occupations). Training that model on the whole 职业分类大典 takes
# minutes, so it is built once per table in a thread of its own and kept on disk under the data
# folder, keyed by a hash of the table, the aliases and ENGINE_VERSION: a request never trains.
# Until the model is there a post waits as 待建议 (pending); it is filled when the build ends.

ENGINE_VERSION = "occupations-1"  # change when training changes: older model files are not read
MARKS = "occupation_marks"
STATES = {
    "": "已填写",
    "pending": "待建议",
    "suggested": "已建议",
    "review": "待复核",
    "reviewed": "已复核",
}


@dataclass(frozen=True)
class Source:
    """The classification a model is built from, and the key of its model file."""

    key: str
    classification: Callable[[], tablemod.Classification]


def _key(data: bytes) -> str:
    digest = hashlib.sha256(data)
    digest.update(
        resources.files("wulian.engines.occupations").joinpath("aliases.yaml").read_bytes()
    )
    digest.update(ENGINE_VERSION.encode())
    return digest.hexdigest()


def source_of(path: Path | None, frame: pl.DataFrame | None) -> Source | None:
    """The operator's occupation file when configured, else the table loaded into the reference
    data (frame: code, name, parent_code, definition), else None."""
    if path is not None:
        data = path.read_bytes()
        return Source(_key(data), lambda: tablemod.read(path))
    if frame is None or frame.is_empty():
        return None
    text = frame.write_csv().encode("utf-8")
    return Source(_key(text), lambda: tablemod.classification(frame, None, "职业分类表", text))


class ModelStore:
    """The occupation models of this process, read from or written to folder; builds run in
    daemon threads, one per key. A build holds an OS lock (flock) on a lock file beside the
    model, so a second thread or process does not build too; the lock goes with the process
    (a server restarted mid-build builds again at once, no stale marker to wait out)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.models: dict[str, engine.Occupations] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.errors: dict[str, str] = {}

    def path(self, key: str) -> Path:
        return self.folder / f"occupations-{key[:32]}.npz"

    def get(self, source: Source) -> engine.Occupations | None:
        """The model of source if it is built (in memory, else on disk); None otherwise. A file
        that cannot be read (cut short, corrupt, another format) counts as absent: it is moved
        aside (….npz.bad) and logged, and the model is built again."""
        with self.lock:
            found = self.models.get(source.key)
        if found is not None:
            return found
        path = self.path(source.key)
        if not path.exists():
            return None
        try:
            model = classify_model.load(path)
            marks = model.info.get(MARKS)
            loaded = engine.Occupations(
                model, {str(k): str(v) for k, v in marks.items()} if isinstance(marks, dict) else {}
            )
        except Exception:  # any unreadable file is absent, never a failed request
            log.exception("职业分类模型文件 %s 无法读取，已移开，将重新建立", path.name)
            try:
                path.replace(path.with_name(path.name + ".bad"))
            except OSError:
                log.exception("无法移开职业分类模型文件 %s", path.name)
            return None
        with self.lock:
            self.models[source.key] = loaded
        return loaded

    def state(self, source: Source | None) -> str:
        """ready, building, failed (with errors[key]), or absent; none: no table."""
        if source is None:
            return "none"
        if self.get(source) is not None:
            return "ready"
        with self.lock:
            thread = self.threads.get(source.key)
            if thread is not None and thread.is_alive():
                return "building"
            if source.key in self.errors:
                return "failed"
        return "building" if self._locked(source.key) else "absent"

    def _lock_path(self, key: str) -> Path:
        return self.folder / f"occupations-{key[:32]}.lock"

    def _take(self, key: str) -> int | None:
        """The lock of key's build (an open descriptor to close when done), or None when another
        thread or process holds it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd

    def _locked(self, key: str) -> bool:
        """Whether a build of key holds its lock (in this process or another)."""
        if not self._lock_path(key).exists():
            return False
        fd = self._take(key)
        if fd is None:
            return True
        os.close(fd)  # closing releases the lock
        return False

    def build(self, source: Source) -> engine.Occupations:
        """Train the model of source now and keep it (the file is written whole, flushed to
        disk, then renamed over the old one, so a crash leaves the old file or the new one)."""
        classification = source.classification()
        trained = engine.train(classification)
        trained.model.info[MARKS] = dict(classification.marks)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(source.key)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.part")
        classify_model.save(trained.model, partial)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(path)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself
        finally:
            os.close(folder)
        with self.lock:
            self.models[source.key] = trained
            self.errors.pop(source.key, None)
        return trained

    def start(
        self, source: Source, then: Callable[[engine.Occupations], None] | None = None
    ) -> threading.Thread | None:
        """Build the model of source in a daemon thread (unless it is built or being built),
        then call then(model): filling the posts that wait for it."""
        if self.get(source) is not None:
            return None
        with self.lock:
            running = self.threads.get(source.key)
            if running is not None and running.is_alive():
                return None
            fd = self._take(source.key)
            if fd is None:  # another process builds it
                return None

            def run() -> None:
                try:
                    model = self.get(source)  # built meanwhile by a process that held the lock
                    if model is None:
                        model = self.build(source)
                    if then is not None:
                        then(model)
                except Exception as error:  # logged and shown; the posts stay 待建议
                    log.exception("职业分类模型建立失败")
                    with self.lock:
                        self.errors[source.key] = str(error)[:300]
                finally:
                    os.close(fd)  # releases the lock (as the process's end would)

            thread = threading.Thread(target=run, name="occupation-model", daemon=True)
            self.threads[source.key] = thread
        thread.start()
        return thread


def suggest(model: engine.Occupations, titles: Sequence[str]) -> list[Suggestion]:
    """The best occupation of each title, its confidence and whether it needs review."""
    placed = engine.place(model, list(titles), top_k=1)
    out = [Suggestion(None, None, True, "") for _ in titles]
    for row in placed.iter_rows(named=True):
        index = int(row["row"])
        score = row["score"]
        out[index] = Suggestion(
            None if row["code"] is None else str(row["code"]),
            None if score is None else round(float(score), 4),
            row["review"] == "是",
            str(row["terms"] or "")[:200],
        )
    return out


@dataclass(frozen=True)
class Suggestion:
    code: str | None
    score: float | None
    review: bool
    terms: str
