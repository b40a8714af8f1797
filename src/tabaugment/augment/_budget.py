"""The synthetic budget: many input forms, one canonical ``{label: rows}`` dict.

Modelled on imbalanced-learn's ``check_sampling_strategy``:

=================  ===========================================================================
form               meaning
=================  ===========================================================================
``500``            500 rows in all, split over classes like the selected rows
``0.1``            10% of the training rows in all, split like the selected rows
``"10%"``          the same as ``0.1``
``"2x"``           two new rows per selected row (per class: 2 x its selected rows)
``"balance"``      each class up to the size of the largest class of the training rows
                   (imbalanced-learn's ``"not majority"``; for two classes, its ``"auto"``)
``"balance=0.5"``  each class up to half the size of the largest class (for two classes,
                   imbalanced-learn's float ``sampling_strategy=0.5``)
``{"yes": 300}``   exactly these rows per label
=================  ===========================================================================

:func:`parse_budget` checks the form alone (specs are validated before any data is read);
:func:`resolve_budget` turns it into rows per label for given training labels.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd

from tabaugment.exceptions import DataError, ParameterError
from tabaugment.generators.base import allocate
from tabaugment.params import Constraint

__all__ = ["BUDGET", "Budget", "ParsedBudget", "budget_problem", "parse_budget", "resolve_budget"]

Budget = Union[int, float, str, Mapping[Any, int]]

_MULTIPLE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*x\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_BALANCE = re.compile(r"^\s*balance\s*(?:=\s*(\d+(?:\.\d*)?|\.\d+))?\s*$", re.IGNORECASE)
_FORMS = (
    "a row count (500), a fraction of the training rows (0.1 or '10%'), a multiple of the selected rows ('2x'), "
    "'balance' (every class up to the largest), 'balance=0.5' (up to half the largest), or {label: rows}"
)


@dataclasses.dataclass(frozen=True)
class ParsedBudget:
    """A budget's form: ``kind`` is "rows", "fraction", "multiple", "balance" or "per_label"."""

    kind: str
    value: Any


def parse_budget(budget: Any) -> ParsedBudget:
    """The form of ``budget``; :class:`ParameterError` names the accepted forms."""
    if isinstance(budget, bool) or budget is None:
        raise ParameterError(f"Unknown budget {budget!r}. Use {_FORMS}.")
    if isinstance(budget, numbers.Integral):
        if int(budget) < 0:
            raise ParameterError(f"A budget in rows must be >= 0. Got {budget}.")
        return ParsedBudget("rows", int(budget))
    if isinstance(budget, numbers.Real):
        if not (float(budget) > 0 and math.isfinite(float(budget))):
            raise ParameterError(f"A budget as a fraction of the training rows must be > 0. Got {budget}.")
        return ParsedBudget("fraction", float(budget))
    if isinstance(budget, str):
        if m := _MULTIPLE.match(budget):
            return ParsedBudget("multiple", float(m.group(1)))
        if m := _PERCENT.match(budget):
            return ParsedBudget("fraction", float(m.group(1)) / 100)
        if m := _BALANCE.match(budget):
            ratio = 1.0 if m.group(1) is None else float(m.group(1))
            if not 0 < ratio <= 1:
                raise ParameterError(f"In {budget!r} the ratio must be in (0, 1]. Got {ratio:g}.")
            return ParsedBudget("balance", ratio)
        raise ParameterError(f"Unknown budget {budget!r}. Use {_FORMS}.")
    if isinstance(budget, Mapping):
        for label, k in budget.items():
            if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 0:
                raise ParameterError(f"The budget for label {label!r} must be an int >= 0. Got {k!r}.")
        return ParsedBudget("per_label", dict(budget))
    raise ParameterError(f"A budget must be a number, a string or a dict. Got {type(budget).__name__}.")


def budget_problem(budget: Any) -> str | None:
    """What is wrong with the form of ``budget``, or None."""
    try:
        parse_budget(budget)
    except ParameterError as exc:
        return str(exc)
    return None


class _BudgetForm(Constraint):
    def accepts(self, value: Any) -> bool:
        return budget_problem(value) is None

    def describe(self) -> str:
        return _FORMS


#: The parameter constraint of a budget.
BUDGET = _BudgetForm()


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
    parsed = parse_budget(budget)
    y = np.asarray(y)
    n_train = len(y)
    train_counts = pd.Series(y).value_counts(sort=False)
    sel_counts = pd.Series(y[selected]).value_counts(sort=False).reindex(train_counts.index, fill_value=0)
    labels = list(train_counts.index)

    def spread(total: int) -> dict[Any, int]:
        return {lab: int(k) for lab, k in zip(labels, allocate(total, sel_counts.to_numpy()))}

    plan: dict[Any, int]
    if parsed.kind == "rows":
        plan = spread(parsed.value)
    elif parsed.kind == "fraction":
        plan = spread(round(parsed.value * n_train))
    elif parsed.kind == "multiple":
        plan = {lab: round(parsed.value * int(sel_counts[lab])) for lab in labels}
    elif parsed.kind == "balance":
        goal = math.ceil(parsed.value * int(train_counts.max()) - 1e-9)
        plan = {lab: max(0, goal - int(train_counts[lab])) for lab in labels}
    else:
        plan = {}
        for label, k in parsed.value.items():
            match = [lab for lab in labels if lab == label or str(lab) == str(label)]
            if not match:
                raise DataError(f"The budget names label {label!r}, which is not in the training labels {labels}.")
            plan[match[0]] = int(k)
        for lab in labels:
            plan.setdefault(lab, 0)

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
