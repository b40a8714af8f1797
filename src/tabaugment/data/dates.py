"""Dates as numbers, and back.

The pipeline models a date or time column as a number: days since 1970-01-01 of the
column's wall-clock time (time zone kept aside), a float, so a whole day is a whole number.
Generated numbers become datetimes again in the column's dtype (its unit and time zone), or,
for a text file, text in the format the column is written in.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["date_format", "days_to_dates", "days_to_text", "is_datetime", "round_like", "to_days"]

_DAY_NS = 86_400 * 10**9
#: A column written with these patterns may hold dates; :func:`date_format` then checks every value.
_DATE_LIKE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4}"


def is_datetime(series: pd.Series) -> bool:
    """Whether ``series`` has a datetime dtype (with or without a time zone)."""
    return bool(pd.api.types.is_datetime64_any_dtype(series.dtype))


def to_days(series: pd.Series, fmt: str | None = None) -> np.ndarray:
    """Days since 1970-01-01 (float64, NaN where missing) of a datetime column, or of a text
    column written in ``fmt`` (a value that does not match it is NaN: check with
    :func:`date_format` first)."""
    if fmt is not None:
        text = series.astype(object).where(series.notna(), None)
        text = text.map(lambda v: v.strip() if isinstance(v, str) else v)
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)
    else:
        parsed = series
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)  # wall-clock time
    missing = parsed.isna().to_numpy()
    ns = parsed.astype("datetime64[ns]").to_numpy().astype(np.int64)
    days = ns / _DAY_NS
    days[missing] = np.nan
    return days


def round_like(days: np.ndarray, real_days: np.ndarray) -> np.ndarray:
    """``days`` rounded to whole days, or whole seconds, when every real value is one."""
    real = real_days[np.isfinite(real_days)]
    for step in (1.0, 1.0 / 86_400):
        scaled = real / step
        if len(real) and np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return np.round(days / step) * step
    return days


def days_to_dates(days: ArrayLike, dtype: Any) -> pd.Series:
    """Numbers of days as datetimes of ``dtype`` (e.g. ``datetime64[us, Europe/Paris]``), to
    the microsecond (a float64 number of days holds about that: whole seconds come back
    exactly); NaN or out-of-range numbers are missing. A wall-clock time a time zone skips or repeats
    (daylight saving) is moved forward or read as standard time."""
    values = np.asarray(days, dtype=np.float64)
    limit = 106_000.0  # days to about 2260: pandas' nanosecond range
    ok = np.isfinite(values) & (np.abs(values) < limit)
    # whole seconds and microseconds apart: nanoseconds since 1970 do not fit a float64 exactly
    seconds = values[ok] * 86_400
    nearest = np.round(seconds)
    seconds = np.where(np.abs(seconds - nearest) < 1.5e-6, nearest, np.round(seconds, 6))  # float noise
    whole = np.floor(seconds)
    micro = np.round((seconds - whole) * 1e6).astype(np.int64)
    ns = np.zeros(len(values), dtype=np.int64)
    ns[ok] = whole.astype(np.int64) * 10**9 + micro * 1000
    stamps = pd.Series(ns.astype("datetime64[ns]"))
    stamps[~ok] = pd.NaT
    target = pd.api.types.pandas_dtype(dtype)
    tz = getattr(target, "tz", None)
    if tz is not None:
        index = pd.DatetimeIndex(stamps).tz_localize(
            tz, ambiguous=np.zeros(len(stamps), dtype=bool), nonexistent="shift_forward"
        )
        stamps = pd.Series(index)
    return stamps.astype(target)


def days_to_text(days: ArrayLike, fmt: str) -> list[str | None]:
    """Numbers of days as text in ``fmt`` (None where missing)."""
    stamps = days_to_dates(days, "datetime64[ns]")
    if "%z" in fmt or "%Z" in fmt:
        stamps = stamps.dt.tz_localize("UTC")
    text = stamps.dt.strftime(fmt)
    return [None if pd.isna(t) else str(t) for t in text]


def date_format(values: pd.Series) -> str | None:
    """The one format every non-missing text value of ``values`` is written in, if they are
    all dates (``"%Y-%m-%d"``, ``"%d/%m/%Y"``, ...); None otherwise."""
    from pandas.tseries.api import guess_datetime_format

    text = values.dropna().astype(str).str.strip()
    if text.empty or not text.str.fullmatch(rf"\s*({_DATE_LIKE}).*").all():
        return None
    candidates: list[str] = []
    for sample in pd.unique(text.head(20)):
        for dayfirst in (False, True):
            with warnings.catch_warnings():  # pandas warns when a guess ignores dayfirst
                warnings.simplefilter("ignore", UserWarning)
                fmt = guess_datetime_format(sample, dayfirst=dayfirst)
            if fmt is not None and fmt not in candidates:
                candidates.append(fmt)
    for fmt in candidates:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt or "%Z" in fmt)
        if parsed.notna().all():
            return fmt
    return None
