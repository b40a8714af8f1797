"""Confident learning (Northcutt, Jiang & Chuang, JAIR 2021): a row is suspect when a model
that never saw it is confident in another label.

Out-of-fold probabilities give each row its *self-confidence*, p(its given label). Each class
j gets a threshold t_j, the mean probability of j over the rows labelled j (how confident the
model is on its own class, so rare classes are not penalised for being rare). A row labelled i
lies off the diagonal of the *confident joint* when some other class j reaches its threshold
(p_j >= t_j, the largest such j counted): a likely label error. Hardness = 1 - p_i / t_i, the
self-confidence against its own class's threshold, so label issues rank first in practice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabaugment.hardness._dynamics import OutOfFoldHardness, _label_codes

__all__ = ["ConfidentLearning"]


class ConfidentLearning(OutOfFoldHardness):
    """Confident-learning hardness: self-confidence against the class threshold, out of fold.

    Parameters: those of :class:`~tabaugment.hardness.OutOfFoldLoss` (``n_folds``,
    ``n_estimators``, ``learning_rate``, ``random_state``), the same out-of-fold LightGBM.

    ``values``: ``self_confidence`` (p of the given label), ``threshold`` (t of the given
    label's class), ``label_issue`` (off the confident joint's diagonal) and
    ``suggested_label`` (the class that reached its threshold; the given one otherwise).
    """

    name = "confident_learning"

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        codes = _label_codes(y)
        proba = self._probabilities(X, codes)
        rows = np.arange(len(codes))
        k = proba.shape[1]
        thresholds = np.array([proba[codes == j, j].mean() if (codes == j).any() else 1.0 for j in range(k)])
        self_confidence = proba[rows, codes]
        above = proba >= thresholds  # classes each row reaches the threshold of
        masked = np.where(above, proba, -np.inf)
        suggested = np.where(above.any(axis=1), np.argmax(masked, axis=1), codes)
        issue = suggested != codes
        own = thresholds[codes]
        score = 1.0 - self_confidence / np.maximum(own, 1e-12)
        labels = np.unique(y.astype(str) if y.dtype == object else y)
        return score, {
            "self_confidence": self_confidence,
            "threshold": own,
            "label_issue": issue,
            "suggested_label": labels[suggested],
        }
