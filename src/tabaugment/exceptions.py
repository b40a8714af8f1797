"""The exceptions tabaugment raises.

Every error a user can cause derives from :class:`TabAugmentError`. Errors about bad
values also derive from :class:`ValueError`, so code written for scikit-learn's
conventions (``except ValueError``) keeps working.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DataLeakageError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "RuleError",
    "SamplingShortfallWarning",
    "SchemaError",
    "SpecError",
    "TabAugmentError",
]


class TabAugmentError(Exception):
    """Base class of every error raised on purpose by tabaugment."""


class _ProblemsError(TabAugmentError, ValueError):
    """An error that lists every problem found, so a user can fix them all at once."""

    subject = "The input"

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{self.subject} has {len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class SchemaError(_ProblemsError):
    """The table does not fit the declared schema; ``problems`` lists every problem found."""

    subject = "The table"


class SpecError(_ProblemsError):
    """An experiment spec (or a strategy in one) is invalid; ``problems`` lists every problem."""

    subject = "The experiment spec"


class ParameterError(TabAugmentError, ValueError):
    """A parameter of a component or function has a value it does not accept.

    The message follows scikit-learn's wording: "The 'fraction' parameter of TopFraction must
    be a float in the range (0, 1]. Got 1.5 instead."
    """


class DataError(TabAugmentError, ValueError):
    """The data cannot be used for the requested operation (too few rows, bad budget...)."""


class RuleError(TabAugmentError, ValueError):
    """A validity rule cannot be parsed or evaluated (it names the token or column at fault)."""


class DataLeakageError(TabAugmentError, ValueError):
    """Rows reserved for the final evaluation reached a fitting step."""


class NotFittedError(TabAugmentError, AttributeError):
    """A component was used before ``fit``.

    Subclasses :class:`AttributeError` like scikit-learn's own ``NotFittedError``.
    """


class MissingDependencyError(TabAugmentError, ImportError):
    """An optional dependency is needed; the message gives the exact install command."""


class ModelFileError(TabAugmentError, OSError):
    """A saved model cannot be read: missing, corrupt, or written by a newer version."""


class SamplingShortfallWarning(UserWarning):
    """A generator stopped at its budget of attempts or seconds before producing every row."""
