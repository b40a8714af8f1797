"""The selector contract, as one function plugin authors can call in their own tests.

``check_selector(make, result, y, X)`` checks, on fresh selectors from ``make()``: declared and
validated parameters; sorted, unique positions inside the table; the same parameters (and
seed) select the same rows; a deterministic selector picks the same rows when the rows are
shuffled; a selector that ignores hardness picks the same rows under other scores; rows set
aside as label noise are neither selected nor outside the table; text and integer labels
select alike; a wrong number of labels raises :class:`~tabaugment.exceptions.DataError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.exceptions import DataError
from tabaugment.hardness.base import HardnessResult
from tabaugment.selection.base import BaseSelector
from tabaugment.testing.common import check_parameters

__all__ = ["check_selector", "selector_case"]


def selector_case(n: int = 120, random_state: int = 0) -> tuple[HardnessResult, np.ndarray, pd.DataFrame]:
    """Distinct hardness scores, imbalanced text labels and mixed features for ``n`` rows."""
    rng = np.random.default_rng(random_state)
    y = np.where(rng.random(n) < 0.3, "bad", "good").astype(object)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n) + (y == "bad"),
            "z": rng.normal(size=n),
            "c": pd.Series(rng.choice(["u", "v", "w"], n), dtype="category"),
        }
    )
    scores = rng.permutation(n).astype(np.float64) + rng.random(n) * 0.5
    return HardnessResult(scores=scores, index=pd.RangeIndex(n), method="test"), y, X


def check_selector(make: Callable[[], BaseSelector], result: HardnessResult, y: Any, X: pd.DataFrame) -> None:
    """Run every selector contract check; raise AssertionError naming the broken one."""
    first = make()
    name = type(first).__name__

    def fail(msg: str) -> None:
        raise AssertionError(f"{name}: {msg}")

    check_parameters(type(first))
    y = np.asarray(y)
    n = len(y)
    picked = first.select(result, y, X)
    if picked.dtype.kind != "i" or not np.array_equal(picked, np.unique(picked)):
        fail("select() must return sorted, unique integer positions")
    if len(picked) == 0 or picked.min() < 0 or picked.max() >= n:
        fail(f"positions must lie in [0, {n})")
    noise = getattr(first, "noise_positions_", np.empty(0, dtype=np.int64))
    if len(np.intersect1d(noise, picked)) or (len(noise) and (noise.min() < 0 or noise.max() >= n)):
        fail("rows set aside as label noise must be inside the table and not selected")
    if not np.array_equal(make().select(result, y, X), picked):
        fail("the same parameters selected other rows")
    if first.deterministic:
        perm = np.random.default_rng(1).permutation(n)
        shuffled = HardnessResult(scores=result.scores[perm], index=result.index[perm], method=result.method)
        again = np.sort(perm[make().select(shuffled, y[perm], X.iloc[perm].reset_index(drop=True))])
        if not np.array_equal(again, picked):
            fail("shuffling the rows changed which rows were selected")
    if not first.uses_scores:
        other = HardnessResult(scores=-result.scores, index=result.index, method=result.method)
        if not np.array_equal(make().select(other, y, X), picked):
            fail("uses_scores is False, but other scores selected other rows")
    codes = pd.factorize(pd.Series(y, dtype=object), sort=True)[0]
    if not np.array_equal(make().select(result, codes, X), picked):
        fail("integer labels selected other rows than the same labels as text")
    try:
        make().select(result, y[:-1], X)
    except DataError:
        pass
    else:
        fail("a wrong number of labels must raise DataError")
