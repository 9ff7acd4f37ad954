"""The 七维 spec as a form: each dimension's weight and the rows of its scoring table, for an
official who does not edit YAML. The form's values are checked (in Chinese: weights that add up
to 100, tables whose bands run from low to high without gaps or overlaps, points 0–100), then
written into the spec's YAML, which is saved as a new version through the spec versions like an
edit of the text (`specversions.save_text`: the same permission, the same file checks).

Pure apart from nothing: text in, text out; the caller saves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from wulian.core.errors import InvalidInput
from wulian.talent import evaluation

WEIGHT_TOTAL = 100
EXTRA_ROWS = 1  # blank rows offered under each table, to add a band


@dataclass
class Band:
    min: float | None
    below: float | None
    points: float | None


@dataclass
class Dimension:
    key: str
    name: str
    unit: str
    weight: float | None
    bands: list[Band] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)  # rank → name, for coded dimensions


@dataclass
class SevenForm:
    min_known: int | None
    dimensions: list[Dimension]


def form_of(text: str) -> SevenForm:
    """The form's values of a spec text."""
    spec = evaluation.load(text)
    tables = spec.tables
    return SevenForm(
        spec.min_known,
        [
            Dimension(
                i.key, i.name, i.unit, float(i.weight),
                [Band(s.min, s.below, s.points) for s in tables.get(i.key, [])],
                dict(spec.codes.get(i.key, {})),
            )
            for i in spec.index.indicators
        ],
    )  # fmt: skip


