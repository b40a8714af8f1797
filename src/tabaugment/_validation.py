"""Parameter checks with scikit-learn's wording, and small input helpers."""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["check_fraction", "check_int", "check_one_of", "check_positive_float"]


def _fail(owner: str, name: str, what: str, value: Any) -> None:
    raise ValueError(f"The {name!r} parameter of {owner} must be {what}. Got {value!r} instead.")


def check_fraction(value: Any, name: str, owner: str, *, closed_low: bool = False) -> float:
    """A float in (0, 1] (or [0, 1] when ``closed_low``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = (0 <= value <= 1) if closed_low else (0 < value <= 1)
    if not ok:
        _fail(owner, name, "a float in [0, 1]" if closed_low else "a float in (0, 1]", value)
    return float(value)


def check_int(value: Any, name: str, owner: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An int in [minimum, maximum]."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok:
        ok = value >= minimum and (maximum is None or value <= maximum)
    if not ok:
        rng = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        _fail(owner, name, f"an int {rng}", value)
    return int(value)


def check_positive_float(value: Any, name: str, owner: str) -> float:
    """A float > 0."""
    if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0):
        _fail(owner, name, "a float > 0", value)
    return float(value)


def check_one_of(value: Any, name: str, owner: str, options: tuple[Any, ...]) -> Any:
    """One of ``options``."""
    if value not in options:
        _fail(owner, name, "one of " + ", ".join(repr(o) for o in options), value)
    return value
