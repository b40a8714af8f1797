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

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.hardness._dynamics import _label_codes, oof_probabilities
from tabaugment.hardness.base import BaseHardness
from tabaugment.params import RANDOM_STATE, Constraints, Interval, positive

__all__ = ["ConfidentLearning"]


class ConfidentLearning(BaseHardness):
    """Confident-learning hardness: self-confidence against the class threshold, out of fold.

    Parameters
    ----------
    n_folds : folds of the out-of-fold probabilities (assigned by content hash).
    n_estimators, learning_rate : LightGBM settings.
    random_state : LightGBM seed.

    ``values``: ``self_confidence`` (p of the given label), ``threshold`` (t of the given
    label's class), ``label_issue`` (off the confident joint's diagonal) and
    ``suggested_label`` (the class that reached its threshold; the given one otherwise).
    """

    deterministic = True
    name = "confident_learning"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_folds": [Interval(numbers.Integral, 2, None)],
        "n_estimators": [positive(numbers.Integral)],
        "learning_rate": [positive()],
        "random_state": RANDOM_STATE,
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 15, "n_folds": 3}

    def __init__(
        self, *, n_folds: int = 5, n_estimators: int = 200, learning_rate: float = 0.05, random_state: RandomState = 0
    ) -> None:
        self.n_folds = n_folds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        codes = _label_codes(y)
        proba = oof_probabilities(
            X, codes, self._row_hashes, self.n_folds, self.n_estimators, self.learning_rate, self.random_state
        )
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
