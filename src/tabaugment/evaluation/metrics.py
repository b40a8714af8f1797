"""Classification metrics on real held-out rows."""

from __future__ import annotations

import numpy as np

__all__ = ["HIGHER_IS_BETTER", "METRICS", "amex_metric", "score_metric", "score_predictions", "weighted_gini"]

#: Metric names in report order.
METRICS = (
    "roc_auc",
    "gini",
    "amex_gini",
    "amex_metric",
    "pr_auc",
    "log_loss",
    "f1",
    "balanced_accuracy",
    "accuracy",
)
HIGHER_IS_BETTER = {m: m != "log_loss" for m in METRICS}


def weighted_gini(y_true: np.ndarray, proba: np.ndarray, *, negative_weight: float = 20.0) -> float:
    """Normalised Gini with each negative row counted ``negative_weight`` times.

    This is the Gini of the American Express default-prediction competition (negatives were
    subsampled 20:1 there, so they weigh 20): rows are ranked by score, highest first; the
    weighted share of positives found is compared with the weighted share of rows seen, and
    the result is divided by the same quantity for a perfect ranking. With
    ``negative_weight=1`` it equals 2 x ROC-AUC - 1 when no scores tie. Ties in the score
    are broken by row order (as in the competition's reference implementation).
    """
    y = np.asarray(y_true).astype(np.float64)
    p = np.asarray(proba, dtype=np.float64)

    def raw(order: np.ndarray) -> float:
        ys = y[order]
        w = np.where(ys == 0, negative_weight, 1.0)
        seen = np.cumsum(w) / w.sum()
        found = np.cumsum(ys * w)
        total = found[-1]
        if total == 0:
            return 0.0
        return float(np.sum((found / total - seen) * w))

    best = raw(np.argsort(-y, kind="stable"))
    if best == 0:
        return float("nan")
    return raw(np.argsort(-p, kind="stable")) / best


def amex_metric(y_true: np.ndarray, proba: np.ndarray) -> float:
    """The American Express competition metric: the mean of the weighted Gini and the share of
    (weighted) positives captured in the top 4% of the weighted rows."""
    y = np.asarray(y_true).astype(np.float64)
    order = np.argsort(-np.asarray(proba, dtype=np.float64), kind="stable")
    ys = y[order]
    w = np.where(ys == 0, 20.0, 1.0)
    top = np.cumsum(w) <= 0.04 * w.sum()
    captured = float(ys[top].sum() / max(ys.sum(), 1.0))
    return 0.5 * (weighted_gini(y, proba) + captured)


def _prepared(y_true: np.ndarray, proba: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(int)
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1 - 1e-15)
    return y, p, (p >= threshold).astype(int)


def _one(metric: str, y: np.ndarray, p: np.ndarray, pred: np.ndarray) -> float:
    from sklearn import metrics

    if metric in ("roc_auc", "gini"):
        auc = float(metrics.roc_auc_score(y, p))
        return auc if metric == "roc_auc" else 2 * auc - 1
    if metric == "amex_gini":
        return weighted_gini(y, p)
    if metric == "amex_metric":
        return amex_metric(y, p)
    if metric == "pr_auc":
        return float(metrics.average_precision_score(y, p))
    if metric == "log_loss":
        return float(metrics.log_loss(y, p, labels=[0, 1]))
    if metric == "f1":
        return float(metrics.f1_score(y, pred, zero_division=0))
    if metric == "balanced_accuracy":
        return float(metrics.balanced_accuracy_score(y, pred))
    if metric == "accuracy":
        return float(metrics.accuracy_score(y, pred))
    raise ValueError(f"Unknown metric {metric!r}; choose from {', '.join(METRICS)}.")


def score_predictions(y_true: np.ndarray, proba: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """All :data:`METRICS` for 0/1 labels and positive-class probabilities.

    Gini = 2 x ROC-AUC - 1; ``amex_gini`` is :func:`weighted_gini` (negatives weigh 20) and
    ``amex_metric`` :func:`amex_metric`; PR-AUC is average precision; F1, balanced accuracy and
    accuracy use ``threshold`` on the probability.
    """
    y, p, pred = _prepared(y_true, proba, threshold)
    out = {m: _one(m, y, p, pred) for m in METRICS if m != "gini"}
    out["gini"] = 2 * out["roc_auc"] - 1
    return {m: out[m] for m in METRICS}


def score_metric(metric: str, y_true: np.ndarray, proba: np.ndarray, *, threshold: float = 0.5) -> float:
    """One metric of :func:`score_predictions` (for loops that need only one)."""
    return _one(metric, *_prepared(y_true, proba, threshold))
