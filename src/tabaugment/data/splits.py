"""Stratified train / validation / test splits whose row ids travel with the rows.

Every row keeps its id (its position in the loaded table; rows of a separate test file are
numbered after them) as the frame index, named ``row_id``. The test frame is marked, and
fitting steps call :func:`check_not_test` so a test row that reaches hardness, selection or a
generator raises :class:`DataLeakageError` instead of silently inflating the score.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Literal

import numpy as np
import pandas as pd

from tabaugment._random import RandomState, derive_seed
from tabaugment.data.schema import Schema
from tabaugment.exceptions import DataError, DataLeakageError, ParameterError, SchemaError

__all__ = ["ROLE_ATTR", "Split", "check_not_test", "rows_in", "split_table"]

logger = logging.getLogger(__name__)

ROLE_ATTR = "tabaugment_role"
UnseenPolicy = Literal["auto", "error", "missing"]


@dataclasses.dataclass
class Split:
    """Prepared train, validation and test frames of one table, with their schema.

    The index of each frame holds the row ids. ``unseen`` counts, per column, the
    validation/test values never seen in training that were set to missing.
    """

    schema: Schema
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    unseen: dict[str, int] = dataclasses.field(default_factory=dict)
    pool_rows: int | None = None
    """Rows the training rows were drawn from (before ``train_size`` subsampling)."""
    test_in_train: int = 0
    """Test rows equal, in every column, to a training row (duplicates in the data: the test
    then partly measures memory, not generalisation)."""

    def xy(self, part: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Features and class codes of ``part`` ("train", "validation" or "test"); 0/1 for two classes."""
        frame = getattr(self, part)
        return frame[list(self.schema.features)], self.schema.encode_target(frame[self.schema.target])

    def check_no_test_rows(self, index: pd.Index | pd.DataFrame, stage: str) -> None:
        """Raise :class:`DataLeakageError` if any row id of ``index`` is a test row."""
        ids = index.index if isinstance(index, pd.DataFrame) else index
        leaked = ids.intersection(self.test.index)
        if len(leaked):
            raise DataLeakageError(
                f"{len(leaked)} test rows (ids {list(leaked[:5])}) reached {stage}. Test rows may "
                "only be used to score the final model; pass split.train (and split.validation)."
            )

    def summary(self) -> dict[str, Any]:
        """Row counts of each part and its positive rate (two classes) or class shares (more)."""
        out: dict[str, Any] = {}
        for part in ("train", "validation", "test"):
            y = self.schema.encode_target(getattr(self, part)[self.schema.target])
            if self.schema.is_binary:
                out[part] = {"rows": len(y), "positive_rate": float(y.mean()) if len(y) else float("nan")}
            else:
                counts = np.bincount(y, minlength=self.schema.n_classes) / max(len(y), 1)
                shares = {str(c): float(v) for c, v in zip(self.schema.classes, counts, strict=True)}
                out[part] = {"rows": len(y), "class_shares": shares}
        return out


def check_not_test(frame: Any, stage: str) -> None:
    """Raise :class:`DataLeakageError` if ``frame`` came from a split's test part."""
    attrs = getattr(frame, "attrs", None)
    if attrs and attrs.get(ROLE_ATTR) == "test":
        raise DataLeakageError(
            f"Rows from the test split reached {stage}. The test split may only be used to score "
            "the final model; fit on split.train (and use split.validation as the reference)."
        )


