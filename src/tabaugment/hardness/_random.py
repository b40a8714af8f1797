"""Random hardness: the baseline every hardness method must beat."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState, check_random_state
from tabaugment.hardness.base import BaseHardness
from tabaugment.params import RANDOM_STATE, Constraints

__all__ = ["RandomHardness"]


class RandomHardness(BaseHardness):
    """Uniform random scores: selecting the "hardest" rows is then a random subset.

    Parameters
    ----------
    random_state : seed; the same seed gives the same scores.
    """

    deterministic = False
    name = "random"
    _parameter_constraints: ClassVar[Constraints] = {"random_state": RANDOM_STATE}

    def __init__(self, *, random_state: RandomState = None) -> None:
        self.random_state = random_state

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"random_state": 3}

    def _score(
        self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return check_random_state(self.random_state).random(len(y)), {}
