"""Compare hardness methods on one table: do they agree on which rows are hard?

For every pair of methods: the Jaccard overlap of their hardest ``fraction`` of rows and the
Spearman correlation of their scores; for every method: the class composition of its hard
set. This is the comparison of the targeted-augmentation paper (KNN-Shapley against Data-IQ
and others), for any table.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._json import records, table
from tabaugment.exceptions import DataError, ParameterError
from tabaugment.hardness.base import HardnessResult

__all__ = ["HardnessComparison", "compare_hardness"]


@dataclasses.dataclass
class HardnessComparison:
    """Pairwise agreement of hardness methods and the class mix of their hard sets.

    :func:`tabaugment.report.plots.hardness_comparison_plot` draws it.
    """

    jaccard: pd.DataFrame
    spearman: pd.DataFrame
    composition: pd.DataFrame
    scores: pd.DataFrame
    fraction: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (without the per-row scores)."""
        return {
            "fraction": self.fraction,
            "jaccard": table(self.jaccard),
            "spearman": table(self.spearman),
            "composition": records(self.composition),
        }


def compare_hardness(
    results: dict[str, HardnessResult], y: Any, *, fraction: float = 0.1, positive_label: Any = None
) -> HardnessComparison:
    """Jaccard and Spearman between every pair of methods, and each hard set's class mix.

    ``results`` maps a method name to its :class:`HardnessResult` on the same rows; ``y``
    holds those rows' labels.
    """
    from scipy.stats import spearmanr

    if len(results) < 2:
        raise ParameterError("Give at least two hardness results to compare.")
    names = list(results)
    n = len(next(iter(results.values())))
    if any(len(r) != n for r in results.values()):
        raise DataError("All hardness results must score the same rows.")
    y = np.asarray(y)
    k = max(1, round(fraction * n))
    hard = {m: set(np.argsort(-results[m].scores, kind="stable")[:k]) for m in names}
    jac = pd.DataFrame(index=names, columns=names, dtype=float)
    spear = pd.DataFrame(index=names, columns=names, dtype=float)
    for a in names:
        for b in names:
            jac.loc[a, b] = len(hard[a] & hard[b]) / len(hard[a] | hard[b])
            spear.loc[a, b] = float(spearmanr(results[a].scores, results[b].scores).statistic)
    labels = pd.unique(y)
    pos = positive_label if positive_label is not None else pd.Series(y).value_counts().index[-1]
    rows = []
    for m in names:
        idx = np.fromiter(hard[m], dtype=np.int64)
        row = {
            "method": m,
            "hard_rows": k,
            f"share_{pos}": float(np.mean(y[idx] == pos)),
            f"base_rate_{pos}": float(np.mean(y == pos)),
        }
        for lab in labels:
            row[f"count_{lab}"] = int(np.sum(y[idx] == lab))
        rows.append(row)
    scores = pd.DataFrame({m: results[m].scores for m in names}, index=next(iter(results.values())).index)
    return HardnessComparison(
        jaccard=jac, spearman=spear, composition=pd.DataFrame(rows), scores=scores, fraction=fraction
    )
