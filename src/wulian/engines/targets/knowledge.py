"""Domain knowledge for relatedness beyond shared characters: an industry classification's
names and notes (GB/T 4754: the 注释 list what each class makes), cut into items.

A class's items are its name and the items its notes list (the ◇ includes and the "—" lists;
the ◆ excludes are left out), cut at 、，；：and brackets. A product and a need that both match
items of one class are related through it, even when they share no character (涤纶长丝 and
DTY both sit in the notes of the synthetic-fibre classes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.classify import text as textmod
from wulian.engines.targets import features

ITEM_CUTS = re.compile(r"[、，,；;：:（）()。\[\]【】“”\"]+")
LEADS = re.compile(r"^(?:包括|指|含|以及|及|和|或|其他|其它|等)+")
TRAILS = re.compile(r"(?:等|的制造|的生产|制造|生产|活动|等活动)+$")
NOTE_COLUMNS = ("notes", "description_notes")


@dataclass
class Knowledge:
    codes: list[str]  # digits only (2822)
    names: list[str]
    items: list[str]  # every item of every class
    owners: list[int]  # the class (position in codes) of each item
    _features: features.Raw | None = field(default=None, repr=False)

    def features(self) -> features.Raw:
        """The items' features, found once (an index is often rebuilt on the same table)."""
        if self._features is None:
            self._features = features.raw(textmod.normalise(self.items))
        return self._features


def _items(notes: str) -> list[str]:
    out: list[str] = []
    for line in notes.splitlines():
        line = line.strip()
        if not line or line.startswith("◆"):
            continue
        line = line.lstrip("◇—-– ").strip()
        for part in ITEM_CUTS.split(line):
            part = TRAILS.sub("", LEADS.sub("", part.strip())).strip()
            if 2 <= len(part) <= 24:
                out.append(part)
    return out


def from_frame(frame: pl.DataFrame, source: str = "行业分类表") -> Knowledge:
    """The classes of a classification table (code, name, and notes or description_notes)."""
    missing = [c for c in ("code", "name") if c not in frame.columns]
    if missing:
        raise InvalidFile([RowProblem(1, c, None, "缺少这一列") for c in missing], source)
    notes_column = next((c for c in NOTE_COLUMNS if c in frame.columns), None)
    codes: list[str] = []
    names: list[str] = []
    items: list[str] = []
    owners: list[int] = []
    seen: set[str] = set()
    notes = frame[notes_column].cast(pl.Utf8).to_list() if notes_column else [None] * frame.height
    for code, name, note in zip(
        frame["code"].cast(pl.Utf8).to_list(),
        frame["name"].cast(pl.Utf8).to_list(),
        notes,
        strict=True,
    ):
        code = (code or "").strip()
        if not code.isdigit() or code in seen:
            continue  # 门类 letters are too broad to relate products by
        seen.add(code)
        at = len(codes)
        codes.append(code)
        names.append((name or "").strip())
        found = [names[-1], *_items(note or "")]
        for item in dict.fromkeys(i for i in found if i):
            items.append(item)
            owners.append(at)
    return Knowledge(codes, names, items, owners)
