"""Classification metrics on real held-out rows.

Two classes: probabilities of the positive class (or a two-column matrix) and 0/1 labels.
More classes: one probability column per class code ``0..k-1`` and integer codes; ROC-AUC is
one-vs-rest (macro and prevalence-weighted), F1 is macro, and Gini and the ranking metrics of
the binary task are not defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "GROUP_METRICS",
    "HIGHER_IS_BETTER",
    "METRICS",
    "MULTICLASS_METRICS",
    "amex_metric",
    "headline_metrics",
    "metrics_for",
    "score_metric",
    "score_predictions",
    "weighted_gini",
    "worst_group_scores",
]

#: Metric names for two classes, in report order.
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
#: Metric names for more than two classes, in report order.
MULTICLASS_METRICS = ("roc_auc", "roc_auc_weighted", "log_loss", "f1_macro", "balanced_accuracy", "accuracy")
#: Worst-group metrics, reported when the rows have groups (a schema's ``group`` column).
GROUP_METRICS = ("worst_group_accuracy", "worst_group_roc_auc")
HIGHER_IS_BETTER = {m: m != "log_loss" for m in METRICS + MULTICLASS_METRICS + GROUP_METRICS}


def metrics_for(n_classes: int) -> tuple[str, ...]:
    """The metric names reported for a target with ``n_classes`` classes."""
    return METRICS if n_classes <= 2 else MULTICLASS_METRICS


def headline_metrics(present: Iterable[str]) -> tuple[str, ...]:
    """The few metrics tables and plots show first, for results holding the metric names
    ``present``: ROC-AUC, Gini, PR-AUC and F1 for two classes; macro ROC-AUC, log loss, macro F1
    and balanced accuracy for more; then the worst-group metrics when present."""
    names = set(present)
    first = ("roc_auc", "gini", "pr_auc", "f1") if "gini" in names else _MULTICLASS_HEADLINE
    return first + tuple(m for m in GROUP_METRICS if m in names)


_MULTICLASS_HEADLINE = ("roc_auc", "log_loss", "f1_macro", "balanced_accuracy")


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
    """Every metric of the task for true labels and predicted probabilities.

    Two classes (``proba`` of the positive class, or a two-column matrix; labels 0/1): all
    :data:`METRICS`. Gini = 2 x ROC-AUC - 1; ``amex_gini`` is :func:`weighted_gini` (negatives
    weigh 20) and ``amex_metric`` :func:`amex_metric`; PR-AUC is average precision; F1,
    balanced accuracy and accuracy use ``threshold`` on the probability.

    More classes (``proba`` with one column per class code, labels ``0..k-1``): all
    :data:`MULTICLASS_METRICS`, predicting the most probable class. ROC-AUC is the mean of the
    one-vs-rest AUCs of the classes present in ``y_true`` (``roc_auc_weighted`` weighs them by
    their count); log loss renormalises each row.
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] > 2:
        return {m: _multiclass(m, np.asarray(y_true).astype(int), p) for m in MULTICLASS_METRICS}
    y, p, pred = _prepared(y_true, _positive_column(p), threshold)
    out = {m: _one(m, y, p, pred) for m in METRICS if m != "gini"}
    out["gini"] = 2 * out["roc_auc"] - 1
    return {m: out[m] for m in METRICS}


def score_metric(metric: str, y_true: np.ndarray, proba: np.ndarray, *, threshold: float = 0.5) -> float:
    """One metric of :func:`score_predictions` (for loops that need only one)."""
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] > 2:
        if metric not in MULTICLASS_METRICS:
            raise ValueError(
                f"Metric {metric!r} is defined for two classes only; with more, choose from "
                f"{', '.join(MULTICLASS_METRICS)}."
            )
        return _multiclass(metric, np.asarray(y_true).astype(int), p)
    return _one(metric, *_prepared(y_true, _positive_column(p), threshold))


def _positive_column(p: np.ndarray) -> np.ndarray:
    return p[:, 1] if p.ndim == 2 else p


def _multiclass(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    from sklearn import metrics

    k = p.shape[1]
    if metric in ("roc_auc", "roc_auc_weighted"):
        present = [c for c in range(k) if 0 < np.sum(y == c) < len(y)]
        if not present:
            return float("nan")
        aucs = np.array([metrics.roc_auc_score(y == c, p[:, c]) for c in present])
        if metric == "roc_auc":
            return float(aucs.mean())
        counts = np.array([np.sum(y == c) for c in present], dtype=np.float64)
        return float(np.sum(aucs * counts) / counts.sum())
    if metric == "log_loss":
        q = np.clip(p, 1e-15, None)
        return float(metrics.log_loss(y, q / q.sum(axis=1, keepdims=True), labels=list(range(k))))
    pred = p.argmax(axis=1)
    if metric == "f1_macro":
        return float(metrics.f1_score(y, pred, average="macro", zero_division=0))
    if metric == "balanced_accuracy":
        return float(metrics.balanced_accuracy_score(y, pred))
    if metric == "accuracy":
        return float(metrics.accuracy_score(y, pred))
    raise ValueError(f"Unknown metric {metric!r}; choose from {', '.join(MULTICLASS_METRICS)}.")


def worst_group_scores(y_true: np.ndarray, proba: np.ndarray, groups: Any) -> dict[str, float]:
    """Accuracy and ROC-AUC of the worst group: each metric's minimum over the groups of the rows.

    ``groups`` holds each row's group (missing values belong to no group). Accuracy predicts the
    positive class at probability 0.5 (two classes) or the most probable class (more); ROC-AUC
    is that of :func:`score_predictions` within the group, over the groups that hold at least two
    classes (NaN when none does). Nakada et al.'s worst-group metrics, for any number of groups.
    """
    import pandas as pd

    y = np.asarray(y_true).astype(int)
    p = np.asarray(proba, dtype=np.float64)
    g = pd.Series(groups).reset_index(drop=True)
    accs, aucs = [], []
    for value in pd.unique(g.dropna()):
        rows = (g == value).to_numpy()
        yg, pg = y[rows], p[rows]
        pred = pg.argmax(axis=1) if pg.ndim == 2 and pg.shape[1] > 2 else (_positive_column(pg) >= 0.5).astype(int)
        accs.append(float(np.mean(pred == yg)))
        if len(np.unique(yg)) > 1:
            aucs.append(score_metric("roc_auc", yg, pg))
    return {
        "worst_group_accuracy": min(accs) if accs else float("nan"),
        "worst_group_roc_auc": min(aucs) if aucs else float("nan"),
    }
