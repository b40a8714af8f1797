"""The synthetic budget: many input forms, one canonical ``{label: rows}`` dict.

Modelled on imbalanced-learn's ``check_sampling_strategy``:

============  ==============================================================
form          meaning
============  ==============================================================
``500``       500 rows in all, split over classes like the selected rows
``0.1``       10% of the training rows in all, split like the selected rows
``"10%"``     the same as ``0.1``
``"2x"``      two new rows per selected row (per class: 2 x its selected rows)
``"balance"`` each class up to the size of the largest class of the training rows
``{"yes": 300}``  exactly these rows per label
============  ==============================================================
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd

from tabaugment.exceptions import DataError
from tabaugment.generators.base import allocate

__all__ = ["Budget", "resolve_budget"]

Budget = Union[int, float, str, Mapping[Any, int]]

_MULTIPLE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*x\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")


def resolve_budget(
    budget: Budget,
    y: np.ndarray,
    selected: np.ndarray,
    *,
    max_synthetic_ratio: float = 10.0,
) -> dict[Any, int]:
    """Synthetic rows per label for training labels ``y`` and selected positions ``selected``.

    Raises :class:`DataError` quoting the counts when the budget cannot be met: more than
    ``max_synthetic_ratio`` times the training rows, or rows of a class that has no selected
    rows to fit on.
    """
    y = np.asarray(y)
    n_train = len(y)
    train_counts = pd.Series(y).value_counts(sort=False)
    sel_counts = pd.Series(y[selected]).value_counts(sort=False).reindex(train_counts.index, fill_value=0)
    labels = list(train_counts.index)

    def spread(total: int) -> dict[Any, int]:
        return {lab: int(k) for lab, k in zip(labels, allocate(total, sel_counts.to_numpy()))}

    plan: dict[Any, int]
    if isinstance(budget, bool):
        raise ValueError(f"budget must be a number, a string or a dict. Got {budget!r}.")
    if isinstance(budget, numbers.Integral):
        if budget < 0:
            raise ValueError(f"budget must be >= 0 rows. Got {budget}.")
        plan = spread(int(budget))
    elif isinstance(budget, numbers.Real):
        if not budget > 0:
            raise ValueError(f"budget as a fraction of the training rows must be > 0. Got {budget}.")
        plan = spread(round(float(budget) * n_train))
    elif isinstance(budget, str):
        text = budget.strip().lower()
        if text == "balance":
            top = int(train_counts.max())
            plan = {lab: top - int(train_counts[lab]) for lab in labels}
        elif m := _MULTIPLE.match(text):
            factor = float(m.group(1))
            plan = {lab: round(factor * int(sel_counts[lab])) for lab in labels}
        elif m := _PERCENT.match(text):
            plan = spread(round(float(m.group(1)) / 100 * n_train))
        else:
            raise ValueError(
                f"Unknown budget {budget!r}. Use a row count (500), a fraction of the training rows "
                "(0.1 or '10%'), a multiple of the selected rows ('2x'), 'balance', or {label: rows}."
            )
    elif isinstance(budget, Mapping):
        plan = {}
        for label, k in budget.items():
            match = [lab for lab in labels if lab == label or str(lab) == str(label)]
            if not match:
                raise DataError(f"Budget names label {label!r}, which is not in the training labels {labels}.")
            if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 0:
                raise ValueError(f"Budget for label {label!r} must be an int >= 0. Got {k!r}.")
            plan[match[0]] = int(k)
        for lab in labels:
            plan.setdefault(lab, 0)
    else:
        raise ValueError(f"budget must be a number, a string or a dict. Got {type(budget).__name__}.")

    total = sum(plan.values())
    if total > max_synthetic_ratio * n_train:
        raise DataError(
            f"The budget {budget!r} asks for {total:,} synthetic rows, more than "
            f"{max_synthetic_ratio:g} x the {n_train:,} training rows. Lower the budget or raise "
            "max_synthetic_ratio."
        )
    for lab, k in plan.items():
        if k > 0 and sel_counts[lab] == 0:
            raise DataError(
                f"The budget asks for {k:,} rows of class {lab!r}, but none of the {len(selected):,} "
                "selected rows is of that class, so no generator can be fitted for it. Choose a "
                "selector that keeps that class (e.g. 'hardest_per_class') or a budget for the "
                "selected classes only."
            )
    return {lab: k for lab, k in plan.items()}
