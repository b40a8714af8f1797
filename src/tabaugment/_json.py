"""JSON-ready values: exact floats (Python's shortest round-trip repr), NaN as null.

``DataFrame.to_json`` rounds floats to 10 significant digits, so numbers written that way
cannot be compared with the ones they came from; these helpers keep every digit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "records", "table"]


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python values, NaN and NaT as None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else value
    if value is pd.NaT or (value is not None and not isinstance(value, (str, bytes)) and _is_missing(value)):
        return None
    return value


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per row, exact values."""
    return [jsonable(row) for row in frame.to_dict(orient="records")]


def table(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{column: {row label: value}}``, exact values (``to_json``'s default layout)."""
    return {str(c): {str(i): jsonable(v) for i, v in frame[c].items()} for c in frame.columns}
