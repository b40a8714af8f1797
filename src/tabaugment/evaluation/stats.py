"""Paired comparisons over seeds: mean difference, bootstrap interval, t and Wilcoxon tests."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tabaugment.exceptions import DataError

__all__ = ["bootstrap_ci", "paired_comparison"]


def bootstrap_ci(
    diffs: np.ndarray, *, confidence: float = 0.95, n_resamples: int = 10_000, random_state: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``diffs`` (resampling seeds)."""
    d = np.asarray(diffs, dtype=np.float64)
    if len(d) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(random_state)
    means = d[rng.integers(0, len(d), size=(n_resamples, len(d)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def paired_comparison(baseline: np.ndarray, treatment: np.ndarray, *, random_state: int = 0) -> dict[str, Any]:
    """Compare per-seed scores of a treatment against the baseline of the same seeds.

    Returns the means, the mean difference (treatment - baseline), a 95% bootstrap interval,
    the paired t-test p-value, the Wilcoxon signed-rank p-value (exact for small samples; with
    5 seeds it cannot go below 0.0625) and the number of seeds where the treatment was higher.
    """
    from scipy import stats

    b = np.asarray(baseline, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    if b.shape != t.shape:
        raise DataError(f"baseline and treatment need one score per seed each; got {b.shape} and {t.shape}.")
    d = t - b
    low, high = bootstrap_ci(d, random_state=random_state)
    if len(d) < 2 or np.allclose(d, d[0]):
        p_t = 1.0 if np.allclose(d, 0) else (0.0 if len(d) >= 2 else float("nan"))
    else:
        p_t = float(stats.ttest_1samp(d, 0.0).pvalue)
    if len(d) < 2 or np.allclose(d, 0):
        p_w = 1.0 if len(d) >= 2 else float("nan")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_w = float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
    return {
        "n_seeds": len(d),
        "baseline_mean": float(b.mean()),
        "treatment_mean": float(t.mean()),
        "mean_diff": float(d.mean()),
        "ci_low": low,
        "ci_high": high,
        "p_ttest": p_t,
        "p_wilcoxon": p_w,
        "wins": int((d > 0).sum()),
        "losses": int((d < 0).sum()),
    }
