"""The hardness contract, as one function plugin authors can call in their own tests.

``check_hardness(make, X, y)`` fits fresh methods from ``make()`` and checks: declared and
validated parameters; one finite score
per row with the rows' index; the same parameters (and seed) give the same scores; shuffling
the rows does not change any row's score; unfitted use raises.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tabaugment.exceptions import NotFittedError
from tabaugment.hardness.base import BaseHardness
from tabaugment.testing.common import check_parameters

__all__ = ["check_hardness"]


def check_hardness(make: Callable[[], BaseHardness], X: pd.DataFrame, y: np.ndarray) -> None:
    """Run every hardness contract check; raise AssertionError naming the broken one."""
    name = type(make()).__name__

    def fail(msg: str) -> None:
        raise AssertionError(f"{name}: {msg}")

    check_parameters(type(make()))

    try:
        _ = make().scores_
    except NotFittedError:
        pass
    else:
        fail("scores_ before fit() must raise NotFittedError")
    y = np.asarray(y)
    first = make().fit(X, y).result_
    if len(first.scores) != len(X) or not first.index.equals(X.index):
        fail("one score per row, indexed like the input, is required")
    if not np.isfinite(first.scores).all():
        fail("scores must be finite")
    again = make().fit(X, y).result_
    if not np.array_equal(first.scores, again.scores):
        fail("the same parameters gave different scores")
    perm = np.random.default_rng(0).permutation(len(X))
    shuffled = make().fit(X.iloc[perm], y[perm]).result_
    back = pd.Series(shuffled.scores, index=shuffled.index).loc[X.index].to_numpy()
    if not np.array_equal(back, first.scores):
        worst = float(np.max(np.abs(back - first.scores)))
        fail(f"shuffling the rows changed row scores (max difference {worst:.3g})")
