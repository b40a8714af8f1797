"""Checks every component keeps, whatever its kind: declared, validated parameters.

``check_parameters(cls)``: every ``__init__`` parameter has a declared constraint; the
defaults and ``cls._unit_test_params()`` pass them; and a value no constraint accepts makes
``_validate_params`` raise :class:`~tabaugment.exceptions.ParameterError` naming that
parameter. Plugin authors get the same checks from ``check_generator``, ``check_hardness``
and ``check_selector``.
"""

from __future__ import annotations

from typing import Any

from tabaugment.exceptions import ParameterError

__all__ = ["check_parameters"]


class _Unacceptable:
    """A value no parameter of any component accepts."""

    def __repr__(self) -> str:
        return "<unacceptable value>"


def check_parameters(cls: Any, extra: dict[str, Any] | None = None) -> None:
    """Raise AssertionError naming the first parameter of ``cls`` that is undeclared or unchecked.

    ``extra`` parameters are added to every instance (e.g. a local model path).
    """
    name = cls.__name__
    extra = dict(extra or {})
    params = cls(**extra).get_params(deep=False)
    declared = cls._all_parameter_constraints()
    missing = sorted(set(params) - set(declared))
    if missing:
        raise AssertionError(f"{name}: parameters {missing} have no declared constraint (_parameter_constraints)")
    test_params = cls._unit_test_params()
    unknown = sorted(set(test_params) - set(params))
    if unknown:
        raise AssertionError(f"{name}: _unit_test_params names unknown parameters {unknown}")
    given: dict[str, Any]
    for given in ({}, test_params):
        try:
            cls(**{**extra, **given})._validate_params()
        except ParameterError as exc:
            raise AssertionError(
                f"{name}: its {'defaults' if not given else 'test parameters'} are refused: {exc}"
            ) from exc
    for param in params:
        component = cls(**{**extra, **test_params})
        component.set_params(**{param: _Unacceptable()})
        try:
            component._validate_params()
        except ParameterError as exc:
            if f"'{param}' parameter" not in str(exc):
                raise AssertionError(f"{name}: a bad {param!r} raised an error that does not name it: {exc}") from exc
        else:
            raise AssertionError(f"{name}: a bad {param!r} was accepted; declare its constraint")
