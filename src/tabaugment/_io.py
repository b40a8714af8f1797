"""Atomic file output: a failed run leaves no half-written file behind, and no run destroys a
file or folder it did not write.

Files and folders get the permissions the user's umask gives new ones (temporary files start
private, as ``mkstemp`` makes them, and are opened up before they are moved into place).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from tabaugment.exceptions import ParameterError

__all__ = ["atomic_dir", "atomic_path", "check_writable_dir", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.
    ``path`` may be a file (replaced) but not a folder."""
    target = Path(path)
    if target.is_dir():
        raise ParameterError(f"{str(target)!r} is a folder; give a file name to write to.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_writable_dir(path: str | os.PathLike[str], replaceable: Callable[[Path], bool]) -> Path:
    """``path`` as a folder that may be (re)written: absent, empty, or ``replaceable(path)``
    (e.g. an earlier output of the same kind). A file, or a folder holding anything else, is
    refused before anything is touched."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ParameterError(
            f"{str(target)!r} is a file; give a folder name (the output is a folder), or remove the file."
        )
    if target.is_dir() and any(target.iterdir()) and not replaceable(target):
        raise ParameterError(
            f"{str(target)!r} is a folder with other files in it; give a new or empty folder (nothing was changed)."
        )
    return target


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], replaceable: Callable[[Path], bool] = lambda p: False) -> Iterator[Path]:
    """Yield a temporary folder; it replaces ``path`` only if the block succeeds. ``path`` must
    be absent, empty or ``replaceable`` (see :func:`check_writable_dir`)."""
    target = check_writable_dir(path, replaceable)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        mask = _umask()
        for item in tmp.rglob("*"):
            os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)
        os.chmod(tmp, 0o777 & ~mask)
        if target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, backup / "previous")
            os.replace(tmp, target)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
