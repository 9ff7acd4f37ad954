"""Several scorers' candidates for each text, fused into one score by weights fitted on held-out
text.

Candidates of a text: the leaves the tree model's beam search reaches, the LEXICAL_CANDIDATES
best by line cosine, by whole-text cosine and by the line cosine of the text's first item, every
leaf whose keyword the text holds, and (with the semantic score) the best by semantic score.
Each candidate's features (FEATURES):
- logp: the tree model's log-probability of the leaf (for a leaf outside the beam, one less than
  the beam's worst), and beam: whether the beam reached it;
- line, whole: the lexical cosines (lexical.py), and line_z, whole_z: how many standard
  deviations each is above the mean of the text's scores over all the leaves;
- keyword: whether the text holds one of the leaf's keywords;
- head_line, head_z: the line cosine of the text's first item (text.head) and its z-score;
- semantic_z (with the semantic score only): the semantic score's z-score.
The fused score is a logistic regression of “this candidate is the right leaf” on the features:
fitted on held-out examples when a model has enough of them, else the defaults below; a text's
candidates' probabilities are a softmax of their fused scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wulian.engines.classify import lexical

FEATURES = ("logp", "beam", "line", "whole", "line_z", "whole_z", "keyword", "head_line", "head_z")
# Used when there are fewer held-out examples than MIN_FIT_ROWS to fit on (a taxonomy alone, or
# few examples): fitted on the dev held-out sets by benchmarks/fit_fusion.py.
DEFAULT_WEIGHTS = np.array(
    [0.849, -0.467, 2.102, 1.121, -0.227, 0.144, 1.051, 0.346, 0.199], np.float64
)
DEFAULT_BIAS = -1.041
# With the semantic score's z-score as a tenth feature (semantic.py), fitted the same way.
SEMANTIC_FEATURE = "semantic_z"
SEMANTIC_WEIGHTS = np.array(
    [0.76, -0.63, 1.862, 0.627, -0.232, 0.132, 1.66, 0.059, 0.176, 0.569], np.float64
)
SEMANTIC_BIAS = -2.340
MIN_FIT_ROWS = 60
TEMPERATURES = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0)
DEFAULT_TEMPERATURE = 1.0
LOGP_FLOOR = -30.0
LEXICAL_CANDIDATES = 5  # the best leaves by each lexical score


@dataclass
class Candidates:
    rows: np.ndarray  # text of each candidate (sorted)
    leaves: np.ndarray  # leaf position of each candidate
    features: np.ndarray  # candidates × FEATURES


def candidates(
    leaf_of_node: np.ndarray,
    beam_nodes: np.ndarray,
    beam_logp: np.ndarray,
    line: lexical.Scores,
    whole: lexical.Scores,
    hits: np.ndarray,
    head: lexical.Scores,
    semantic: lexical.Scores | None = None,
) -> Candidates:
    """Every text's candidate leaves and their features (hits: the keys text × leaves + leaf
    of keyword hits)."""
    size = len(leaf_of_node[leaf_of_node >= 0])
    finite = np.isfinite(beam_logp)
    beam_rows = np.nonzero(finite)[0]
    beam_leaves = leaf_of_node[beam_nodes[finite]]
    ok = beam_leaves >= 0
    beam_keys = beam_rows[ok] * size + beam_leaves[ok]
    beam_values = beam_logp[finite][ok]
    order = np.argsort(beam_keys, kind="stable")
    beam = lexical.Scores(beam_keys[order], beam_values[order], beam_logp[:, :0], beam_logp[:, :0])
    keys = np.unique(
        np.concatenate(
            [
                beam.keys,
                *(s.top(size, LEXICAL_CANDIDATES) for s in (line, whole, head)),
                hits,
                semantic.top(size, LEXICAL_CANDIDATES) if semantic else hits[:0],
            ]
        )
    )
    rows, leaves = keys // size, keys % size
    worst = np.where(finite, beam_logp, np.inf).min(axis=1, initial=np.inf)
    worst = np.where(np.isfinite(worst), worst, 0.0)
    in_beam = lexical.member(beam.keys, keys)
    logp = np.where(in_beam, beam.lookup(keys), worst[rows] - 1.0)
    line_value, whole_value, head_value = line.lookup(keys), whole.lookup(keys), head.lookup(keys)
    features = np.column_stack(
        [
            np.maximum(logp, LOGP_FLOOR),
            in_beam,
            line_value,
            whole_value,
            _z(line, rows, line_value),
            _z(whole, rows, whole_value),
            lexical.member(hits, keys),
            head_value,
            _z(head, rows, head_value),
            *([_z(semantic, rows, semantic.lookup(keys))] if semantic else []),
        ]
    ).astype(np.float64)
    return Candidates(rows, leaves, features)


def _z(scores: lexical.Scores, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many standard deviations values are above the mean of their text's scores."""
    std = np.where(scores.std > 0, scores.std, 1.0)
    out: np.ndarray = (values - scores.mean[rows]) / std[rows]
    return out


def logits(found: Candidates, weights: np.ndarray, bias: float) -> np.ndarray:
    out: np.ndarray = found.features @ weights + bias
    return out


def softmax_by_row(rows: np.ndarray, values: np.ndarray, temperature: float) -> np.ndarray:
    """Within each text (rows sorted), exp(v / t) over its candidates' sum; -inf gives 0."""
    if not len(rows):
        return np.zeros(0)
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    scaled = values / temperature
    top = np.maximum.reduceat(scaled, starts)
    top = np.where(np.isfinite(top), top, 0.0)
    exp = np.exp(scaled - np.repeat(top, np.diff(np.r_[starts, len(rows)])))
    total = np.add.reduceat(exp, starts)
    total[total == 0] = 1.0
    out: np.ndarray = exp / np.repeat(total, np.diff(np.r_[starts, len(rows)]))
    return out


def defaults(semantic: bool) -> tuple[np.ndarray, float]:
    """The default weights and bias, with or without the semantic feature."""
    if semantic:
        return SEMANTIC_WEIGHTS.copy(), SEMANTIC_BIAS
    return DEFAULT_WEIGHTS.copy(), DEFAULT_BIAS


def fit(
    found: Candidates, truth: np.ndarray, minimum: int = 0
) -> tuple[np.ndarray, float, float, dict[str, float]]:
    """Weights, bias and temperature from candidates of held-out texts whose right leaf
    positions are truth (one per text); with too few, the defaults."""
    right = found.leaves == truth[found.rows]
    reached = np.unique(found.rows[right])
    info = {"fit_rows": float(len(truth)), "right_among_candidates": float(len(reached))}
    if len(reached) < (minimum or MIN_FIT_ROWS) or right.all():
        weights, bias = defaults(found.features.shape[1] > len(FEATURES))
        return weights, bias, DEFAULT_TEMPERATURE, info
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(found.features, right)
    weights = model.coef_[0].astype(np.float64)
    bias = float(model.intercept_[0])
    fused = logits(found, weights, bias)
    best_t, best_loss = 1.0, np.inf
    for t in TEMPERATURES:
        p = softmax_by_row(found.rows, fused, t)[right]
        loss = float(-np.log(np.maximum(p, 1e-12)).sum())
        if loss < best_loss:
            best_t, best_loss = t, loss
    return weights, bias, best_t, info
