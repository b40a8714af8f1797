"""Compare hardness methods on one table: do they agree on which rows are hard?

For every pair of methods: the Jaccard overlap of their hardest ``fraction`` of rows and the
Spearman correlation of their scores; for every method: the class composition of its hard
set. This is the comparison of the targeted-augmentation paper (KNN-Shapley against Data-IQ
and others), for any table.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.hardness.base import HardnessResult

__all__ = ["HardnessComparison", "compare_hardness"]


@dataclasses.dataclass
class HardnessComparison:
    """Pairwise agreement of hardness methods and the class mix of their hard sets."""

    jaccard: pd.DataFrame
    spearman: pd.DataFrame
    composition: pd.DataFrame
    scores: pd.DataFrame
    fraction: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (without the per-row scores)."""
        return {
            "fraction": self.fraction,
            "jaccard": json.loads(self.jaccard.to_json()),
            "spearman": json.loads(self.spearman.to_json()),
            "composition": json.loads(self.composition.to_json(orient="records")),
        }

    def plot(self) -> str:
        """Two heatmaps (Jaccard, Spearman) as a base64 PNG."""
        from tabaugment.report.plots import _encode, _plt

        plt = _plt()
        names = list(self.jaccard.columns)
        fig, axes = plt.subplots(1, 2, figsize=(4.5 + 1.1 * len(names), 2.3 + 0.45 * len(names)))
        for ax, frame, title in (
            (axes[0], self.jaccard, f"Jaccard of the hardest {self.fraction:.0%}"),
            (axes[1], self.spearman, "Spearman correlation of scores"),
        ):
            im = ax.imshow(frame.to_numpy(dtype=float), vmin=-1 if "Spearman" in title else 0, vmax=1, cmap="viridis")
            ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
            ax.set_yticks(range(len(names)), names, fontsize=8)
            for i in range(len(names)):
                for j in range(len(names)):
                    ax.text(j, i, f"{frame.iloc[i, j]:.2f}", ha="center", va="center", fontsize=7, color="white")
            ax.set_title(title, fontsize=9)
            fig.colorbar(im, ax=ax, fraction=0.046)
        return _encode(fig)

    def save_plot(self, path: str) -> None:
        """Write the plot as a PNG file (atomically)."""
        import base64

        from tabaugment._io import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_bytes(base64.b64decode(self.plot()))


def compare_hardness(
    results: dict[str, HardnessResult], y: Any, *, fraction: float = 0.1, positive_label: Any = None
) -> HardnessComparison:
    """Jaccard and Spearman between every pair of methods, and each hard set's class mix.

    ``results`` maps a method name to its :class:`HardnessResult` on the same rows; ``y``
    holds those rows' labels.
    """
    from scipy.stats import spearmanr

    if len(results) < 2:
        raise ValueError("Give at least two hardness results to compare.")
    names = list(results)
    n = len(next(iter(results.values())))
    if any(len(r) != n for r in results.values()):
        raise ValueError("All hardness results must score the same rows.")
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
