"""Titles to occupations with the classify engine's model of the classification.

`train` builds the model from the classification (its names, definitions, tasks and aliases);
`load_or_train` keeps it in a model file, retrained when the table or the aliases changed (the
file records their fingerprint); `place` cleans the titles and returns the top k occupations of
each with a score (the model's confidence, 0–1) and whether the title needs review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile
from wulian.engines.classify import model as classify_model
from wulian.engines.occupations import table as tablemod
from wulian.engines.occupations import titles as titlesmod

THRESHOLD = 0.5  # a best score under this marks the title for review
FINGERPRINT = "occupations_fingerprint"
EMPTY_TITLE = "职位名称为空，未归类"


@dataclass(frozen=True)
class Occupations:
    model: classify_model.Model
    marks: dict[str, str]
    evidence: dict[str, set[str]] = field(default_factory=dict)  # code → pieces of its text

    def __post_init__(self) -> None:
        if not self.evidence:
            tax = self.model.taxonomy
            for node in tax.leaves():
                text = " ".join([tax.names[node], tax.descriptions[node], *tax.keywords[node]])
                self.evidence[tax.codes[node]] = titlesmod.pieces(text)

    def supported(self, title: str, code: str) -> bool:
        """Whether the title shares a word or a pair of characters with what the occupation's
        name, definition, tasks and aliases say (a confident guess without it is a guess)."""
        return bool(titlesmod.pieces(titlesmod.core(title)) & self.evidence.get(code, set()))


def train(classification: tablemod.Classification) -> Occupations:
    """The classify engine's model of the classification (no labelled titles: the aliases are
    the taxonomy's keywords)."""
    model = classify_model.train(classification.taxonomy)
    model.info[FINGERPRINT] = classification.fingerprint
    return Occupations(model, classification.marks)


def load_or_train(table: Path, model_file: Path | None = None) -> Occupations:
    """The model of the classification in table: read from model_file when it was made from
    the same table and aliases, else trained (and written to model_file when given)."""
    classification = tablemod.read(table)
    if model_file is not None and model_file.exists():
        try:
            loaded = classify_model.load(model_file)
        except InvalidFile:
            loaded = None
        if loaded is not None and loaded.info.get(FINGERPRINT) == classification.fingerprint:
            return Occupations(loaded, classification.marks)
    trained = train(classification)
    if model_file is not None:
        model_file.parent.mkdir(parents=True, exist_ok=True)
        classify_model.save(trained.model, model_file)
    return trained


def place(
    occupations: Occupations,
    titles: Sequence[str | None],
    top_k: int = 5,
    threshold: float = THRESHOLD,
) -> pl.DataFrame:
    """row, rank, code, name, score, review (是/否: the title's best score under threshold, or
    its best occupation sharing no word or character pair with the title),
    mark (数字职业/绿色职业) and terms (the title's decisive words); a title with nothing to
    place by gets one row without code, marked for review."""
    cleaned = [titlesmod.clean(t) for t in titles]
    found = classify_model.predict(occupations.model, cleaned, top_k)
    frame = found.frame
    first = frame.filter(pl.col("rank") == 1)
    unsupported = [
        not occupations.supported(str(titles[row] or ""), code)
        for row, code in zip(first["row"].to_list(), first["code"].to_list(), strict=True)
    ]
    best = first.select(
        "row",
        ((pl.col("score") < threshold) | pl.Series(unsupported, dtype=pl.Boolean)).alias("low"),
    )
    marks = occupations.marks
    out = (
        frame.join(best, on="row", how="left")
        .with_columns(
            pl.when(pl.col("low")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("review"),
            pl.col("code").replace_strict(marks, default="").alias("mark"),
        )
        .select("row", "rank", "code", "name", "score", "review", "mark", "terms")
    )
    if found.empty:
        blank = pl.DataFrame(
            {
                "row": found.empty,
                "rank": [None] * len(found.empty),
                "code": [None] * len(found.empty),
                "name": [None] * len(found.empty),
                "score": [None] * len(found.empty),
                "review": ["是"] * len(found.empty),
                "mark": [""] * len(found.empty),
                "terms": [EMPTY_TITLE] * len(found.empty),
            },
            schema=out.schema,
        )
        out = pl.concat([out, blank])
    return out.sort("row", "rank", nulls_last=True)
