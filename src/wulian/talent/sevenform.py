"""The 七维 spec as a form: each dimension's weight and the rows of its scoring table, for an
official who does not edit YAML. The form's values are checked (in Chinese: weights that add up
to 100, tables whose bands run from low to high without gaps or overlaps, points 0–100), then
written into the spec's YAML, which is saved as a new version through the spec versions like an
edit of the text (`specversions.save_text`: the same permission, the same file checks).

Pure apart from nothing: text in, text out; the caller saves.
"""

from __future__ import annotations

import copy
import math
import re
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
    names: tuple[str, ...] = ()  # the form's boxes of the row (min, below, points), if read


@dataclass(frozen=True)
class Problem:
    """A problem of the form: its text, the boxes it is about (marked on the page), and the box
    it is listed at (the problems are listed in the form's order)."""

    text: str
    fields: tuple[str, ...] = ()
    at: str = ""

    @property
    def anchor(self) -> str:
        return self.at or (self.fields[0] if self.fields else "")


BOX = re.compile(r"^band_(.+)_(\d+)_(min|below|points)$")
PARTS = ("min", "below", "points")


def in_form_order(problems: list[Problem], keys: list[str]) -> list[Problem]:
    """The problems in the order of the form's boxes: the weights (by dimension), 至少已知的维度数,
    then each dimension's table row by row (下限, 上限, 分数); stable among equals."""
    order = {k: i for i, k in enumerate(keys)}

    def position(p: Problem) -> tuple[int, int, int, int]:
        name = p.anchor
        if name.startswith("weight_"):
            return (0, order.get(name[len("weight_") :], len(order)), 0, 0)
        if name == "min_known":
            return (1, 0, 0, 0)
        found = BOX.match(name)
        if found:
            key, row, part = found.groups()
            return (2, order.get(key, len(order)), int(row), PARTS.index(part))
        return (3, 0, 0, 0)

    return sorted(problems, key=position)


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
    form, problems = read_form_boxes(text, fields)
    return form, [p.text for p in problems]


def read_form_boxes(text: str, fields: Mapping[str, str]) -> tuple[SevenForm, list[Problem]]:
    """As read_form, each problem with the box it is about."""
    base = form_of(text)
    problems: list[Problem] = []

    def number(name: str, what: str) -> float | None:
        raw = str(fields.get(name, ""))
        try:
            return _number(raw)
        except ValueError:
            problems.append(Problem(f"{what}应为数字，填写的是“{raw.strip()[:20]}”", (name,)))
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
                    number(names[2], what + "分数"), tuple(names),
                )
            )  # fmt: skip
        dims.append(Dimension(d.key, d.name, d.unit, weight, bands, d.codes))
    return SevenForm(int(known) if known is not None else None, dims), problems


def unreadable(fields: Mapping[str, str]) -> set[str]:
    """The names of the form's number boxes whose value is not a number (marked on the page)."""
    out = set()
    for name, raw in fields.items():
        if name == "min_known" or name.startswith(("weight_", "band_")):
            try:
                _number(str(raw))
            except ValueError:
                out.add(name)
    return out


def check(form: SevenForm) -> list[str]:
    """Every reason the form's values cannot make a spec, in Chinese, in the form's order."""
    return [p.text for p in check_boxes(form)]


def check_boxes(form: SevenForm) -> list[Problem]:
    """As check, each problem with the boxes it is about, in the form's order."""
    problems: list[Problem] = []
    count = len(form.dimensions)
    if form.min_known is None or not 1 <= form.min_known <= count:
        problems.append(Problem(f"至少已知的维度数应为 1–{count} 的整数", ("min_known",)))
    weights = [d.weight for d in form.dimensions]
    for d in form.dimensions:
        if d.weight is None:
            problems.append(Problem(f"请填写“{d.name}”的权重", (f"weight_{d.key}",)))
        elif d.weight < 0:
            problems.append(
                Problem(f"“{d.name}”的权重不能为负数（{_plain(d.weight)}）", (f"weight_{d.key}",))
            )
    if all(w is not None for w in weights) and form.dimensions:
        total = sum(w for w in weights if w is not None)
        if abs(total - WEIGHT_TOTAL) > 1e-9:
            problems.append(
                Problem(
                    f"各维度权重合计应为 {WEIGHT_TOTAL}，现为 {_plain(round(total, 6))}",
                    at=f"weight_{form.dimensions[-1].key}",
                )
            )
    for d in form.dimensions:
        problems += _check_table(d)
    return in_form_order(problems, [d.key for d in form.dimensions])


