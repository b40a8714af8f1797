"""Analysis of stored results: every strategy against its paired baseline, corrected and Holm-adjusted.

For each dataset x training size x model x metric, every strategy (and budget) is compared
with the baseline cells of the same seeds: mean difference, its 95% interval and p-value by the
corrected resampled t-test (resampled splits overlap, so the plain paired t-test is
anti-conservative; the correction ratio follows the splits' sizes,
:func:`~tabaugment.evaluation.stats.split_overlap_ratio`), and the Holm-corrected p-value over
the strategies compared in that group. A strategy *wins* when its Holm p < ``alpha`` and it is
better (by the metric's direction), *loses* when significantly worse, else *ties*. The plain
t-test's p-value stays in the table (``p_ttest``) for comparison.

With ``reference={strategy: other strategy}`` each strategy is compared with its reference
instead (e.g. a targeted strategy with the same generator on all rows, at the same budget);
the columns then read ``baseline_*`` for the reference's values and ``reference`` names it.
With ``baseline_model`` the baseline cells are those of another model of the grid (e.g.
augmentation with LightGBM against no augmentation with a regularised LightGBM), paired by
dataset, size and seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabaugment import _defaults
from tabaugment.evaluation.metrics import HIGHER_IS_BETTER
from tabaugment.evaluation.stats import holm, paired_comparison, split_overlap_ratio

__all__ = ["SUMMARY_COLUMNS", "analyze", "holm", "overlap_ratio"]

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
    "p",
    "p_holm",
    "verdict",
]


def overlap_ratio(cells: pd.DataFrame) -> float:
    """The corrected test's ratio for these cells' splits (their mean test, training and pool rows)."""
    if not len(cells) or "test_rows" not in cells:
        return 0.0
    train = float(cells["train_rows"].mean())
    if "pool_rows" in cells and cells["pool_rows"].notna().any():
        pool = float(cells["pool_rows"].mean())
    else:  # written by a version that did not record the pool: assume full training sets (conservative)
        import warnings

        warnings.warn(
            "These results do not say how many rows the training rows were drawn from (pool_rows, recorded since "
            "tabaugment 0.1); the corrected test assumes whole training sets and is conservative. Add the column "
            "with benchmarks/add_pool_rows.py or rerun the cells.",
            stacklevel=2,
        )
        pool = train
    return split_overlap_ratio(float(cells["test_rows"].mean()), train, pool)


def _reference_cells(ref: pd.DataFrame, cells: pd.DataFrame, strategy: str, budget: Any) -> pd.DataFrame | None:
    """The cells of the reference strategy to pair with ``cells`` (one strategy at one budget):
    its cells at the budget of the same label, else at the budget that adds the same number of
    synthetic rows ("1x" of a 20% selection is 0.2), else, when the reference adds no synthetic
    rows at all (self-distillation, no augmentation), its cells whatever their budget label.
    None, with a warning, when no budget of the reference is comparable."""
    import warnings

    if ref.empty:
        return None
    if (ref.budget == budget).any():
        return ref[ref.budget == budget]
    rows = ref.groupby("budget")["synthetic_rows"].mean() if "synthetic_rows" in ref else pd.Series(dtype=float)
    mine = float(cells["synthetic_rows"].mean()) if "synthetic_rows" in cells else float("nan")
    same = [b for b, n in rows.items() if np.isfinite(mine) and abs(n - mine) <= 0.01 * max(mine, 1.0)]
    if same:
        return ref[ref.budget == same[0]]
    if len(rows) == 1 and float(rows.iloc[0]) == 0.0:
        return ref
    warnings.warn(
        f"{strategy!r} at budget {budget!r} has no comparable budget in its reference {str(ref.strategy.iloc[0])!r} "
        f"(its budgets: {sorted(map(str, ref.budget.unique()))}); that comparison is left out.",
        stacklevel=3,
    )
    return None


def analyze(
    results: pd.DataFrame,
    *,
    alpha: float = _defaults.ALPHA,
    reference: dict[str, str] | None = None,
    baseline_model: str | None = None,
) -> pd.DataFrame:
    """One row per group x strategy x budget: paired comparison with the baseline (or with
    each strategy's ``reference`` strategy at the budget of the same size, see
    :func:`_reference_cells`, or with the baseline cells of ``baseline_model``)."""
    if results.empty:
        return pd.DataFrame()
    rows = []
    group = GROUP if baseline_model is None else [c for c in GROUP if c != "model"]
    for key, part in results.groupby(group, sort=True):
        bases = part[part.strategy == "baseline"]
        if baseline_model is not None:
            bases = bases[bases.model == baseline_model]
        others = part[part.strategy != "baseline"]
        sub_groups = [((), others)] if baseline_model is None else list(others.groupby(["model"], sort=True))
        for model_key, sub in sub_groups:
            base = bases.set_index("seed")["value"]
            group_rows = []
            for (strategy, budget), sp in sub.groupby(["strategy", "budget"], sort=True):
                ref_cells = bases
                if reference is not None:
                    if strategy not in reference:
                        continue
                    ref_cells = _reference_cells(sub[sub.strategy == reference[strategy]], sp, strategy, budget)
                    if ref_cells is None:
                        continue
                    base = ref_cells.set_index("seed")["value"]
                treat = sp.set_index("seed")["value"]
                seeds = base.index.intersection(treat.index)
                if len(seeds) < 2:
                    continue
                stats = paired_comparison(
                    base.loc[seeds].to_numpy(), treat.loc[seeds].to_numpy(), ratio=overlap_ratio(sp)
                )
                labels = dict(zip(group, key if isinstance(key, tuple) else (key,)))
                if baseline_model is not None:
                    labels["model"] = model_key[0] if isinstance(model_key, tuple) else model_key
                    labels["baseline_model"] = baseline_model
                row = {**labels, "strategy": strategy, "budget": budget, **stats}
                if reference is not None:
                    row["reference"] = reference[strategy]
                group_rows.append(row)
            if not group_rows:
                continue
            adj = holm(np.array([r["p"] for r in group_rows]))
            for r, p in zip(group_rows, adj):
                better = r["mean_diff"] > 0 if HIGHER_IS_BETTER.get(r["metric"], True) else r["mean_diff"] < 0
                r["p_holm"] = float(p)
                r["verdict"] = ("win" if better else "loss") if p < alpha else "tie"
                rows.append(r)
    return pd.DataFrame(rows)
