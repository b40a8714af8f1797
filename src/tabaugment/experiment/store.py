"""The results store: one Parquet file per finished cell, written atomically, and a compacted
``results.parquet`` holding the cells of finished runs.

Append-only by construction: a finished cell is never rewritten, a crash or kill leaves the
finished cells' files intact, and a rerun computes only the cells stored in neither place.
``compact`` folds the per-cell files into ``results.parquet`` (written atomically before any
cell file is removed, so a kill in between leaves duplicates, which ``load`` drops, never a
loss); a finished run compacts its folder, so a grid of thousands of cells is one file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from tabaugment._io import atomic_path
from tabaugment.exceptions import DataError

__all__ = ["ResultStore"]


class ResultStore:
    """Results of an experiment in ``folder/results.parquet`` and ``folder/cells/<cell_id>.parquet``
    (one row per cell x metric)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.cells = self.folder / "cells"
        self.compacted = self.folder / "results.parquet"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one run: a second run on it is refused with the first one's pid.
        Temporary files a killed run left behind are removed once the lock is held."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / ".lock"
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - no advisory locks (Windows): run unlocked
                fcntl = None  # type: ignore[assignment]
            if fcntl is not None:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    owner = handle.read().strip() or "?"
                    raise DataError(
                        f"Another run (pid {owner}) is writing to {str(self.folder)!r}; wait for it to finish, or "
                        "give another --out folder."
                    ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            for stale in [*self.folder.glob(".*.tmp"), *self.cells.glob(".*.tmp")]:
                stale.unlink(missing_ok=True)
            yield
        finally:
            handle.close()

    def _cell_files(self) -> list[Path]:
        return sorted(self.cells.glob("*.parquet")) if self.cells.is_dir() else []

    def done(self) -> set[str]:
        """Ids of the finished cells."""
        ids = {p.stem for p in self._cell_files()}
        if self.compacted.is_file():
            ids |= set(pd.read_parquet(self.compacted, columns=["cell_id"])["cell_id"].unique())
        return ids

    def write(self, cell_id: str, rows: pd.DataFrame | dict[str, list]) -> None:
        """Store one finished cell (atomically: the file appears whole or not at all); ``rows``
        is a frame or a dict of equal-length columns."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.cells.mkdir(parents=True, exist_ok=True)
        table = pa.table(rows) if isinstance(rows, dict) else pa.Table.from_pandas(rows, preserve_index=False)
        with atomic_path(self.cells / f"{cell_id}.parquet") as tmp:
            pq.write_table(table, tmp, compression="none")

    def write_spec(self, spec: dict) -> None:
        from tabaugment._io import write_text_atomic

        write_text_atomic(self.folder / "spec.json", json.dumps(spec, indent=1, default=str))

    def load(self) -> pd.DataFrame:
        """Every stored row (empty frame when nothing is stored)."""
        parts = [pd.read_parquet(self.compacted)] if self.compacted.is_file() else []
        files = self._cell_files()
        if files:
            import pyarrow as pa
            import pyarrow.parquet as pq

            tables = [pq.read_table(f) for f in files]
            parts.append(pa.concat_tables(tables, promote_options="default").to_pandas())
        if not parts:
            return pd.DataFrame()
        frame = pd.concat(parts, ignore_index=True)
        return frame.drop_duplicates(["cell_id", "metric"], keep="first").reset_index(drop=True)

    def compact(self) -> int:
        """Fold the per-cell files into ``results.parquet``; returns how many files were folded."""
        files = self._cell_files()
        if not files:
            return 0
        frame = self.load()
        with atomic_path(self.compacted) as tmp:
            frame.to_parquet(tmp, index=False)
        for f in files:
            f.unlink()
        return len(files)
