"""The national occupation classification (职业分类大典 2022) as a code → name table, read from
the operator's own copy (a CSV with columns level, code, name, …), or absent.

An occupation code given for a person or a post is stored when the table knows it as an
occupation (level 4, x-xx-xx-xx); with no table configured only the code's shape is checked.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, InvalidInput
from wulian.engines.classify import model as classify_model
from wulian.engines.occupations import engine
from wulian.engines.occupations import table as tablemod

log = logging.getLogger(__name__)

CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")


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
    """The occupation code as stored (None when not given), or a clear error."""
    code = code.strip()
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
STALE_LOCK_SECONDS = 3600.0  # a build marker older than this is from a process that died


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
    daemon threads, one per key (a marker file keeps a second process from building too)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.models: dict[str, engine.Occupations] = {}
        self.threads: dict[str, threading.Thread] = {}
        self.errors: dict[str, str] = {}

    def path(self, key: str) -> Path:
        return self.folder / f"occupations-{key[:32]}.npz"

    def get(self, source: Source) -> engine.Occupations | None:
        """The model of source if it is built (in memory, else on disk); None otherwise."""
        with self.lock:
            found = self.models.get(source.key)
        if found is not None:
            return found
        path = self.path(source.key)
        if not path.exists():
            return None
        try:
            model = classify_model.load(path)
        except InvalidFile:
            return None
        marks = model.info.get(MARKS)
        loaded = engine.Occupations(
            model, {str(k): str(v) for k, v in marks.items()} if isinstance(marks, dict) else {}
        )
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
        return "building" if self._marked(source.key) else "absent"

    def _marker(self, key: str) -> Path:
        return self.folder / f"occupations-{key[:32]}.building"

    def _marked(self, key: str) -> bool:
        marker = self._marker(key)
        try:
            return time.time() - marker.stat().st_mtime < STALE_LOCK_SECONDS
        except OSError:
            return False

    def build(self, source: Source) -> engine.Occupations:
        """Train the model of source now and keep it (the file is written whole, then renamed)."""
        classification = source.classification()
        trained = engine.train(classification)
        trained.model.info[MARKS] = dict(classification.marks)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(source.key)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.part")
        classify_model.save(trained.model, partial)
        partial.replace(path)
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
            if self._marked(source.key):
                return None
            self.folder.mkdir(parents=True, exist_ok=True)
            self._marker(source.key).write_text(str(os.getpid()), encoding="utf-8")

            def run() -> None:
                try:
                    model = self.build(source)
                    if then is not None:
                        then(model)
                except Exception as error:  # logged and shown; the posts stay 待建议
                    log.exception("职业分类模型建立失败")
                    with self.lock:
                        self.errors[source.key] = str(error)[:300]
                finally:
                    self._marker(source.key).unlink(missing_ok=True)

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
