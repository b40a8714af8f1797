"""Built-in selection strategies."""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState, check_random_state
from tabaugment.exceptions import DataError
from tabaugment.params import RANDOM_STATE, Constraint, Constraints, Interval
from tabaugment.selection.base import BaseSelector, class_counts, hardest

__all__ = [
    "FRACTION",
    "AllRows",
    "HardestMinority",
    "MinorityClass",
    "RandomSelection",
    "Threshold",
    "TopFraction",
    "TopFractionPerClass",
]


#: A share of rows: a float in (0, 1].
FRACTION: list[Constraint] = [Interval(numbers.Real, 0, 1, closed="right")]


def _count(fraction: float, n: int) -> int:
    return max(1, math.ceil(fraction * n - 1e-9))


class TopFraction(BaseSelector):
    """The hardest ``fraction`` of all rows (the targeted-augmentation paper's selection).

    Assumes hardness is comparable across classes; on imbalanced data the hardest rows are
    often almost all from the minority class.
    """

    name = "hardest"
    _parameter_constraints: ClassVar[Constraints] = {"fraction": FRACTION}

    def __init__(self, *, fraction: float = 0.2) -> None:
        self.fraction = fraction

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        return hardest(scores, np.arange(len(scores)), _count(self.fraction, len(scores)))


class TopFractionPerClass(BaseSelector):
    """The hardest ``fraction`` of each class: keeps the class mix of the training rows."""

    name = "hardest_per_class"
    _parameter_constraints: ClassVar[Constraints] = {"fraction": FRACTION}

    def __init__(self, *, fraction: float = 0.2) -> None:
        self.fraction = fraction

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        parts = []
        for label in class_counts(y).index:
            pos = np.flatnonzero(y == label)
            parts.append(hardest(scores, pos, _count(self.fraction, len(pos))))
        return np.concatenate(parts)


class MinorityClass(BaseSelector):
    """Every row of the minority classes: all but the largest class (classic oversampling; ignores
    the scores). For two classes, the rarer one."""

    name = "minority"
    uses_scores = False

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.flatnonzero(y != class_counts(y).index[0])


class HardestMinority(BaseSelector):
    """The hardest ``fraction`` of each minority class (all but the largest class; for two
    classes, the rarer one)."""

    name = "hardest_minority"
    _parameter_constraints: ClassVar[Constraints] = {"fraction": FRACTION}

    def __init__(self, *, fraction: float = 0.5) -> None:
        self.fraction = fraction

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        parts = []
        for label in class_counts(y).index[1:]:
            pos = np.flatnonzero(y == label)
            parts.append(hardest(scores, pos, _count(self.fraction, len(pos))))
        return np.concatenate(parts)


class Threshold(BaseSelector):
    """Rows whose hardness score is at least ``threshold``.

    For KNN-Shapley the score is minus the Shapley value, so ``threshold=0`` selects the rows
    with a value of at most zero (rows that do not help a K-NN classifier).
    """

    name = "threshold"
    _parameter_constraints: ClassVar[Constraints] = {"threshold": [Interval(numbers.Real, None, None)]}

    def __init__(self, *, threshold: float = 0.0) -> None:
        self.threshold = threshold

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        picked = np.flatnonzero(scores >= self.threshold)
        if len(picked) == 0:
            raise DataError(
                f"No row has a hardness score >= {self.threshold}; the highest is {scores.max():.6g}. "
                "Lower the threshold."
            )
        return picked


class RandomSelection(BaseSelector):
    """A random ``fraction`` of the rows (stratified by class): the non-targeted control."""

    name = "random"
    deterministic = False
    _parameter_constraints: ClassVar[Constraints] = {"fraction": FRACTION, "random_state": RANDOM_STATE}

    def __init__(self, *, fraction: float = 0.2, random_state: RandomState = None) -> None:
        self.fraction = fraction
        self.random_state = random_state

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"random_state": 0}

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        rng = check_random_state(self.random_state)
        parts = []
        for label in class_counts(y).index:
            pos = np.flatnonzero(y == label)
            parts.append(rng.choice(pos, size=_count(self.fraction, len(pos)), replace=False))
        return np.concatenate(parts)


class AllRows(BaseSelector):
    """Every row: non-targeted augmentation."""

    name = "all"
    uses_scores = False

    def _select(self, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.arange(len(scores))
