"""Datasets by name: scikit-learn's bundled breast-cancer table, and the benchmark catalog.

The catalog is a folder with a ``catalog.json`` (the project's ``shared/datasets``). It is
found through, in order: the ``root`` argument, the ``TABAUGMENT_DATASETS`` environment
variable, or a ``shared/datasets`` folder in the working directory or one of its parents.
Files are read in place, never copied.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment.data.io import read_table
from tabaugment.data.schema import Schema, infer_schema
from tabaugment.exceptions import DataError

__all__ = ["Dataset", "find_catalog", "list_datasets", "load_breast_cancer", "load_dataset"]

_ENV = "TABAUGMENT_DATASETS"


@dataclasses.dataclass
class Dataset:
    """A raw table with its schema, and its official test table when it has one."""

    name: str
    table: pd.DataFrame
    schema: Schema
    test: pd.DataFrame | None = None
    description: dict[str, Any] = dataclasses.field(default_factory=dict)


def find_catalog(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding ``catalog.json``; raises :class:`DataError` saying where it looked."""
    tried: list[str] = []
    candidates: list[Path] = []
    if root is not None:
        candidates.append(Path(root))
    elif os.environ.get(_ENV):
        candidates.append(Path(os.environ[_ENV]))
    else:
        here = Path.cwd().resolve()
        for parent in (here, *here.parents):
            candidates.append(parent / "shared" / "datasets")
    for cand in candidates:
        tried.append(str(cand))
        if (cand / "catalog.json").is_file():
            return cand
    raise DataError(
        "No dataset catalog (catalog.json) found; looked in: "
        + ", ".join(tried[:4])
        + (" ..." if len(tried) > 4 else "")
        + f". Pass root=..., set {_ENV}=/path/to/datasets, or use the CLI's --datasets-dir."
    )


def _read_catalog(root: Path) -> list[dict[str, Any]]:
    with open(root / "catalog.json", encoding="utf-8") as fh:
        return json.load(fh)


def list_datasets(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per catalog entry: name, rows, positive rate, licence."""
    entries = _read_catalog(find_catalog(root))
    return pd.DataFrame(
        [
            {
                "name": e["name"],
                "rows": e.get("rows"),
                "test_rows": e.get("test_rows"),
                "positive_rate": e.get("positive_rate"),
                "target": e["target"],
                "licence": e.get("licence"),
            }
            for e in entries
        ]
    )


def load_dataset(name: str, root: str | os.PathLike[str] | None = None) -> Dataset:
    """Load a catalog entry (or ``"breast_cancer"``) by name, with its schema."""
    if name == "breast_cancer":
        return load_breast_cancer()
    folder = find_catalog(root)
    entries = {e["name"]: e for e in _read_catalog(folder)}
    if name not in entries:
        import difflib

        close = difflib.get_close_matches(name, [*list(entries), "breast_cancer"], n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise DataError(
            f"No dataset named {name!r} in {str(folder)!r}.{hint} "
            f"Available: {', '.join(sorted(entries))}, breast_cancer."
        )
    entry = entries[name]
    table = read_table(folder / entry["path"])
    test = read_table(folder / entry["test_path"]) if entry.get("test_path") else None
    markers, per_column = _parse_missing(entry.get("missing_values", []))
    schema = infer_schema(
        table,
        entry["target"],
        positive_label=entry.get("positive_label"),
        categorical=entry.get("categorical", []),
        numerical=entry.get("numerical", []),
        exclude=list(entry.get("id_columns", [])) + list(entry.get("datetime_columns", [])),
        missing_values=markers,
        column_missing_values=per_column,
    )
    return Dataset(name=name, table=table, schema=schema, test=test, description=entry)


_PER_COLUMN = re.compile(r"^\s*(?P<marker>[^()]+?)\s*\(in (?P<cols>[^)]*)\)\s*$")


def _parse_missing(values: list[str]) -> tuple[list[str], dict[str, list[Any]]]:
    """Catalog markers: plain strings, or "0 (in A, B)" for markers of some columns only."""
    markers: list[str] = [""]
    per_column: dict[str, list[Any]] = {}
    for value in values:
        match = _PER_COLUMN.match(value)
        if match:
            marker: Any = match["marker"]
            with contextlib.suppress(ValueError):
                marker = float(marker)
            for col in match["cols"].split(","):
                per_column.setdefault(col.strip(), []).append(marker)
        else:
            markers.append(value)
    return markers, per_column


def load_breast_cancer() -> Dataset:
    """scikit-learn's bundled Wisconsin breast-cancer table (569 rows, no network needed).

    The target ``diagnosis`` is ``"malignant"`` (positive, 37%) or ``"benign"``.
    """
    from sklearn.datasets import load_breast_cancer as _load

    bunch = _load(as_frame=True)
    table = bunch.frame.copy()
    names = bunch.target_names  # index 0 = malignant, 1 = benign
    table = table.drop(columns="target")
    table["diagnosis"] = [names[i] for i in bunch.target]
    schema = infer_schema(table, "diagnosis", positive_label="malignant")
    return Dataset(
        name="breast_cancer",
        table=table,
        schema=schema,
        description={"source": "scikit-learn load_breast_cancer (UCI Wisconsin Diagnostic)"},
    )
