"""Reading tables from files and frames: CSV, Parquet, pandas, polars, pyarrow."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment.exceptions import DataError, ParameterError

__all__ = ["TABLE_SUFFIXES", "check_table_path", "read_table", "to_pandas", "write_table"]


def to_pandas(table: Any) -> pd.DataFrame:
    """A pandas DataFrame from pandas, polars or pyarrow input (a copy, never a view)."""
    if isinstance(table, pd.DataFrame):
        return table.copy()
    module = type(table).__module__
    if module.startswith("polars"):
        return table.to_pandas()
    if module.startswith("pyarrow"):
        return table.to_pandas()
    raise DataError(
        "Expected a pandas or polars DataFrame, a pyarrow Table, or a path to a CSV/Parquet "
        f"file. Got {type(table).__name__}."
    )


def read_table(source: Any, *, sep: str | None = None) -> pd.DataFrame:
    """Read a table from a path (``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet``) or a frame.

    Text is read as it is written: missing-value markers such as ``?`` or ``NA`` stay text
    here and are turned into missing values by :meth:`Schema.prepare`, so the schema decides
    what "missing" means.
    """
    if not isinstance(source, (str, os.PathLike)):
        return to_pandas(source)
    path = Path(source)
    if not path.exists():
        raise DataError(f"No file at {str(path)!r}. Check the path (the working directory is {os.getcwd()!r}).")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory; give a CSV or Parquet file.")
    suffixes = "".join(path.suffixes[-2:]).lower()
    if not suffixes.endswith((".parquet", ".pq")):
        sep = sep if sep is not None else ("\t" if ".tsv" in suffixes else ",")
        _check_header(path, sep)
    try:
        if suffixes.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            if sep is None:
                sep = "\t" if ".tsv" in suffixes else ","
            frame = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=[], low_memory=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"Could not read {str(path)!r}: {exc}") from exc
    if frame.shape[1] == 1 and sep == "," and ";" in str(frame.columns[0]):
        raise DataError(
            f"{str(path)!r} has one column named {frame.columns[0]!r}; it looks ';'-separated. "
            "Pass sep=';' (CLI: --sep ';')."
        )
    return frame


def _check_header(path: Path, sep: str) -> None:
    """Refuse a header with an empty or repeated name (pandas would rename it, so the output's
    header would not be the input's)."""
    try:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return  # read_table's own reading says what is wrong
    names = [str(v) for v in header.iloc[0].tolist()] if len(header) else []
    for i, name in enumerate(names):
        if not name.strip():
            raise DataError(
                f"Column {i + 1} of {str(path)!r} has no name in the header{' (a saved index?)' if i == 0 else ''}; "
                "name it, or drop the column (pandas: to_csv(..., index=False))."
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"The header of {str(path)!r} names {', '.join(map(repr, repeated))} more than once; "
            "give every column its own name."
        )


#: File suffixes of the tables tabaugment writes.
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def check_table_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if its suffix names a format :func:`write_table` writes, else a clear error."""
    target = Path(path)
    if target.suffix.lower() not in TABLE_SUFFIXES:
        shown = target.suffix or "no suffix"
        raise ParameterError(f"Cannot write a table to {str(target)!r} ({shown}); name a .csv or .parquet file.")
    return target


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` atomically as CSV or Parquet, chosen by the file suffix."""
    from tabaugment._io import atomic_path

    target = check_table_path(path)
    with atomic_path(target) as tmp:
        if target.suffix.lower() in (".parquet", ".pq"):
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
