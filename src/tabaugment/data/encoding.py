"""A numeric encoding of mixed tables for distance-based methods and scikit-learn models.

Categorical columns become one-hot indicators (a missing value is all zeros); numerical
columns (dates as days since 1970-01-01) are standardised with their training mean and
standard deviation, and a missing value becomes the mean (0 after standardising).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from tabaugment.data.dates import is_datetime, to_days
from tabaugment.exceptions import NotFittedError, SchemaError

__all__ = ["FeatureEncoder", "split_column_kinds"]


def split_column_kinds(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Categorical and numerical column names of a frame, by dtype (dates are numerical)."""
    cat, num = [], []
    for col in frame.columns:
        dt = frame[col].dtype
        if (pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)) or is_datetime(frame[col]):
            num.append(col)
        else:
            cat.append(col)
    return cat, num


class FeatureEncoder(TransformerMixin, BaseEstimator):
    """One-hot + standardise, with missing values handled; frames or arrays in, floats out.

    Parameters
    ----------
    handle_unknown : ``"ignore"`` encodes a category unseen at fit as all zeros (like a
        missing value); ``"error"`` raises, naming the column and the value.
    dtype : output dtype.
    """

    def __init__(self, *, handle_unknown: Literal["ignore", "error"] = "ignore", dtype: Any = np.float64) -> None:
        self.handle_unknown = handle_unknown
        self.dtype = dtype

    def fit(self, X: Any, y: Any = None) -> FeatureEncoder:
        """Learn categories, means and standard deviations."""
        frame = _as_frame(X)
        self.columns_ = list(frame.columns)
        self.categorical_, self.numerical_ = split_column_kinds(frame)
        self.categories_: dict[Any, np.ndarray] = {}
        for col in self.categorical_:
            s = frame[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                cats = np.asarray(s.cat.categories, dtype=object)
            else:
                cats = np.asarray(sorted(pd.unique(s.dropna()), key=str), dtype=object)
            self.categories_[col] = cats
        num = numbers(frame, self.numerical_)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(num, axis=0) if len(num) else np.zeros(num.shape[1])
            std = np.nanstd(num, axis=0) if len(num) else np.ones(num.shape[1])
        self.mean_ = np.where(np.isfinite(mean), mean, 0.0)
        self.scale_ = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.n_features_out_ = len(self.numerical_) + sum(len(c) for c in self.categories_.values())
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Encode ``X`` with the learned parameters."""
        if not hasattr(self, "columns_"):
            raise NotFittedError("This FeatureEncoder is not fitted yet; call fit first.")
        frame = _as_frame(X, self.columns_)
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise SchemaError(f"Columns {missing} seen at fit are missing from the table to encode.")
        out = np.zeros((len(frame), self.n_features_out_), dtype=self.dtype)
        k = len(self.numerical_)
        if k:
            num = numbers(frame, self.numerical_)
            num = (num - self.mean_) / self.scale_
            num[np.isnan(num)] = 0.0
            out[:, :k] = num
        pos = k
        problems = []
        for col in self.categorical_:
            cats = self.categories_[col]
            values = frame[col]
            codes = pd.Categorical(values.astype(object), categories=cats).codes.astype(np.int64)
            if self.handle_unknown == "error":
                unknown = values.notna().to_numpy() & (codes < 0)
                if unknown.any():
                    shown = ", ".join(repr(v) for v in pd.unique(values[unknown])[:3])
                    problems.append(
                        f"Column {col!r} has categories never seen at fit: {shown} "
                        f"({int(unknown.sum())} rows). Map them to known categories or use "
                        "handle_unknown='ignore'."
                    )
            rows = np.flatnonzero(codes >= 0)
            out[rows, pos + codes[rows]] = 1.0
            pos += len(cats)
        if problems:
            raise SchemaError(problems)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns (``col=value`` for indicators)."""
        names = [str(c) for c in self.numerical_]
        for col in self.categorical_:
            names += [f"{col}={v}" for v in self.categories_[col]]
        return np.asarray(names, dtype=object)


def numbers(frame: pd.DataFrame, columns: list[Any]) -> np.ndarray:
    """The float64 matrix of numerical ``columns`` (dates as days since 1970-01-01)."""
    out = np.empty((len(frame), len(columns)), dtype=np.float64)
    for j, col in enumerate(columns):
        values = frame[col]
        out[:, j] = to_days(values) if is_datetime(values) else values.to_numpy(dtype=np.float64)
    return out


def _as_frame(X: Any, columns: list[Any] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    cols = columns if columns is not None and len(columns) == arr.shape[1] else list(range(arr.shape[1]))
    return pd.DataFrame(arr, columns=cols)
