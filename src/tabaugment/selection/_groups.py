"""Selecting a minority group: Nakada et al.'s spurious-correlation setting.

When a label correlates with a group attribute (sex, race, site) in the training rows, a model
may lean on the group and fail on the rare group x class cells. Oversampling the smallest such
cell (or the smallest group) is the remedy their paper studies; this selector picks those rows
so any generator can be fitted on them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tabaugment.exceptions import DataError
from tabaugment.hardness.base import HardnessResult
from tabaugment.params import NONE, Constraints, InstanceOf, Options
from tabaugment.selection.base import BaseSelector

__all__ = ["SmallestGroup"]


class SmallestGroup(BaseSelector):
    """Every row of the smallest group x class cell (``by="group_class"``) or of the smallest group
    (``by="group"``) of the feature ``column``.

    Ties go to the cell whose group value, then label, sorts first. Rows with a missing group
    value belong to no group. Ignores the hardness scores.

    Parameters
    ----------
    column : the group column among the features (e.g. ``"sex"``); required.
    by : ``"group_class"`` or ``"group"``.
    """

    name = "smallest_group"
    uses_scores = False
    _parameter_constraints: ClassVar[Constraints] = {
        "column": [NONE, InstanceOf(str, what="a column name")],
        "by": [Options(("group_class", "group"))],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"column": "c"}

    def __init__(self, *, column: str | None = None, by: str = "group_class") -> None:
        self.column = column
        self.by = by

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        if self.column is None:
            raise DataError("smallest_group needs the group column: selector_params={'column': 'sex'}.")
        if X is None or self.column not in getattr(X, "columns", ()):
            shown = ", ".join(map(str, getattr(X, "columns", [])[:10]))
            raise DataError(
                f"The group column {self.column!r} is not among the features ({shown}); name a feature column."
            )
        groups = pd.Series(np.asarray(X[self.column], dtype=object))
        valid = groups.notna().to_numpy()
        if not valid.any():
            raise DataError(f"The group column {self.column!r} has no values; every row is missing.")
        cells = pd.DataFrame({"group": groups.astype(str), "label": y})
        keys = ["group"] if self.by == "group" else ["group", "label"]
        sizes = cells[valid].groupby(keys, sort=True).size().reset_index(name="rows")
        smallest = sizes.sort_values(["rows", *keys], kind="stable").iloc[0]
        mask = valid.copy()
        for key in keys:
            mask &= (cells[key] == smallest[key]).to_numpy()
        return np.flatnonzero(mask)