def _check_table(d: Dimension) -> list[Problem]:
    out: list[Problem] = []
    name = f"“{d.name}”"
    if not d.bands:
        return [Problem(f"{name}的分档表至少要有一档", at=f"band_{d.key}_0_min")]
    last = len(d.bands) - 1
    for n, band in enumerate(d.bands):
        row = f"{name}第 {n + 1} 档"
        low, high, points = band.names if len(band.names) == 3 else ("", "", "")

        def boxes(*names: str) -> tuple[str, ...]:
            return tuple(b for b in names if b)

        if band.points is None:
            out.append(Problem(f"{row}请填写分数", boxes(points), at=points))
        elif not 0 <= band.points <= 100:
            out.append(
                Problem(
                    f"{row}的分数应在 0–100 之间，填写的是 {_plain(band.points)}", boxes(points)
                )
            )
        if n > 0 and band.min is None:
            out.append(
                Problem(f"{row}请填写下限（只有第一档可以不填，表示“以下”）", boxes(low), at=low)
            )
        if n < last and band.below is None:
            out.append(
                Problem(
                    f"{row}请填写上限（只有最后一档可以不填，表示“及以上”）", boxes(high), at=high
                )
            )
        if band.min is not None and band.below is not None and band.min >= band.below:
            out.append(
                Problem(
                    f"{row}的下限 {_plain(band.min)} 应小于上限 {_plain(band.below)}",
                    boxes(low, high),
                )
            )
        if n > 0:
            before = d.bands[n - 1].below
            previous = d.bands[n - 1].names[1] if len(d.bands[n - 1].names) == 3 else ""
            if before is not None and band.min is not None:
                if band.min < before:
                    out.append(
                        Problem(
                            f"{row}的下限 {_plain(band.min)} 小于第 {n} 档的上限 {_plain(before)}："
                            "两档重叠（各档应从低到高排列）",
                            boxes(low, previous), at=low,
                        )
                    )  # fmt: skip
                elif band.min > before:
                    out.append(
                        Problem(
                            f"{row}的下限 {_plain(band.min)} 大于第 {n} 档的上限 {_plain(before)}："
                            f"{_plain(before)}–{_plain(band.min)} 之间没有分数（各档应首尾相接）",
                            boxes(low, previous), at=low,
                        )
                    )  # fmt: skip
    return out


def refusal(problems: list[Problem]) -> InvalidInput:
    """The form refused: every problem (in the form's order) and the boxes to mark."""
    texts = [p.text for p in problems]
    return InvalidInput(
        f"方案有 {len(texts)} 处问题，未保存：" + "；".join(texts), field="form", problems=texts,
        invalid=sorted({name for p in problems for name in p.fields}),
    )  # fmt: skip


def _yaml_number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def write(text: str, form: SevenForm) -> str:
    """The spec text with the form's weights, tables and min_known (checked first: InvalidInput
    naming every problem). The stored text is changed in place where the values changed (a
    weight, min_known, a table's rows), so the new version differs from the old one only by
    those lines and keeps its layout and comments; a text whose layout cannot be edited so (a
    table shared by several dimensions, rows written as blocks) is written out again whole, one
    table row a line."""
    found = check_boxes(form)
    if found:
        raise refusal(found)
    patched = _patch(text, form)
    if patched is not None and _same_spec(text, patched, form):
        return patched
    return _rewrite(text, form)


def _rewrite(text: str, form: SevenForm) -> str:
    """The spec written out again whole (comments at the top kept)."""
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


# ---------------------------------------------------------------- editing the text in place


def _scalar_text(value: int | float | None) -> str:
    """A number as YAML writes it (12, 12.5), one line."""
    return yaml.safe_dump(value).split("\n", 1)[0]


def _row_text(row: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar_text(v)}" for k, v in row.items()) + "}"


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[0] if len(found) == 1 else None


