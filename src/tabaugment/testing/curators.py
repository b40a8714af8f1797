"""The curator contract, as one function plugin authors can call in their own tests.

``check_curator(make)`` checks, on fresh curators from ``make()``: declared and validated
parameters; scoring before fitting raises :class:`~tabaugment.exceptions.NotFittedError`;
``score`` returns a boolean ``keep`` and a float ``rank`` per row (none for no rows); the same
parameters give the same verdicts; and the oracle every curator must pass: copies of real rows
of a clearly separated table, scored with their true labels, rank higher and are kept more
often than the same rows scored with the wrong labels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.exceptions import NotFittedError
from tabaugment.testing.common import check_parameters

__all__ = ["check_curator", "curator_case"]


def curator_case(n: int = 200, random_state: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    """Real rows of two well separated classes (``X``, ``y``) and candidate rows drawn from the
    same distribution with their true labels (``X_new``, ``y_new``)."""
    rng = np.random.default_rng(random_state)

    def draw(m: int) -> tuple[pd.DataFrame, np.ndarray]:
        y = np.where(rng.random(m) < 0.4, "yes", "no").astype(object)
        shift = np.where(y == "yes", 2.0, -2.0)
        X = pd.DataFrame(
            {
                "a": rng.normal(size=m) + shift,
                "b": rng.normal(size=m) - shift,
                "c": pd.Series(rng.choice(["u", "v"], m), dtype="category"),
            }
        )
        return X, y

    X, y = draw(n)
    X_new, y_new = draw(n // 2)
    return X, y, X_new, y_new


def check_curator(make: Callable[[], Any]) -> None:
    """Run every curator contract check; raise AssertionError naming the broken one."""
    first = make()
    name = type(first).__name__

    def fail(msg: str) -> None:
        raise AssertionError(f"{name}: {msg}")

    check_parameters(type(first))
    X, y, X_new, y_new = curator_case()
    try:
        make().score(X_new, y_new)
    except NotFittedError:
        pass
    else:
        fail("score() before fit() must raise NotFittedError")
    first.fit(X, y)
    keep, rank = first.score(X_new, y_new)
    if keep.dtype != bool or keep.shape != (len(X_new),):
        fail("keep must be one boolean per scored row")
    if rank.dtype.kind != "f" or rank.shape != (len(X_new),) or not np.isfinite(rank).all():
        fail("rank must be one finite float per scored row")
    empty_keep, empty_rank = first.score(X_new.iloc[:0], y_new[:0])
    if len(empty_keep) or len(empty_rank):
        fail("no rows must give no verdicts")
    again_keep, again_rank = make().fit(X, y).score(X_new, y_new)
    if not (np.array_equal(again_keep, keep) and np.allclose(again_rank, rank)):
        fail("the same parameters gave other verdicts")
    flipped = np.where(y_new == "yes", "no", "yes").astype(object)
    wrong_keep, wrong_rank = make().fit(X, y).score(X_new, flipped)
    if not keep.mean() > wrong_keep.mean() + 0.5:
        fail(f"kept {keep.mean():.0%} of rows with true labels and {wrong_keep.mean():.0%} with wrong ones")
    if not np.median(rank) > np.median(wrong_rank):
        fail("rows with their true labels must rank above the same rows with wrong labels")
