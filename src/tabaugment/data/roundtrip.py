"""Augmented tables written back in the form the user's table came in.

The pipeline works on the *prepared* frame (missing-value markers as NaN, numbers as floats,
text as categories). What a user gets back must not show that: the real rows are the rows
as they were read, untouched, and every other row (synthetic, or a real row's copy with a
teacher's label) is written like its columns:

- from a CSV file, every cell is text: numbers with the column's decimals (whole numbers
  without ``.0``), missing values with the column's own marker (``?``, ``NA`` or empty),
  categories and labels spelled as in the file;
- from a frame or a Parquet file, every column keeps its dtype (integers, nullable integers,
  booleans, categories with their categories, text dtypes);
- dates (numbers of days in the pipeline) are written back as dates: in the column's text
  format, or as datetimes of the column's dtype and time zone;
- columns the pipeline left out (identifiers) are kept for the real rows and missing for the
  rows it made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.data.dates import date_format, days_to_dates, days_to_text, round_like

__all__ = ["read_text_table", "render_like"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def read_text_table(path: str | Path, *, sep: str | None = None) -> pd.DataFrame:
    """A CSV file's cells exactly as written (every column text, nothing parsed as missing)."""
    p = Path(path)
    if sep is None:
        sep = "\t" if ".tsv" in "".join(p.suffixes[-2:]).lower() else ","
    return pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, na_filter=False, low_memory=False)


def render_like(
    rows: pd.DataFrame,
    raw: pd.DataFrame,
    prepared: pd.DataFrame,
    *,
    text: bool = False,
    dates: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``rows`` (in the prepared form of ``prepared``) in the columns, order and representation
    of ``raw``, the table as it was read (``prepared`` is its prepared form, same index).
    ``text``: ``raw`` holds a text file's cells (:func:`read_text_table`), so every cell is
    written as text, missing values with the column's marker. ``dates``: the columns that
    hold dates, with their text format (a schema's ``dates``)."""
    out: dict[Any, Any] = {}
    dates = dict(dates or {})
    for col in raw.columns:
        source = raw[col]
        if col not in rows.columns:
            out[col] = pd.Series([""] * len(rows), dtype=object) if text else _missing_like(source, len(rows))
            continue
        values = rows[col].reset_index(drop=True)
        known = prepared.get(col, None)
        if col in dates and not pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[col] = _dates_like(_days(values, known), source, known, dates[col], text)
        elif text:
            out[col] = _as_text(values, source, known)
        elif isinstance(source.dtype, pd.StringDtype):  # text in a string dtype: missing stays missing
            out[col] = _as_text(values, source, known, marker=None).astype(source.dtype)
        elif source.dtype == object:
            out[col] = _as_text(values, source, known, marker=None)
        else:
            out[col] = _as_dtype(values, source)
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows)))[list(raw.columns)]


def _dates_like(days: np.ndarray, raw: pd.Series, prepared: pd.Series | None, fmt: str, text: bool) -> Any:
    """Numbers of days as the column holds dates: datetimes of its dtype, or text in its format
    (``fmt``, else the one its values are written in), missing ones as its marker."""
    if not text and pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return days_to_dates(days, raw.dtype).to_numpy()
    fmt = fmt or date_format(raw.astype(object)) or "%Y-%m-%d %H:%M:%S"
    marker = _marker(raw, prepared) if text else None
    column = pd.Series([marker if t is None else t for t in days_to_text(days, fmt)], dtype=object)
    return column.astype(raw.dtype) if isinstance(raw.dtype, pd.StringDtype) else column


def _days(values: pd.Series, prepared: pd.Series | None) -> np.ndarray:
    """Numbers of days, to whole days or seconds when the column's real values are."""
    days = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if prepared is None:
        return days
    return round_like(days, pd.to_numeric(prepared, errors="coerce").to_numpy(dtype=np.float64))