def _patch(text: str, form: SevenForm) -> str | None:
    """The text with the changed values replaced where they are written, or None when its
    layout does not allow it (the caller writes the file out again)."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        return None
    edits: list[tuple[int, int, str]] = []  # (start, end, new text), character offsets
    known = _child(root, "min_known")
    if data.get("min_known") != form.min_known:
        if not isinstance(known, yaml.ScalarNode):
            return None
        edits.append((known.start_mark.index, known.end_mark.index, _scalar_text(form.min_known)))
    index = _child(root, "index")
    indicators = _child(index, "indicators") if index is not None else None
    pipeline = _child(index, "pipeline") if index is not None else None
    if not isinstance(indicators, yaml.SequenceNode) or not isinstance(pipeline, yaml.SequenceNode):
        return None
    by_key = {d.key: d for d in form.dimensions}
    stored = {
        str(i.get("key")): i.get("weight")
        for i in data.get("index", {}).get("indicators", [])
        if isinstance(i, dict)
    }
    for item in indicators.value:
        key, weight = _child(item, "key"), _child(item, "weight")
        if not isinstance(key, yaml.ScalarNode) or key.value not in by_key:
            continue
        new = _yaml_number(by_key[key.value].weight)
        if stored.get(key.value) == new:
            continue
        if not isinstance(weight, yaml.ScalarNode):
            return None
        edits.append((weight.start_mark.index, weight.end_mark.index, _scalar_text(new)))
    tables: dict[str, yaml.Node] = {}
    for step in pipeline.value:
        stage, method = _child(step, "stage"), _child(step, "method")
        if not (
            isinstance(stage, yaml.ScalarNode) and stage.value == "normalise"
            and isinstance(method, yaml.ScalarNode) and method.value == "steps"
        ):  # fmt: skip
            continue
        named = _child(step, "indicators")
        if not isinstance(named, yaml.SequenceNode) or len(named.value) != 1:
            return None  # a table of several dimensions: written out again
        key = named.value[0].value
        if key in tables:
            return None
        rows = _child(step, "steps")
        if rows is None:
            return None
        tables[key] = rows
    for d in form.dimensions:
        rows = tables.get(d.key)
        if rows is None:
            return None
        edit = _table_edits(text, rows, _table_step(d)["steps"])
        if edit is None:
            return None
        edits += edit
    out = text
    for start, end, new_text in sorted(edits, reverse=True):
        out = out[:start] + new_text + out[end:]
    return out


def _table_edits(
    text: str, node: yaml.Node, new: list[dict[str, Any]]
) -> list[tuple[int, int, str]] | None:
    """The edits that make the rows of a table node the new rows: only the rows that changed
    (rows added or removed: the table's lines), or None when the table is not written one
    row a line."""
    if not isinstance(node, yaml.SequenceNode):
        return None
    if node.flow_style:  # steps: [{…}, {…}]
        if yaml.safe_load(text[node.start_mark.index : node.end_mark.index]) == new:
            return []
        rows = "[" + ", ".join(_row_text(r) for r in new) + "]"
        return [(node.start_mark.index, node.end_mark.index, rows)]
    items = node.value
    if not items:
        return None
    old: list[Any] = []
    starts: list[int] = []
    for item in items:  # each row a flow mapping alone on its line after "- "
        if not (isinstance(item, yaml.MappingNode) and item.flow_style):
            return None
        old.append(yaml.safe_load(text[item.start_mark.index : item.end_mark.index]))
        if item.start_mark.line != item.end_mark.line:
            return None
        line_start = text.rfind("\n", 0, item.start_mark.index) + 1
        line_end = text.find("\n", item.end_mark.index)
        rest = text[item.end_mark.index : len(text) if line_end < 0 else line_end]
        if text[line_start : item.start_mark.index].strip() != "-" or rest.strip():
            return None
        starts.append(line_start)
    if len(old) == len(new):
        return [
            (item.start_mark.index, item.end_mark.index, _row_text(row))
            for item, before, row in zip(items, old, new, strict=True)
            if before != row
        ]
    prefix = text[starts[0] : items[0].start_mark.index]
    if any(text[s : i.start_mark.index] != prefix for s, i in zip(starts, items, strict=True)):
        return None
    end = items[-1].end_mark.index
    lines = "\n".join(prefix + _row_text(r) for r in new)
    return [(starts[0], end, lines)]


def _stripped(data: Any) -> Any:
    """A spec's data without what the form sets (to compare the rest)."""
    data = copy.deepcopy(data)
    data.pop("min_known", None)
    for indicator in data["index"]["indicators"]:
        indicator.pop("weight", None)
    for step in data["index"].get("pipeline", []):
        if step.get("stage") == "normalise" and step.get("method") == "steps":
            step.pop("steps", None)
    return data


def _same_spec(text: str, patched: str, form: SevenForm) -> bool:
    """Whether the edited text says what the form says and, apart from that, what the text
    said."""
    try:
        got = form_of(patched)
        if _stripped(yaml.safe_load(patched)) != _stripped(yaml.safe_load(text)):
            return False
    except Exception:  # any text that does not load again is written out whole instead
        return False
    if got.min_known != form.min_known or len(got.dimensions) != len(form.dimensions):
        return False
    for a, b in zip(got.dimensions, form.dimensions, strict=True):
        if (a.key, a.weight) != (b.key, b.weight):
            return False
        if [(x.min, x.below, x.points) for x in a.bands] != [
            (x.min, x.below, x.points) for x in b.bands
        ]:
            return False
    return True


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
