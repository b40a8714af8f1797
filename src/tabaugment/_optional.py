"""Lazy imports of optional dependencies, with the install command in the error."""

from __future__ import annotations

import importlib
from types import ModuleType

from tabaugment.exceptions import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(module: str, *, extra: str, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install.

    >>> np = import_optional("numpy", extra="core")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        why = f" for {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"The optional dependency '{module.split('.')[0]}' is needed{why} but is not "
            f"installed. Install it with: pip install -e '.[{extra}]' in a tabaugment checkout "
            f"(pip install 'tabaugment[{extra}]' once the package is published)"
        ) from exc