# ---------------------------------------------------------------------- text (CSV)
def _as_text(values: pd.Series, raw: pd.Series, prepared: pd.Series | None, marker: Any = "") -> pd.Series:
    """Values as the column writes them; missing ones as its marker (or ``marker=None``: None)."""
    if marker is not None:
        marker = _marker(raw, prepared)
    missing = values.isna().to_numpy()
    if (
        prepared is not None
        and pd.api.types.is_numeric_dtype(prepared.dtype)
        and not pd.api.types.is_bool_dtype(prepared.dtype)
    ):
        decimals = _decimals(raw)
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        text = [marker if m or not np.isfinite(v) else _format(v, decimals) for v, m in zip(numbers, missing)]
        return pd.Series(text, dtype=object)
    spelling = _spelling(raw, prepared)
    text = [marker if m else spelling.get(_key(v), str(v)) for v, m in zip(values, missing)]
    return pd.Series(text, dtype=object)


def _marker(raw: pd.Series, prepared: pd.Series | None) -> str:
    """The text the column uses for a missing value (the most common text of its missing cells)."""
    if prepared is None:
        return ""
    gone = prepared.isna().to_numpy()
    if not gone.any():
        return ""
    return Counter(raw.to_numpy()[gone]).most_common(1)[0][0]


def _decimals(raw: pd.Series) -> int | None:
    """Digits after the point the column writes (None: whole numbers, written without one)."""
    texts = [t.strip() for t in raw.dropna().astype(str) if _NUMBER.match(t.strip())]
    if not texts or all("." not in t and "e" not in t.lower() for t in texts):
        return None
    return max((len(t.split(".")[1].lower().split("e")[0]) if "." in t else 0) for t in texts)


def _format(value: float, decimals: int | None) -> str:
    if decimals is None:
        return str(round(value))
    return f"{value:.{decimals}f}"


def _key(value: Any) -> str:
    return str(value.item() if isinstance(value, np.generic) else value)


def _spelling(raw: pd.Series, prepared: pd.Series | None) -> dict[str, str]:
    """Per prepared value, how the file spells it (its most common text)."""
    if prepared is None:
        return {}
    counts: dict[str, Counter[str]] = {}
    for text, value in zip(raw.to_numpy(), prepared.to_numpy()):
        if not pd.isna(value):
            counts.setdefault(_key(value), Counter())[text] += 1
    return {k: c.most_common(1)[0][0] for k, c in counts.items()}


# ---------------------------------------------------------------------- dtypes (frames, Parquet)
def _missing_like(raw: pd.Series, n: int) -> pd.Series:
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype):
        return pd.Series([None] * n, dtype=raw.dtype)
    dtype = raw.dtype
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        dtype = pd.Int64Dtype()
    elif pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        dtype = pd.BooleanDtype()
    return pd.Series(pd.array([None] * n, dtype=dtype) if n else pd.array([], dtype=dtype))


def _as_dtype(values: pd.Series, raw: pd.Series) -> Any:
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = list(dtype.categories)
        lookup = {_key(c): c for c in cats}
        mapped = [lookup.get(_key(v)) if not pd.isna(v) else None for v in values]
        return pd.Categorical(mapped, categories=dtype.categories, ordered=dtype.ordered)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            return values.astype(dtype)
        return days_to_dates(pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64), dtype).to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        truth = values.map(_truth)
        if truth.isna().any() or isinstance(dtype, pd.api.extensions.ExtensionDtype):
            return pd.array(truth.tolist(), dtype="boolean")
        return truth.astype(bool).to_numpy()
    if pd.api.types.is_integer_dtype(dtype):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any() or isinstance(dtype, pd.api.extensions.ExtensionDtype):
            nullable = dtype if isinstance(dtype, pd.api.extensions.ExtensionDtype) else pd.Int64Dtype()
            return pd.array(numbers.round().tolist(), dtype=nullable)
        return numbers.round().astype(dtype).to_numpy()
    if pd.api.types.is_numeric_dtype(dtype):
        return pd.to_numeric(values, errors="coerce").astype(dtype)
    return values.astype(dtype)


def _truth(value: Any) -> Any:
    if pd.isna(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
