"""Random oversampling: new rows are copies of fitted rows (the duplication baseline)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError
from tabaugment.generators.base import BaseGenerator
from tabaugment.params import RANDOM_STATE, Constraints

__all__ = ["RandomOversampling"]


class RandomOversampling(BaseGenerator):
    """Draw fitted rows uniformly with replacement; conditions on any categorical column.

    Every sampled row is an exact copy of a real one: the baseline a generator must beat,
    and the worst case for privacy.
    """

    name = "random_oversampling"
    copies_rows = True
    _parameter_constraints: ClassVar[Constraints] = {"random_state": RANDOM_STATE}
    conditionable = "categorical"

    def __init__(self, *, random_state: RandomState = None) -> None:
        self.random_state = random_state

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        self.num_, self.codes_ = num, codes

    def _has_rows(self, column: int, code: int) -> bool:
        return bool((self.codes_[:, column] == code).any())

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        pool = np.ones(len(self.codes_), dtype=bool)
        for j, code in conditions.items():
            pool &= self.codes_[:, j] == code
        rows = np.flatnonzero(pool)
        if len(rows) == 0:
            raise DataError("No fitted row meets all the conditions together; relax them.")
        pick = rows[rng.integers(0, len(rows), size=n)]
        return self.num_[pick], self.codes_[pick]

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"num": self.num_, "codes": self.codes_}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.num_, self.codes_ = arrays["num"], arrays["codes"]
