"""What a generator saw at fit: columns, kinds, dtypes, category domains, integer flags, bounds.

Dates and times are numerical columns to a generator (days since 1970-01-01, see
:mod:`tabaugment.data.dates`) and come back in their datetime dtype.

Generators work on two arrays: ``num`` (float64, NaN = missing) for numerical columns and
``codes`` (int64, -1 = missing) for categorical ones. :class:`TableSpec` converts frames to
those arrays and back, restoring each column's dtype and category domain exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.data.dates import days_to_dates, is_datetime, to_days
from tabaugment.data.encoding import numbers
from tabaugment.exceptions import DataError

__all__ = ["TableSpec"]

#: The string dtypes a text column may have, restored as they were ("str": pandas 3's default).
_TEXT_DTYPES = ("str", "string", "string[python]", "string[pyarrow]")


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclasses.dataclass
class TableSpec:
    """Columns of a fitted table, in order, with everything needed to rebuild them."""

    columns: list[str]
    categorical: list[str]
    numerical: list[str]
    dtypes: dict[str, str]
    categories: dict[str, list[Any]]
    integer: dict[str, bool]
    bounds: dict[str, tuple[float, float]]
    target: str | None = None

    # ---------------------------------------------------------------- build
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, target: str | None = None) -> TableSpec:
        """Describe ``frame``: categorical = category/object/string/bool columns."""
        if len(frame) == 0:
            raise DataError("Cannot fit a generator on an empty table (0 rows).")
        if target is not None and target not in frame.columns:
            raise DataError(f"Target column {target!r} is not in the table to fit on.")
        cat, num = [], []
        dtypes: dict[str, str] = {}
        categories: dict[str, list[Any]] = {}
        integer: dict[str, bool] = {}
        bounds: dict[str, tuple[float, float]] = {}
        for col in frame.columns:
            s = frame[col]
            dt = s.dtype
            dated = is_datetime(s) and col != target  # modelled as days since 1970-01-01
            if dated or (pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt) and col != target):
                values = to_days(s) if dated else s.to_numpy(dtype=np.float64)
                finite = values[np.isfinite(values)]
                if np.isinf(values).any():
                    raise DataError(f"Column {col!r} has infinite values; replace them before fitting.")
                if len(finite) == 0:
                    raise DataError(f"Column {col!r} has no values (all missing); drop it before fitting.")
                num.append(col)
                dtypes[col] = str(dt)
                integer[col] = bool(np.all(np.mod(finite, 1) == 0))
                bounds[col] = (float(finite.min()), float(finite.max()))
            else:
                cat.append(col)
                if isinstance(dt, pd.CategoricalDtype):
                    dtypes[col] = "category"
                    cats = list(dt.categories)
                elif pd.api.types.is_bool_dtype(dt):
                    dtypes[col] = "bool"
                    cats = [False, True]
                elif pd.api.types.is_numeric_dtype(dt):  # a numeric label column, e.g. 0/1
                    if s.isna().any():
                        raise DataError(f"Target column {col!r} has missing labels; drop those rows first.")
                    dtypes[col] = str(dt)
                    cats = sorted(pd.unique(s))
                else:  # text: object, or a string dtype ("str" in pandas 3, "string"), kept as it was
                    dtypes[col] = str(dt) if isinstance(dt, pd.StringDtype) else "object"
                    cats = sorted(pd.unique(s.dropna()), key=lambda v: (str(type(v)), v))
                if s.notna().sum() == 0:
                    raise DataError(f"Column {col!r} has no values (all missing); drop it before fitting.")
                categories[col] = [_py(c) for c in cats]
        return cls(
            columns=[str(c) for c in frame.columns],
            categorical=cat,
            numerical=num,
            dtypes=dtypes,
            categories=categories,
            integer=integer,
            bounds=bounds,
            target=target,
        )

    # ---------------------------------------------------------------- arrays
    def encode(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(num, codes)`` arrays of ``frame``; unknown categories raise."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise DataError(f"Columns {missing} seen at fit are missing from the table.")
        num = numbers(frame, self.numerical)
        codes = np.empty((len(frame), len(self.categorical)), dtype=np.int64)
        for j, col in enumerate(self.categorical):
            values = frame[col]
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object)
            c = pd.Categorical(values, categories=self.categories[col]).codes.astype(np.int64)
            unknown = (c < 0) & values.notna().to_numpy()
            if unknown.any():
                shown = ", ".join(repr(v) for v in pd.unique(values[unknown])[:3])
                raise DataError(
                    f"Column {col!r} has categories not in the fitted domain: {shown}. "
                    "Refit the generator on data that has them."
                )
            codes[:, j] = c
        return num, codes

    def decode(self, num: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """A frame with the fitted columns, dtypes and category domains."""
        n = len(num) if self.numerical else len(codes)
        out: dict[str, Any] = {}
        finished = self.finish_numbers(num)
        for j, col in enumerate(self.numerical):
            values = finished[:, j]
            dtype = self.dtypes[col]
            if dtype.startswith("datetime64"):  # to the second at most
                out[col] = days_to_dates(np.round(values * 86_400) / 86_400, dtype).to_numpy()
            elif np.isnan(values).any() and np.dtype(dtype).kind in "iub":
                out[col] = pd.array(values, dtype="Int64")
            else:
                out[col] = values.astype(dtype)
        for j, col in enumerate(self.categorical):
            c = np.asarray(codes[:, j], dtype=np.int64)
            cats = self.categories[col]
            kind = self.dtypes[col]
            if kind == "category":
                out[col] = pd.Categorical.from_codes(c, categories=pd.Index(cats))
            elif kind == "bool" and (c >= 0).all():
                out[col] = np.asarray(cats, dtype=bool)[c]
            elif kind not in ("bool", "object", *_TEXT_DTYPES):  # numeric labels keep their dtype
                out[col] = np.asarray(cats)[c].astype(kind)
            else:
                arr = np.empty(n, dtype=object)
                ok = c >= 0
                arr[ok] = np.asarray(cats, dtype=object)[c[ok]]
                arr[~ok] = None
                out[col] = _text_column(arr, kind)
        frame = pd.DataFrame({c: out[c] for c in self.columns}, index=pd.RangeIndex(n))
        return frame

    def finish_numbers(self, num: np.ndarray) -> np.ndarray:
        """Numerical values as :meth:`decode` writes them: clipped to the fitted range, integer
        columns rounded (so a condition on a range can be checked on what the user gets)."""
        out = np.array(num, dtype=np.float64, copy=True)
        if out.ndim == 1:
            out = out.reshape(-1, len(self.numerical))
        for j, col in enumerate(self.numerical):
            lo, hi = self.bounds[col]
            out[:, j] = np.clip(out[:, j], lo, hi)
            if self.integer[col]:
                out[:, j] = np.round(out[:, j])
        return out

    def range_of(self, column: str, value: Any) -> tuple[float, float]:
        """A condition on a numerical column as ``(low, high)`` in the generator's units (days for
        dates), inclusive; ``None`` leaves a side open. Clear errors for anything else."""
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise DataError(
                f"A condition on the numerical column {column!r} is a range (low, high), e.g. "
                f"{{{column!r}: (18, 30)}}; got {value!r}. For one value give it twice: (v, v)."
            )
        dated = self.dtypes[column].startswith("datetime64")
        ends = []
        for end, default in zip(value, (-np.inf, np.inf), strict=True):
            if end is None:
                ends.append(default)
                continue
            try:
                x = float(to_days(pd.Series([pd.Timestamp(end)]))[0]) if dated else float(end)
            except (TypeError, ValueError) as exc:
                kind = "a date" if dated else "a number"
                raise DataError(f"The range {value!r} for {column!r} needs {kind} or None at each end.") from exc
            if np.isnan(x):
                raise DataError(f"The range {value!r} for {column!r} has a missing end; use None for an open end.")
            ends.append(x)
        lo, hi = ends
        if lo > hi:
            raise DataError(f"The range {value!r} for {column!r} is empty: low > high.")
        fit_lo, fit_hi = self.bounds[column]
        if hi < fit_lo or lo > fit_hi:
            raise DataError(
                f"The range {value!r} for {column!r} lies outside the values the generator was fitted on "
                f"([{_shown(fit_lo, dated)}, {_shown(fit_hi, dated)}]); it can never produce such rows."
            )
        return lo, hi

    def code_of(self, column: str, value: Any) -> int:
        """Category code of ``value`` in ``column``; a clear error if it is not in the domain."""
        if column not in self.categorical:
            if column in self.numerical:
                raise DataError(f"{column!r} is numerical: condition on it with a range (low, high), not one category.")
            import difflib

            close = difflib.get_close_matches(str(column), self.columns, n=2)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise DataError(
                f"Cannot condition on {column!r}: the generator was fitted on no such column.{hint} "
                f"Columns: {', '.join(self.columns[:12])}{' ...' if len(self.columns) > 12 else ''}."
            )
        cats = self.categories[column]
        for i, c in enumerate(cats):
            if c == value or (str(c) == str(value)):
                return i
        raise DataError(
            f"{value!r} is not a category of {column!r}; known categories: {cats[:10]}"
            f"{' ...' if len(cats) > 10 else ''}."
        )

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "columns": self.columns,
            "categorical": self.categorical,
            "numerical": self.numerical,
            "dtypes": self.dtypes,
            "categories": {k: [_py(v) for v in vs] for k, vs in self.categories.items()},
            "integer": self.integer,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            columns=list(data["columns"]),
            categorical=list(data["categorical"]),
            numerical=list(data["numerical"]),
            dtypes=dict(data["dtypes"]),
            categories={k: list(v) for k, v in data["categories"].items()},
            integer=dict(data["integer"]),
            bounds={k: (float(v[0]), float(v[1])) for k, v in data["bounds"].items()},
            target=data.get("target"),
        )


def _shown(x: float, dated: bool) -> str:
    return str(days_to_dates(np.array([x]), "datetime64[ns]").iloc[0]) if dated else f"{x:g}"


def _text_column(values: np.ndarray, kind: str) -> pd.Series:
    """Text values (None = missing) in the dtype ``kind`` the column had at fit. Before pandas 3,
    ``dtype="str"`` meant converting every value with ``str()`` (None became "None"); there the
    column stays object, as pandas 2 itself read it."""
    if kind == "object" or (kind == "str" and int(pd.__version__.split(".")[0]) < 3):
        return pd.Series(values, dtype=object)
    return pd.Series(values, dtype=kind)