def split_table(
    table: pd.DataFrame,
    schema: Schema,
    *,
    test: pd.DataFrame | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.2,
    train_size: int | float | None = None,
    random_state: RandomState = 0,
    unseen_categories: UnseenPolicy = "auto",
) -> Split:
    """Prepare ``table`` with ``schema`` and split it, stratified on the target.

    Parameters
    ----------
    test : a separate test table (e.g. Adult's official test file). When given, no test rows
        are cut from ``table``.
    test_size, validation_size : fractions of ``table`` for the test and validation parts.
    train_size : keep only this many (int) or this fraction (float) of the remaining training
        rows, stratified: the scarce-data regime. The other rows are not used.
    unseen_categories : what to do with categories of the validation/test rows never seen in
        the training rows. ``"error"`` raises; ``"missing"`` sets them to missing (and logs
        the counts); ``"auto"`` does the same, with a warning naming the columns and values
        when a given ``test`` table has categories that never occur in ``table`` (a likely typo
        or mismatch; ``"error"`` makes it an error).
    validation_size : 0 cuts no validation rows: every remaining row trains, and hardness
        methods that need reference rows cross-fit on the training rows.
    """
    from sklearn.model_selection import train_test_split

    if unseen_categories not in ("auto", "error", "missing"):
        raise ParameterError(
            "The 'unseen_categories' parameter of split_table must be one of 'auto', 'error', "
            f"'missing'. Got {unseen_categories!r} instead."
        )
    if not (isinstance(test_size, float) and 0 < test_size < 1):
        raise ParameterError(
            f"The 'test_size' parameter of split_table must be a float in (0, 1). Got {test_size!r} instead."
        )
    if isinstance(validation_size, int) and not isinstance(validation_size, bool) and validation_size == 0:
        validation_size = 0.0
    if not (isinstance(validation_size, float) and 0 <= validation_size < 1):
        raise ParameterError(
            "The 'validation_size' parameter of split_table must be a float in [0, 1) (0: no validation rows, "
            f"every remaining row trains). Got {validation_size!r} instead."
        )
    prepared = schema.prepare(table).reset_index(drop=True)
    prepared.index = pd.RangeIndex(len(prepared), name="row_id")
    seed = derive_seed(random_state)
    y_all = schema.encode_target(prepared[schema.target])

    if test is not None:
        test_frame = schema.prepare(test).reset_index(drop=True)
        test_frame.index = pd.RangeIndex(len(prepared), len(prepared) + len(test_frame), name="row_id")
        if unseen_categories == "error":
            _check_unseen(test_frame, prepared, schema, "the test table", "the training table")
        elif unseen_categories == "auto":
            _warn_unseen(test_frame, prepared, schema)
        rest = prepared
    else:
        rest_idx, test_idx = _stratified(train_test_split, prepared.index, y_all, test_size, seed, "test")
        rest, test_frame = prepared.loc[rest_idx], prepared.loc[test_idx]

    y_rest = schema.encode_target(rest[schema.target])
    if validation_size == 0:  # every remaining row trains (hardness is then cross-fitted)
        train_idx, val_idx = rest.index, rest.index[:0]
    else:
        train_idx, val_idx = _stratified(
            train_test_split,
            rest.index,
            y_rest,
            validation_size / (1 - (0 if test is not None else test_size)),
            seed + 1,
            "validation",
        )
    train, validation = rest.loc[train_idx], rest.loc[val_idx]
    pool_rows = len(train)
    if train_size is not None:
        train = _subsample(train, schema, train_size, seed + 2)
    train, validation, test_frame = (f.sort_index() for f in (train, validation, test_frame))

    policy = "error" if unseen_categories == "error" else "missing"
    unseen: dict[str, int] = {}
    validation = _align_categories(validation, train, schema, policy, "validation", unseen)
    test_frame = _align_categories(test_frame, train, schema, policy, "test", unseen)
    train = _align_categories(train, train, schema, policy, "train", unseen)
    if unseen:
        logger.info(
            "categories never seen in the training rows were set to missing: %s",
            ", ".join(f"{c}: {n} rows" for c, n in unseen.items()),
        )
    train.attrs[ROLE_ATTR] = "train"
    validation.attrs[ROLE_ATTR] = "validation"
    test_frame.attrs[ROLE_ATTR] = "test"
    return Split(
        schema=schema,
        train=train,
        validation=validation,
        test=test_frame,
        unseen=unseen,
        pool_rows=pool_rows,
        test_in_train=rows_in(test_frame, train),
    )


def rows_in(rows: pd.DataFrame, reference: pd.DataFrame) -> int:
    """How many of ``rows`` equal, in every column, some row of ``reference``."""
    if not len(rows) or not len(reference):
        return 0
    cols = list(reference.columns)

    def hashes(frame: pd.DataFrame) -> Any:
        text = frame[cols].astype(object).where(frame[cols].notna(), None).astype(str)
        return pd.util.hash_pandas_object(text, index=False).to_numpy()

    return int(np.isin(hashes(rows), hashes(reference)).sum())


