"""The hardness interface: score every training row, higher = harder."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment.data.splits import check_not_test
from tabaugment.exceptions import DataError, NotFittedError, ParameterError
from tabaugment.params import ParamsMixin

__all__ = ["BaseHardness", "HardnessResult"]


@dataclasses.dataclass
class HardnessResult:
    """Per-row hardness of a training table.

    Attributes
    ----------
    scores : one score per training row; **higher = harder**.
    index : the row ids of the scored rows (the frame index, or 0..n-1 for arrays).
    method : name of the method that produced the scores.
    values : further per-row arrays the method exposes (e.g. ``"shapley"``: the raw
        KNN-Shapley values, where lower = harder).
    """

    scores: np.ndarray
    index: pd.Index
    method: str
    values: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scores = np.asarray(self.scores, dtype=np.float64)
        if len(self.index) != len(self.scores):
            raise DataError(f"{len(self.index)} row ids for {len(self.scores)} scores.")

    def __len__(self) -> int:
        return len(self.scores)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: row id, hardness score, rank (1 = hardest), and the extra values."""
        frame = pd.DataFrame({"hardness": self.scores}, index=self.index)
        for name, arr in self.values.items():
            frame[name] = arr
        order = np.argsort(-self.scores, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        frame["rank"] = rank
        return frame


class BaseHardness(ParamsMixin, BaseEstimator):
    """Base class of hardness methods.

    Subclasses declare ``_parameter_constraints``, implement
    ``_score(X, y, X_val, y_val) -> (scores, extra_values)`` and set ``deterministic`` (True
    when the scores do not depend on a random seed). ``_score`` sees the rows in a canonical
    order (``self._row_hashes`` holds their content hashes), so every method is independent
    of the input row order by construction.
    """

    deterministic: ClassVar[bool] = True
    name: ClassVar[str] = "hardness"

    def fit(self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None) -> BaseHardness:
        """Score the rows of ``X`` (features) with labels ``y``.

        ``X_val``/``y_val`` are the reference rows, where the method uses some (a validation
        split, never the test split).
        """
        check_not_test(X, f"{type(self).__name__}.fit")
        check_not_test(X_val, f"{type(self).__name__}.fit (as validation rows)")
        y_arr = _check_labels(y, len(X), "y")
        if (X_val is None) != (y_val is None):
            raise ParameterError("Give both X_val and y_val, or neither.")
        y_val_arr = None if y_val is None else _check_labels(y_val, len(X_val), "y_val", min_classes=1)
        self._validate_params()
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(y_arr))
        frame = (X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))).reset_index(drop=True)
        # Every method works on the rows in a canonical order (by a hash of their content),
        # so shuffling the input gives every row the same score, bit for bit; exact duplicates
        # keep their input order among themselves.
        hashes = row_hashes(frame, y_arr)
        canon = np.lexsort((np.arange(len(frame)), hashes))
        self._row_hashes = hashes[canon]
        try:
            scores_c, values_c = self._score(frame.iloc[canon].reset_index(drop=True), y_arr[canon], X_val, y_val_arr)
        finally:
            del self._row_hashes
        scores = np.empty(len(canon))
        scores[canon] = scores_c
        values = {}
        for name, arr in values_c.items():
            out = np.empty(len(canon), dtype=np.asarray(arr).dtype)
            out[canon] = arr
            values[name] = out
        self.result_ = HardnessResult(scores=scores, index=index, method=self.name, values=values)
        return self

    @property
    def scores_(self) -> np.ndarray:
        """Hardness of each row of the fitted table (higher = harder)."""
        return self._fitted_result().scores

    def _fitted_result(self) -> HardnessResult:
        if not hasattr(self, "result_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit first.")
        return self.result_

    def _score(
        self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError


def row_hashes(frame: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values and label (independent of the row's position)."""
    content = frame.assign(__label__=pd.Series(y, dtype=object).astype(str).to_numpy())
    return pd.util.hash_pandas_object(content, index=False).to_numpy()


def hash_folds(hashes: np.ndarray, n_folds: int) -> np.ndarray:
    """Fold of each row from its content hash: order-free, duplicates share a fold."""
    return (hashes % np.uint64(n_folds)).astype(np.int64)


def _check_labels(y: Any, n: int, name: str, min_classes: int = 2) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.ravel() if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional. Got shape {np.shape(y)}.")
    if len(arr) != n:
        raise DataError(f"{name} has {len(arr)} labels for {n} rows.")
    if n == 0:
        raise DataError("Cannot score an empty table (0 rows).")
    if pd.isna(pd.Series(arr, dtype=object)).any():
        raise DataError(f"{name} has missing labels; drop those rows or fill in their labels.")
    k = len(pd.unique(arr))
    if k < min_classes:
        raise DataError(f"{name} has only one class ({arr[0]!r}); hardness by class needs at least two classes.")
    return arr
