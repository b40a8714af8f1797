"""The selector interface: which scored rows the generator is fitted on."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment.exceptions import DataError
from tabaugment.hardness.base import HardnessResult
from tabaugment.params import ParamsMixin

__all__ = ["BaseSelector"]


class BaseSelector(ParamsMixin, BaseEstimator):
    """Base class of selectors.

    ``select(result, y, X=None)`` returns the sorted *positions* (0..n-1) of the selected
    rows; ``result.index[positions]`` gives their row ids. Subclasses implement
    ``_select(scores, y)``, or ``_choose(result, y, X)`` when they need the method's extra
    values (e.g. Data-IQ's groups) or the features (e.g. neighbourhoods).

    A selector may also name rows it judges to be label noise in ``noise_positions_``; the
    Augmenter drops those from the training rows when the selector's ``drop_noise`` is on.
    """

    name: ClassVar[str] = "selector"
    #: False for selectors that ignore the hardness scores (the Augmenter then skips scoring).
    uses_scores: ClassVar[bool] = True
    #: False for selectors that draw at random (their ``random_state`` fixes the draw).
    deterministic: ClassVar[bool] = True

    def select(self, result: HardnessResult, y: Any, X: Any = None) -> np.ndarray:
        """Positions of the selected rows, sorted ascending (``X``: the training features, for
        selectors that look at neighbourhoods)."""
        y_arr = np.asarray(y).ravel()
        if len(y_arr) != len(result):
            raise DataError(f"{len(y_arr)} labels for {len(result)} hardness scores.")
        self._validate_params()
        self.noise_positions_ = np.empty(0, dtype=np.int64)
        picked = np.unique(np.asarray(self._choose(result, y_arr, X), dtype=np.int64))
        if len(picked) == 0:
            raise DataError(f"{type(self).__name__} selected no rows out of {len(y_arr)}; loosen its parameters.")
        return picked

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        return self._select(result.scores, y)

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def hardest(scores: np.ndarray, positions: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` hardest of ``positions`` (ties: the earlier row first)."""
    order = np.argsort(-scores[positions], kind="stable")
    return positions[order[:count]]


def class_counts(y: np.ndarray) -> pd.Series:
    """Rows per label, largest first (ties by label order, deterministic)."""
    counts = pd.Series(y).value_counts(sort=False)
    return counts.sort_values(ascending=False, kind="stable")
