"""The classify engine's default fusion weights, fitted on the dev held-out sets.

A model trained on a taxonomy alone (or with fewer held-out examples than fusion.MIN_FIT_ROWS)
has no text of the kind users write to fit its fusion on: the lines of the taxonomy's own notes
are list items, easy for the tree model and unlike product names or business scopes. Its weights
are these defaults instead: a logistic regression over the candidates of every dev set (products,
scopes, requests, chains; each model trained zero-shot on its taxonomy), and the softmax
temperature of least log loss. The test sets are never used here.

    python benchmarks/fit_fusion.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from benchmarks import classify_sets as sets
from wulian.engines.classify import fusion
from wulian.engines.classify import model as engine
from wulian.engines.classify import text as textmod


def main() -> None:
    parts: list[fusion.Candidates] = []
    truths: list[np.ndarray] = []
    offset = 0
    for task in sets.tasks("dev"):
        if task.key == "notes":
            continue
        model = engine.train(task.taxonomy, task.examples)
        found, _ = engine._candidates(model, textmod.normalise(task.texts))
        parts.append(fusion.Candidates(found.rows + offset, found.leaves, found.features))
        truths.append(model.leaf_of_node[[task.taxonomy.index[c] for c in task.truth]])
        offset += len(task.texts)
        print(f"{task.key}: {len(task.texts)} 条")
    pooled = fusion.Candidates(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.leaves for p in parts]),
        np.concatenate([p.features for p in parts]),
    )
    weights, bias, temperature, info = fusion.fit(pooled, np.concatenate(truths), minimum=1)
    print(info)
    print("DEFAULT_WEIGHTS = np.array(", np.round(weights, 3).tolist(), ", np.float64)", sep="")
    print(f"DEFAULT_BIAS = {bias:.3f}")
    print(f"DEFAULT_TEMPERATURE = {temperature}")


if __name__ == "__main__":
    main()
