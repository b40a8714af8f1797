"""Curation: judge every synthetic row with the hardness machinery, keep the useful ones.

Hardness applies to synthetic rows too. A curator is fitted on the **real** training rows (and
the real validation rows, where it uses some) and never on synthetic rows; it then scores each
synthetic row *with the label it was generated for*. The Augmenter draws a larger pool
(``oversample`` times the budget), keeps the rows the curator accepts, best first, and reports
how many it drew and kept.

- :class:`DataIQCurator` (Seedat et al., "Curated LLM", ICML 2024): a LightGBM fitted on the
  real rows gives, after each boosting iteration, the probability of the synthetic row's label;
  confidence = their mean, aleatoric uncertainty = mean p(1 - p). "Easy" rows (confidence >=
  1 - ``tau_confidence``, aleatoric <= ``tau_aleatoric``) are kept, ambiguous and hard ones
  dropped.
- :class:`KNNShapleyCurator`: the exact KNN-Shapley value of each synthetic row, in a training
  set of the real rows plus the synthetic ones, against real reference rows (the validation
  rows, or a held-out quarter of the real rows); rows of positive value are kept.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment.exceptions import NotFittedError
from tabaugment.params import RANDOM_STATE, Constraints, Interval, Options, ParamsMixin, positive

__all__ = ["BaseCurator", "DataIQCurator", "KNNShapleyCurator"]


class BaseCurator(ParamsMixin, BaseEstimator):
    """Base class of curators: ``fit`` on real rows, ``score`` synthetic rows.

    ``score(X, y)`` returns ``(keep, rank)``: which rows to keep and a score to order them by
    (higher = better). Subclasses implement ``_fit`` and ``_score``.
    """

    name: ClassVar[str] = "curator"

    def fit(self, X: pd.DataFrame, y: Any, *, X_val: Any = None, y_val: Any = None) -> BaseCurator:
        """Fit on the real training rows (``X_val``/``y_val``: real validation rows, optional)."""
        self._validate_params()
        self._fit(X, np.asarray(y), X_val, None if y_val is None else np.asarray(y_val))
        self.fitted_ = True
        return self

    def score(self, X: pd.DataFrame, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(keep, rank)`` of synthetic rows ``X`` generated for labels ``y``."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit first.")
        if len(X) == 0:
            return np.zeros(0, dtype=bool), np.zeros(0)
        keep, rank = self._score(X, np.asarray(y))
        return np.asarray(keep, dtype=bool), np.asarray(rank, dtype=np.float64)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, X_val: Any, y_val: Any) -> None:
        raise NotImplementedError

    def _score(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


class DataIQCurator(BaseCurator):
    """Keep the synthetic rows a model of the real rows finds easy for their label (Data-IQ).

    Parameters
    ----------
    n_estimators, learning_rate : the LightGBM fitted on the real rows (its iterations are the
        checkpoints).
    tau_confidence : easy rows have confidence >= 1 - tau_confidence (0.2, as the paper).
    tau_aleatoric : easy rows have aleatoric uncertainty <= this (0.2), or ``"adaptive"``:
        0.75 x (max - min) of the scored rows' aleatoric uncertainty (the paper's option).
    random_state : LightGBM seed.
    """

    name = "data_iq"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_estimators": [positive(numbers.Integral)],
        "learning_rate": [positive()],
        "tau_confidence": [Interval(numbers.Real, 0, 1)],
        "tau_aleatoric": [Interval(numbers.Real, 0, 0.25), Options(("adaptive",))],
        "random_state": RANDOM_STATE,
    }

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        tau_confidence: float = 0.2,
        tau_aleatoric: float | str = 0.2,
        random_state: Any = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.tau_confidence = tau_confidence
        self.tau_aleatoric = tau_aleatoric
        self.random_state = random_state

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 20}

    def _fit(self, X: pd.DataFrame, y: np.ndarray, X_val: Any, y_val: Any) -> None:
        from tabaugment.hardness import CheckpointModel

        model = CheckpointModel(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate, random_state=self.random_state
        )
        self.model_ = model.fit(X, y)

    def _score(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P = self.model_.probabilities(X, y)
        confidence = P.mean(axis=0)
        aleatoric = (P * (1 - P)).mean(axis=0)
        tau = self.tau_aleatoric
        if tau == "adaptive":
            tau = 0.75 * float(aleatoric.max() - aleatoric.min())
        keep = (confidence >= 1 - self.tau_confidence) & (aleatoric <= float(tau))
        return keep, confidence


class KNNShapleyCurator(BaseCurator):
    """Keep the synthetic rows of positive KNN-Shapley value among the real rows.

    Parameters
    ----------
    n_neighbors : K of the K-NN classifier.
    reference_share : without validation rows, the share of the real rows held out (stratified)
        as the reference the values are computed against.
    random_state : seed of that hold-out.
    """

    name = "knn_shapley"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_neighbors": [positive(numbers.Integral)],
        "reference_share": [Interval(numbers.Real, 0, 1, closed="neither")],
        "random_state": RANDOM_STATE,
    }

    def __init__(self, *, n_neighbors: int = 10, reference_share: float = 0.25, random_state: Any = 0) -> None:
        self.n_neighbors = n_neighbors
        self.reference_share = reference_share
        self.random_state = random_state

    def _fit(self, X: pd.DataFrame, y: np.ndarray, X_val: Any, y_val: Any) -> None:
        from sklearn.model_selection import train_test_split

        from tabaugment._random import derive_seed
        from tabaugment.data.encoding import FeatureEncoder

        if X_val is None:
            train_idx, ref_idx = train_test_split(
                np.arange(len(X)),
                test_size=self.reference_share,
                random_state=derive_seed(self.random_state),
                stratify=y if pd.Series(y).value_counts().min() >= 2 else None,
            )
            X_val, y_val = X.iloc[ref_idx], y[ref_idx]
            X, y = X.iloc[train_idx], y[train_idx]
        self.encoder_ = FeatureEncoder().fit(X)
        self.Z_, self.y_ = self.encoder_.transform(X), y
        self.Z_ref_, self.y_ref_ = self.encoder_.transform(X_val[list(X.columns)]), np.asarray(y_val)

    def _score(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from tabaugment.hardness import knn_shapley

        Z = np.vstack([self.Z_, self.encoder_.transform(X[list(self.encoder_.columns_)])])
        labels = np.concatenate([self.y_.astype(object), y.astype(object)])
        values = knn_shapley(Z, labels, self.Z_ref_, self.y_ref_.astype(object), n_neighbors=self.n_neighbors)
        mine = values[len(self.Z_) :]
        return mine > 0, mine
