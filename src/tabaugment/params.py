"""Declarative parameter constraints, checked with one wording and one error type (public: plugins use it).

A component declares what each of its ``__init__`` parameters accepts::

    class TopFraction(BaseSelector):
        _parameter_constraints: ClassVar[Constraints] = {"fraction": [Interval(Real, 0, 1, closed="right")]}

and its base class calls :meth:`ParamsMixin._validate_params` before using them (at ``fit``,
``select``...). A value that meets none of a parameter's constraints raises
:class:`~tabaugment.exceptions.ParameterError` in scikit-learn's words: "The 'fraction'
parameter of TopFraction must be a float in the range (0, 1]. Got 1.5 instead." Constraints
are merged along the class hierarchy, so a subclass only declares what it adds. Conditions
between parameters (``d_model`` a multiple of ``n_heads``) go in ``_check_params``, which
runs after the declared checks and raises the same error type.

Functions check their arguments with :func:`check_param`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from tabaugment.exceptions import ParameterError

__all__ = [
    "BOOL",
    "NONE",
    "N_JOBS",
    "RANDOM_STATE",
    "Constraint",
    "Constraints",
    "InstanceOf",
    "Interval",
    "Options",
    "ParamsMixin",
    "check_param",
    "fail",
    "non_negative",
    "positive",
]


class Constraint:
    """One kind of value a parameter accepts."""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class Interval(Constraint):
    """A number of ``kind`` (``int``/``numbers.Integral`` or ``float``/``numbers.Real``, which
    admits ints too; never a bool) between
    ``low`` and ``high`` (None = unbounded), ``closed`` on "both", "left", "right" or "neither"."""

    def __init__(
        self, kind: type, low: float | None, high: float | None, *, closed: str = "both", what: str | None = None
    ) -> None:
        kind = {int: numbers.Integral, float: numbers.Real}.get(kind, kind)
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError("Interval kind must be int, float, numbers.Integral or numbers.Real.")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither'; got {closed!r}.")
        self.kind, self.low, self.high, self.closed, self.what = kind, low, high, closed, what

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        x = float(value)
        below = self.low is not None and (x < self.low or (x == self.low and self.closed in ("right", "neither")))
        above = self.high is not None and (x > self.high or (x == self.high and self.closed in ("left", "neither")))
        return not (below or above)

    def describe(self) -> str:
        noun = self.what or ("an int" if self.kind is numbers.Integral else "a float")
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{noun} in the range {left}{low}, {high}{right}"


class Options(Constraint):
    """One of a fixed set of values (usually strings)."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = tuple(values)

    def accepts(self, value: Any) -> bool:
        try:
            return any(value == v and type(value) is type(v) for v in self.values)
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        shown = ", ".join(repr(v) for v in self.values)
        return f"one of {shown}" if len(self.values) > 1 else repr(self.values[0])


class InstanceOf(Constraint):
    """An instance of one of ``types`` (described as ``what``)."""

    def __init__(self, *types: type, what: str | None = None) -> None:
        self.types = types
        self.what = what

    def accepts(self, value: Any) -> bool:
        if bool not in self.types and isinstance(value, bool) and not any(t is object for t in self.types):
            return False
        return isinstance(value, self.types)

    def describe(self) -> str:
        if self.what:
            return self.what
        names = " or ".join(f"'{t.__name__}'" for t in self.types)
        return f"an instance of {names}"


#: Constraints per parameter name, as a class declares them.
Constraints = dict[str, Sequence[Constraint]]


class _NoneConstraint(Constraint):
    def accepts(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"


#: A bool (True or False).
BOOL = InstanceOf(bool, what="a bool")
#: None.
NONE = _NoneConstraint()


#: A seed: None, an int >= 0, or a numpy Generator / RandomState.
RANDOM_STATE: list[Constraint] = [
    NONE,
    Interval(numbers.Integral, 0, None),
    InstanceOf(np.random.Generator, np.random.RandomState, what="a numpy Generator or RandomState"),
]
#: Parallel workers: an int >= 1, or -1 for all.
N_JOBS: list[Constraint] = [Interval(numbers.Integral, 1, None), Options([-1])]


def positive(kind: type = numbers.Real) -> Interval:
    """A number > 0 (an int >= 1 for ``numbers.Integral``)."""
    return Interval(kind, 0, None, closed="neither") if kind is numbers.Real else Interval(kind, 1, None)


def non_negative(kind: type = numbers.Real) -> Interval:
    """A number >= 0."""
    return Interval(kind, 0, None)


def fail(owner: str, name: str, what: str, value: Any) -> ParameterError:
    """The error for parameter ``name`` of ``owner`` that must be ``what`` but is ``value``."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return ParameterError(f"The {name!r} parameter of {owner} must be {what}. Got {shown} instead.")


def check_param(value: Any, name: str, owner: str, *constraints: Constraint) -> Any:
    """``value`` when it meets one of ``constraints``; else :class:`ParameterError`."""
    if any(c.accepts(value) for c in constraints):
        return value
    parts = [c.describe() for c in constraints]
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]
    raise fail(owner, name, what, value)


class ParamsMixin:
    """Checks the declared ``_parameter_constraints`` of a class and its parents."""

    _parameter_constraints: ClassVar[Constraints] = {}

    @classmethod
    def _all_parameter_constraints(cls) -> Constraints:
        merged: Constraints = {}
        for klass in reversed(cls.__mro__):
            merged.update(getattr(klass, "_parameter_constraints", None) or {})
        return merged

    def _validate_params(self) -> None:
        """Check every declared parameter, then the cross-parameter conditions of ``_check_params``."""
        owner = type(self).__name__
        getter = getattr(self, "get_params", None)
        params = getter(deep=False) if getter is not None else vars(self)
        for name, constraints in self._all_parameter_constraints().items():
            if name in params:
                check_param(params[name], name, owner, *constraints)
        self._check_params()

    def _check_params(self) -> None:
        """Hook: conditions between parameters; raise :class:`ParameterError`."""

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        """Small, fast parameters for the contract tests (river's ``_unit_test_params``)."""
        return {}