def _number(text: str) -> float | None:
    value = text.strip().replace("，", "").replace(",", "")
    if not value:
        return None
    number = float(value)  # ValueError: not a number
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _plain(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def read_form(text: str, fields: Mapping[str, str]) -> tuple[SevenForm, list[str]]:
    """The values typed into the form for the dimensions of the spec text, and every value that
    is not a number (the form is shown again with them)."""
    base = form_of(text)
    problems: list[str] = []

    def number(name: str, what: str) -> float | None:
        raw = str(fields.get(name, ""))
        try:
            return _number(raw)
        except ValueError:
            problems.append(f"{what}应为数字，填写的是“{raw.strip()[:20]}”")
            return None

    known = number("min_known", "至少已知的维度数")
    dims = []
    for d in base.dimensions:
        weight = number(f"weight_{d.key}", f"“{d.name}”的权重")
        bands: list[Band] = []
        for row in range(len(d.bands) + EXTRA_ROWS + 20):
            names = [f"band_{d.key}_{row}_{part}" for part in ("min", "below", "points")]
            if not any(name in fields for name in names):
                if row >= len(d.bands) + EXTRA_ROWS:
                    break
                continue
            if not any(str(fields.get(name, "")).strip() for name in names):
                continue  # a blank row: removed, or not added
            what = f"“{d.name}”第 {len(bands) + 1} 档的"
            bands.append(
                Band(
                    number(names[0], what + "下限"), number(names[1], what + "上限"),
                    number(names[2], what + "分数"),
                )
            )  # fmt: skip
        dims.append(Dimension(d.key, d.name, d.unit, weight, bands, d.codes))
    return SevenForm(int(known) if known is not None else None, dims), problems


def check(form: SevenForm) -> list[str]:
    """Every reason the form's values cannot make a spec, in Chinese."""
    problems: list[str] = []
    count = len(form.dimensions)
    if form.min_known is None or not 1 <= form.min_known <= count:
        problems.append(f"至少已知的维度数应为 1–{count} 的整数")
    weights = [d.weight for d in form.dimensions]
    for d in form.dimensions:
        if d.weight is None:
            problems.append(f"请填写“{d.name}”的权重")
        elif d.weight < 0:
            problems.append(f"“{d.name}”的权重不能为负数（{_plain(d.weight)}）")
    if all(w is not None for w in weights):
        total = sum(w for w in weights if w is not None)
        if abs(total - WEIGHT_TOTAL) > 1e-9:
            problems.append(f"各维度权重合计应为 {WEIGHT_TOTAL}，现为 {_plain(round(total, 6))}")
    for d in form.dimensions:
        problems += _check_table(d)
    return problems


def _check_table(d: Dimension) -> list[str]:
    out: list[str] = []
    name = f"“{d.name}”"
    if not d.bands:
        return [f"{name}的分档表至少要有一档"]
    last = len(d.bands) - 1
    for n, band in enumerate(d.bands):
        row = f"{name}第 {n + 1} 档"
        if band.points is None:
            out.append(f"{row}请填写分数")
        elif not 0 <= band.points <= 100:
            out.append(f"{row}的分数应在 0–100 之间，填写的是 {_plain(band.points)}")
        if n > 0 and band.min is None:
            out.append(f"{row}请填写下限（只有第一档可以不填，表示“以下”）")
        if n < last and band.below is None:
            out.append(f"{row}请填写上限（只有最后一档可以不填，表示“及以上”）")
        if band.min is not None and band.below is not None and band.min >= band.below:
            out.append(f"{row}的下限 {_plain(band.min)} 应小于上限 {_plain(band.below)}")
        if n > 0:
            before = d.bands[n - 1].below
            if before is not None and band.min is not None:
                if band.min < before:
                    out.append(
                        f"{row}的下限 {_plain(band.min)} 小于第 {n} 档的上限 {_plain(before)}："
                        "两档重叠（各档应从低到高排列）"
                    )
                elif band.min > before:
                    out.append(
                        f"{row}的下限 {_plain(band.min)} 大于第 {n} 档的上限 {_plain(before)}："
                        f"{_plain(before)}–{_plain(band.min)} 之间没有分数（各档应首尾相接）"
                    )
    return out


def _yaml_number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def write(text: str, form: SevenForm) -> str:
    """The spec text with the form's weights, tables and min_known (checked first: InvalidInput
    naming every problem). Comments at the top of the file are kept; the rest is written out
    again, one table row a line."""
    problems = check(form)
    if problems:
        raise InvalidInput(
            f"方案有 {len(problems)} 处问题，未保存：" + "；".join(problems),
            field="form", problems=problems,
        )  # fmt: skip
    data: dict[str, Any] = yaml.safe_load(text)
    data["min_known"] = form.min_known
    by_key = {d.key: d for d in form.dimensions}
    for indicator in data["index"]["indicators"]:
        found = by_key.get(indicator["key"])
        if found is not None:
            indicator["weight"] = _yaml_number(found.weight)
    pipeline: list[Any] = []
    placed = False
    for step in data["index"].get("pipeline", []):
        if step.get("stage") == "normalise" and step.get("method") == "steps":
            if not placed:  # one table per dimension, where the tables were
                pipeline += [_table_step(d) for d in form.dimensions]
                placed = True
            continue
        pipeline.append(step)
    if not placed:
        pipeline += [_table_step(d) for d in form.dimensions]
    data["index"]["pipeline"] = pipeline
    header = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            header.append(line)
        else:
            break
    body = yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000
    )
    return "\n".join(header).rstrip() + ("\n" if header else "") + body


def _table_step(d: Dimension) -> dict[str, Any]:
    rows = []
    for band in d.bands:
        row: dict[str, Any] = {}
        if band.min is not None:
            row["min"] = _yaml_number(band.min)
        if band.below is not None:
            row["below"] = _yaml_number(band.below)
        row["points"] = _yaml_number(band.points)
        rows.append(row)
    return {"stage": "normalise", "method": "steps", "indicators": [d.key], "steps": rows}


def row_label(d: Dimension, band: Band) -> str:
    """What a band covers, in the dimension's names where it is coded (学历 5 = 硕士研究生)."""
    if not d.codes or (band.min is None and band.below is None):
        return ""
    low = band.min if band.min is not None else -math.inf
    high = band.below if band.below is not None else math.inf
    names = [name for rank, name in sorted(d.codes.items()) if low <= rank < high]
    return "、".join(n.split("（")[0] for n in names)
