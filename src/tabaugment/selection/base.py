"""The selector interface: which scored rows the generator is fitted on."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment.hardness.base import HardnessResult

__all__ = ["BaseSelector"]


class BaseSelector(BaseEstimator):
    """Base class of selectors.

    ``select(result, y)`` returns the sorted *positions* (0..n-1) of the selected rows;
    ``result.index[positions]`` gives their row ids. Subclasses implement ``_select``.
    """

    name: ClassVar[str] = "selector"

    def select(self, result: HardnessResult, y: Any) -> np.ndarray:
        """Positions of the selected rows, sorted ascending."""
        y_arr = np.asarray(y).ravel()
        if len(y_arr) != len(result):
            raise ValueError(f"{len(y_arr)} labels for {len(result)} hardness scores.")
        self._check_params()
        picked = np.unique(np.asarray(self._select(result.scores, y_arr), dtype=np.int64))
        if len(picked) == 0:
            raise ValueError(f"{type(self).__name__} selected no rows out of {len(y_arr)}; loosen its parameters.")
        return picked

    def _check_params(self) -> None:
        pass

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
