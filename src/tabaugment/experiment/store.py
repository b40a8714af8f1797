"""The results store: a folder with one Parquet file per finished cell, written atomically.

Append-only by construction: a finished cell is never rewritten, a crash or kill leaves the
finished cells' files intact, and a rerun computes only the cells without a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tabaugment._io import atomic_path

__all__ = ["ResultStore"]


class ResultStore:
    """Results of an experiment in ``folder/cells/<cell_id>.parquet`` (one row per metric)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.cells = self.folder / "cells"

    def done(self) -> set[str]:
        """Ids of the finished cells."""
        if not self.cells.is_dir():
            return set()
        return {p.stem for p in self.cells.glob("*.parquet")}

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
        files = sorted(self.cells.glob("*.parquet")) if self.cells.is_dir() else []
        if not files:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
