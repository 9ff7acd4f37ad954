"""A taxonomy's text as single lines, each owned by one node: what the models learn from.

A node's lines are its name, each line of its description and each keyword. Descriptions may
follow the notation of the official classification tables (GB/T 4754's 注释): “◇ 包括……” opens
what a code includes and “◆ 不包括……” what it does not; the “—” item lines after a 不包括 line
are not the node's own. Such an item usually names where it belongs instead (“……，列入0252（非木
竹材林产品采集）”): the item, without that reference, becomes a line of the node it names when
that code is in the taxonomy, and is dropped otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from wulian.engines.classify.taxonomy import Taxonomy

# Where a line says the thing belongs: 列入 followed by codes, each with its name in brackets.
CITED = re.compile(r"[，,；;]?\s*(?:分别|均|应)?列入\s*([0-9A-Za-z][0-9A-Za-z.\-]*)")
MARKS = "◇◆—-–•· \t"

# How a line came to be: a name, a description line, a keyword, an item another node's notes
# send here, or a labelled example.
NAME, DESCRIPTION, KEYWORD, CITED_HERE, EXAMPLE = range(5)


@dataclass(frozen=True)
class Lines:
    texts: list[str]
    nodes: list[int]
    kinds: list[int]
    vectors: np.ndarray | None = None  # the semantic embedding of each line (NaN: none)


def _clean(line: str) -> str:
    return line.strip().lstrip(MARKS).strip()


def of_taxonomy(taxonomy: Taxonomy) -> Lines:
    """Every node's lines, in node order (the name first)."""
    texts: list[str] = []
    nodes: list[int] = []
    kinds: list[int] = []
    lower = {code.lower(): node for node, code in enumerate(taxonomy.codes)}
    cited: list[tuple[str, int]] = []

    def add(text: str, node: int, kind: int) -> None:
        text = _clean(text)
        if text:
            texts.append(text)
            nodes.append(node)
            kinds.append(kind)

    for node, name in enumerate(taxonomy.names):
        add(name, node, NAME)
        excluding = False
        for line in taxonomy.descriptions[node].splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("◆") or stripped.startswith("不包括"):
                excluding = True
                continue
            if stripped.startswith("◇"):
                excluding = False
            if excluding:
                found = CITED.search(stripped)
                target = lower.get(found.group(1).lower()) if found else None
                if found is not None and target is not None:
                    cited.append((stripped[: found.start()], target))
                continue
            add(stripped, node, DESCRIPTION)
        for keyword in taxonomy.keywords[node]:
            add(keyword, node, KEYWORD)
    for text, node in cited:
        add(text, node, CITED_HERE)
    return Lines(texts, nodes, kinds)


def with_examples(lines: Lines, examples: list[tuple[str, int]]) -> Lines:
    """The lines and the labelled examples after them."""
    extra = [(_clean(t), n) for t, n in examples]
    extra = [(t, n) for t, n in extra if t]
    return Lines(
        lines.texts + [t for t, _ in extra],
        lines.nodes + [n for _, n in extra],
        lines.kinds + [EXAMPLE] * len(extra),
    )
