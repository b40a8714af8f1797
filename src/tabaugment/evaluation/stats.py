"""Paired comparisons over resampled splits: the corrected resampled t-test, Wilcoxon, intervals."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tabaugment.exceptions import DataError

__all__ = ["bootstrap_ci", "corrected_ttest", "holm", "paired_comparison", "split_overlap_ratio"]


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


def corrected_ttest(diffs: np.ndarray, ratio: float = 0.0, *, confidence: float = 0.95) -> dict[str, float]:
    """The corrected resampled t-test of Nadeau & Bengio (2003) on paired differences.

    Resampled splits of one table overlap, so their differences are correlated and the plain
    t-test's variance ``s² / J`` is too small. The correction inflates it to
    ``(1 / J + ratio) * s²``; for ``J`` random splits with ``n_test`` test and ``n_train``
    training rows ``ratio = n_test / n_train``, for repeated k-fold cross-validation
    ``ratio = 1 / (k - 1)`` (Bouckaert & Frank 2004). ``ratio = 0`` is the plain t-test.

    Returns the t statistic, the two-sided p-value (J - 1 degrees of freedom) and the
    ``confidence`` interval of the mean difference under the same variance.
    """
    from scipy import stats

    d = np.asarray(diffs, dtype=np.float64)
    J = len(d)
    mean = float(d.mean()) if J else float("nan")
    if J < 2:
        return {"t": float("nan"), "p": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    var = float(d.var(ddof=1)) * (1.0 / J + float(ratio))
    if var <= 0:  # every difference the same: no spread to test against
        p = 1.0 if np.allclose(d, 0) else 0.0
        return {"t": float("inf") * np.sign(mean) if mean else 0.0, "p": p, "ci_low": mean, "ci_high": mean}
    se = float(np.sqrt(var))
    t = mean / se
    half = float(stats.t.ppf(0.5 + confidence / 2, J - 1)) * se
    return {"t": t, "p": float(2 * stats.t.sf(abs(t), J - 1)), "ci_low": mean - half, "ci_high": mean + half}


def paired_comparison(
    baseline: np.ndarray, treatment: np.ndarray, *, ratio: float = 0.0, random_state: int = 0
) -> dict[str, Any]:
    """Compare per-split scores of a treatment against the baseline of the same splits.

    ``ratio`` is the overlap correction of :func:`corrected_ttest` (0: independent splits).
    Returns the means, the mean difference (treatment - baseline), the corrected test's p-value
    (``p``) and 95% interval (``ci_low``, ``ci_high``), the plain paired t-test's p-value
    (``p_ttest``, anti-conservative for overlapping splits, kept for comparison), the Wilcoxon
    signed-rank p-value (exact for small samples; with 5 splits it cannot go below 0.0625), a
    bootstrap interval of the mean, and how often the treatment was higher or lower.
    """
    from scipy import stats

    b = np.asarray(baseline, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    if b.shape != t.shape:
        raise DataError(f"baseline and treatment need one score per seed each; got {b.shape} and {t.shape}.")
    d = t - b
    corrected = corrected_ttest(d, ratio)
    plain = corrected_ttest(d, 0.0)
    boot_low, boot_high = bootstrap_ci(d, random_state=random_state)
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
        "ci_low": corrected["ci_low"],
        "ci_high": corrected["ci_high"],
        "p": corrected["p"],
        "correction": float(ratio),
        "p_ttest": plain["p"],
        "p_wilcoxon": p_w,
        "bootstrap_low": boot_low,
        "bootstrap_high": boot_high,
        "wins": int((d > 0).sum()),
        "losses": int((d < 0).sum()),
    }


def split_overlap_ratio(n_test: float, n_train: float, n_pool: float) -> float:
    """The correction ratio of :func:`corrected_ttest` for splits that draw ``n_train`` training
    rows out of ``n_pool`` rows available for training, and ``n_test`` test rows.

    With the whole pool used for training (``n_train == n_pool``) it is Nadeau and Bengio's
    ``n_test / n_train``. When the training rows are a subsample, two splits share only a
    share ``n_train / n_pool`` of their training rows, and the ratio shrinks by that share:
    ``(n_test / n_pool) * (n_train / n_pool)``. Like Nadeau and Bengio's own ratio this is a
    heuristic of the correlation between resamples, not an exact variance; it reduces to theirs
    for whole pools and to the plain t-test as the training sets stop overlapping.
    """
    if n_pool <= 0 or n_train <= 0:
        return 0.0
    share = min(1.0, float(n_train) / float(n_pool))
    return float(n_test) / float(n_pool) * share


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty(len(p))
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted
