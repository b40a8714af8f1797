"""Classification metrics on real held-out rows."""

from __future__ import annotations

import numpy as np

__all__ = ["HIGHER_IS_BETTER", "METRICS", "score_predictions"]

#: Metric names in report order.
METRICS = ("roc_auc", "gini", "pr_auc", "log_loss", "f1", "balanced_accuracy", "accuracy")
HIGHER_IS_BETTER = {m: m != "log_loss" for m in METRICS}


def score_predictions(y_true: np.ndarray, proba: np.ndarray, *, threshold: float = 0.5) -> dict[str, float]:
    """All :data:`METRICS` for 0/1 labels and positive-class probabilities.

    Gini = 2 x ROC-AUC - 1; PR-AUC is average precision; F1, balanced accuracy and accuracy
    use ``threshold`` on the probability.
    """
    from sklearn import metrics

    y_true = np.asarray(y_true).astype(int)
    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-15, 1 - 1e-15)
    pred = (proba >= threshold).astype(int)
    auc = float(metrics.roc_auc_score(y_true, proba))
    return {
        "roc_auc": auc,
        "gini": 2 * auc - 1,
        "pr_auc": float(metrics.average_precision_score(y_true, proba)),
        "log_loss": float(metrics.log_loss(y_true, proba, labels=[0, 1])),
        "f1": float(metrics.f1_score(y_true, pred, zero_division=0)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, pred)),
        "accuracy": float(metrics.accuracy_score(y_true, pred)),
    }
