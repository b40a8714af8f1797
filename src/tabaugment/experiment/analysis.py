"""Analysis of stored results: every strategy against its paired baseline, Holm-corrected.

For each dataset x training size x model x metric, every strategy (and budget) is compared
with the baseline cells of the same seeds: mean difference, 95% bootstrap interval, paired
t-test p-value, and the Holm-corrected p-value over the strategies compared in that group. A
strategy *wins* when its Holm p < ``alpha`` and it is better (by the metric's direction),
*loses* when significantly worse, else *ties*.

With ``reference={strategy: other strategy}`` each strategy is compared with its reference
instead (e.g. a targeted strategy with the same generator on all rows, at the same budget);
the columns then read ``baseline_*`` for the reference's values and ``reference`` names it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tabaugment.evaluation.metrics import HIGHER_IS_BETTER
from tabaugment.evaluation.stats import paired_comparison

__all__ = ["SUMMARY_COLUMNS", "analyze", "holm"]

GROUP = ["dataset", "train_size", "model", "metric"]
#: The columns worth showing a person, in order.
SUMMARY_COLUMNS = [
    "dataset",
    "train_size",
    "model",
    "strategy",
    "budget",
    "baseline_mean",
    "treatment_mean",
    "mean_diff",
    "ci_low",
    "ci_high",
    "p_ttest",
    "p_holm",
    "verdict",
]


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def analyze(results: pd.DataFrame, *, alpha: float = 0.05, reference: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per group x strategy x budget: paired comparison with the baseline (or with
    each strategy's ``reference`` strategy at the same budget)."""
    if results.empty:
        return pd.DataFrame()
    rows = []
    for key, part in results.groupby(GROUP, sort=True):
        base = part[part.strategy == "baseline"].set_index("seed")["value"]
        others = part[part.strategy != "baseline"]
        group_rows = []
        for (strategy, budget), sp in others.groupby(["strategy", "budget"], sort=True):
            if reference is not None:
                if strategy not in reference:
                    continue
                ref = others[(others.strategy == reference[strategy]) & (others.budget == budget)]
                base = ref.set_index("seed")["value"]
            treat = sp.set_index("seed")["value"]
            seeds = base.index.intersection(treat.index)
            if len(seeds) < 2:
                continue
            stats = paired_comparison(base.loc[seeds].to_numpy(), treat.loc[seeds].to_numpy())
            row = {**dict(zip(GROUP, key)), "strategy": strategy, "budget": budget, **stats}
            if reference is not None:
                row["reference"] = reference[strategy]
            group_rows.append(row)
        if not group_rows:
            continue
        adj = holm(np.array([r["p_ttest"] for r in group_rows]))
        for r, p in zip(group_rows, adj):
            better = r["mean_diff"] > 0 if HIGHER_IS_BETTER.get(r["metric"], True) else r["mean_diff"] < 0
            r["p_holm"] = float(p)
            r["verdict"] = ("win" if better else "loss") if p < alpha else "tie"
            rows.append(r)
    return pd.DataFrame(rows)