def _stratified(tts: Any, index: pd.Index, y: np.ndarray, size: float, seed: int, what: str) -> Any:
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        raise DataError(
            f"Cannot cut a stratified {what} part: the rarest class has {counts.min()} row(s); "
            "each part needs at least one row of each class. Use more data."
        )
    try:
        return tts(index, test_size=size, random_state=seed % (2**32), stratify=y)
    except ValueError as exc:
        raise DataError(f"Cannot cut a stratified {what} part of {size:.0%}: {exc}") from exc


def _subsample(train: pd.DataFrame, schema: Schema, train_size: int | float, seed: int) -> pd.DataFrame:
    from sklearn.model_selection import train_test_split

    n = len(train)
    if isinstance(train_size, float) and not isinstance(train_size, bool):
        if not 0 < train_size <= 1:
            raise ParameterError(f"train_size as a fraction must be in (0, 1]. Got {train_size}.")
        k = round(train_size * n)
    elif isinstance(train_size, (int, np.integer)) and not isinstance(train_size, bool):
        k = int(train_size)
    else:
        raise ParameterError(f"train_size must be an int (rows) or a float (fraction). Got {train_size!r}.")
    if k > n:
        raise DataError(
            f"train_size={train_size} asks for {k:,} training rows but only {n:,} remain after the "
            "validation and test parts. Lower train_size."
        )
    if k == n:
        return train
    y = schema.encode_target(train[schema.target])
    if k < 2 * schema.n_classes or min(np.bincount(y, minlength=schema.n_classes)) < 2:
        raise DataError(f"train_size={train_size} leaves too few rows ({k}) for every class.")
    keep, _ = train_test_split(train.index, train_size=k, random_state=seed % (2**32), stratify=y)
    return train.loc[keep]


def _warn_unseen(frame: pd.DataFrame, reference: pd.DataFrame, schema: Schema) -> None:
    import warnings

    found = []
    for col in schema.categorical:
        values = frame[col].dropna()
        new = values[~values.isin(set(reference[col].dropna().unique()))]
        if len(new):
            shown = ", ".join(repr(v) for v in pd.unique(new)[:3])
            found.append(f"{col!r}: {len(new):,} rows, e.g. {shown}")
    if found:
        warnings.warn(
            "The test table has categories never seen in the training table; they are read as missing: "
            + "; ".join(found)
            + ". Map them to known categories, or pass unseen_categories='error' (CLI: --unseen-categories error) "
            "to stop instead.",
            UserWarning,
            stacklevel=3,
        )


def _check_unseen(frame: pd.DataFrame, reference: pd.DataFrame, schema: Schema, what: str, ref: str) -> None:
    problems = []
    for col in schema.categorical:
        seen = set(reference[col].dropna().unique())
        values = frame[col].dropna()
        new = values[~values.isin(seen)]
        if len(new):
            shown = ", ".join(repr(v) for v in pd.unique(new)[:3])
            problems.append(
                f"Column {col!r}: {len(new):,} rows of {what} have categories never seen in {ref}, "
                f"e.g. {shown}. Map them to known categories, mark them missing, or pass "
                "unseen_categories='missing' (CLI: --unseen-categories missing)."
            )
    if problems:
        raise SchemaError(problems)


def _align_categories(
    frame: pd.DataFrame, train: pd.DataFrame, schema: Schema, policy: str, part: str, unseen: dict[str, int]
) -> pd.DataFrame:
    frame = frame.copy()
    for col in schema.categorical:
        domain = train[col].dropna().unique()
        domain = [c for c in train[col].cat.categories if c in set(domain)]
        values = frame[col]
        new_mask = values.notna() & ~values.isin(domain)
        if new_mask.any():
            if policy == "error":
                _check_unseen(frame, train, schema, f"the {part} rows", "the training rows")
            unseen[col] = unseen.get(col, 0) + int(new_mask.sum())
        frame[col] = pd.Categorical(values.astype(object).where(~new_mask), categories=domain)
    return frame
