"""Progress bars for long work; off unless asked for (the library never prints by default)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bar"]


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _NullBar:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_bar(enabled: bool, *, total: int | None = None, desc: str = "", unit: str = "it") -> Any:
    """A tqdm bar on stderr when ``enabled``, else an object with the same methods that does nothing."""
    if not enabled:
        return _NullBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)
