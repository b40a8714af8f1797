"""Data-OOB (Kwon & Zou, ICML 2023): how often a bagged model gets a row right when the row
was left out of the bag.

A bagging ensemble of B decision trees is fitted on bootstrap samples; for each row, the trees
whose bootstrap sample missed it ("out of bag", about 37% of them) vote on it. The row's
value is the share of those trees that predict its given label; hardness = 1 - value, so a
row its out-of-bag trees contradict is hard (a mislabelled row, typically). One fit of B
small trees scores every row: no cross-fitting loop.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState, derive_seed
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.hardness.base import BaseHardness
from tabaugment.params import NONE, RANDOM_STATE, Constraints, Interval, positive

__all__ = ["DataOOB"]


class DataOOB(BaseHardness):
    """Data-OOB hardness: 1 - the out-of-bag accuracy of a bagged tree ensemble on each row.

    Parameters
    ----------
    n_estimators : trees in the bag (each row is out of bag for about 37% of them).
    max_depth : depth of each tree (None: grown until pure).
    max_features : share of the encoded features each split considers.
    random_state : seed of the bootstrap samples and the trees.

    ``values``: ``oob_accuracy`` (the Data-OOB value) and ``oob_trees`` (how many trees left
    the row out; a row no tree left out gets the ensemble's average value).
    """

    deterministic = True
    name = "data_oob"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_estimators": [positive(numbers.Integral)],
        "max_depth": [NONE, positive(numbers.Integral)],
        "max_features": [Interval(numbers.Real, 0, 1, closed="right")],
        "random_state": RANDOM_STATE,
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 40}

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        max_depth: int | None = None,
        max_features: float = 0.5,
        random_state: RandomState = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.max_features = max_features
        self.random_state = random_state

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        from sklearn.tree import DecisionTreeClassifier

        Z = FeatureEncoder(dtype=np.float32).fit_transform(X)
        codes = np.unique(y.astype(str) if y.dtype == object else y, return_inverse=True)[1]
        n = len(codes)
        rng = np.random.default_rng(derive_seed(self.random_state))
        correct = np.zeros(n)
        seen = np.zeros(n, dtype=np.int64)
        for _ in range(self.n_estimators):
            bag = rng.integers(0, n, n)
            out = np.ones(n, dtype=bool)
            out[bag] = False
            if not out.any() or len(np.unique(codes[bag])) < 2:
                continue
            tree = DecisionTreeClassifier(
                max_depth=self.max_depth,
                max_features=self.max_features,
                random_state=int(rng.integers(0, 2**31 - 1)),
            ).fit(Z[bag], codes[bag])
            predicted = tree.classes_[np.argmax(tree.predict_proba(Z[out]), axis=1)]
            correct[out] += predicted == codes[out]
            seen[out] += 1
        value = np.where(seen > 0, correct / np.maximum(seen, 1), np.nan)
        value = np.where(np.isnan(value), np.nanmean(value) if np.isfinite(value).any() else 0.5, value)
        return 1.0 - value, {"oob_accuracy": value, "oob_trees": seen}
