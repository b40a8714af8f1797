"""The schema of a table: target, its classes, column roles, missing-value markers.

:func:`infer_schema` builds a :class:`Schema` from a raw table (every inference can be
overridden) and reports *every* problem at once in one :class:`SchemaError`.
:meth:`Schema.prepare` turns a raw table into the canonical frame the rest of the library
works on: markers replaced by NaN, numerical columns as float64, categorical columns as
pandas ``category``, dates as days since 1970-01-01 (:mod:`tabaugment.data.dates`), id
columns dropped.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.data.dates import date_format, to_days
from tabaugment.exceptions import SchemaError

__all__ = ["DEFAULT_MISSING_VALUES", "Schema", "infer_schema"]

logger = logging.getLogger(__name__)

#: Strings read as missing in every text column unless ``missing_values`` says otherwise.
DEFAULT_MISSING_VALUES: tuple[str, ...] = ("", "?", "NA", "N/A", "NaN", "nan", "null", "NULL")

_ID_NAME = re.compile(r"(^|[_\W])(id|rownumber|row_number|index)$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Schema:
    """Roles of the columns of a classification table (two classes or more).

    Parameters
    ----------
    target : name of the label column.
    positive_label : two classes: the label of the positive (usually rare, "bad") class;
        ``None`` for more classes.
    negative_label : two classes: the other label; ``None`` for more classes.
    categorical, numerical : feature columns by kind, in table order.
    excluded : id columns (and any the user excludes); never features.
    missing_values : strings that mean "missing" in every text column.
    column_missing_values : extra markers for single columns, e.g. ``{"Glucose": [0]}``.
    dates : numerical columns that hold dates or times, with the text format they are written
        in (``"%Y-%m-%d"``), or ``""`` for a datetime column; the pipeline sees them as days
        since 1970-01-01 and generated values are written back as dates.
    classes : every label, in code order (class ``i`` is encoded as ``i``). Defaults to
        ``(negative_label, positive_label)``; give it (with both labels ``None``) for more than
        two classes.
    group : a categorical feature that names the rows' groups (e.g. ``"sex"``): evaluations
        then also report worst-group metrics, and group selectors can target the smallest group
        or group x class cell (Nakada et al.'s spurious-correlation setting). It stays a feature.
    """

    target: str
    positive_label: Any
    negative_label: Any
    categorical: tuple[str, ...]
    numerical: tuple[str, ...]
    excluded: tuple[str, ...] = ()
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    column_missing_values: Mapping[str, tuple[Any, ...]] = dataclasses.field(default_factory=dict)
    dates: Mapping[str, str] = dataclasses.field(default_factory=dict)
    classes: tuple[Any, ...] = ()
    group: str | None = None

    def __post_init__(self) -> None:
        if self.group is not None and self.group not in self.categorical:
            where = "a numerical column" if self.group in self.numerical else "not a feature column"
            raise SchemaError(
                f"The group column {self.group!r} is {where}; a group is a categorical feature "
                f"({', '.join(self.categorical[:8]) or 'none'}). Pass it in categorical=[...] or choose another."
            )
        if not self.classes:
            object.__setattr__(self, "classes", (self.negative_label, self.positive_label))
            return
        object.__setattr__(self, "classes", tuple(self.classes))
        if len(self.classes) < 2 or len(set(map(str, self.classes))) != len(self.classes):
            raise SchemaError(f"A schema needs two or more distinct classes; got {list(self.classes)}.")
        if len(self.classes) == 2 and self.classes != (self.negative_label, self.positive_label):
            raise SchemaError(
                f"With two classes, classes must be (negative_label, positive_label) = "
                f"({self.negative_label!r}, {self.positive_label!r}); got {list(self.classes)}."
            )
        if len(self.classes) > 2 and (self.positive_label is not None or self.negative_label is not None):
            raise SchemaError(
                f"A target with {len(self.classes)} classes has no positive or negative label; "
                "leave positive_label and negative_label as None."
            )

    @property
    def features(self) -> tuple[str, ...]:
        """Feature columns: categorical ones first, then numerical, each in table order."""
        return self.categorical + self.numerical

    @property
    def labels(self) -> tuple[Any, ...]:
        """Every label in code order; for two classes ``(negative_label, positive_label)``."""
        return self.classes

    @property
    def n_classes(self) -> int:
        """How many classes the target has."""
        return len(self.classes)

    @property
    def is_binary(self) -> bool:
        """Whether the target has exactly two classes (a positive and a negative one)."""
        return len(self.classes) == 2

    # ------------------------------------------------------------------ target
    def encode_target(self, y: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
        """Integer class codes: for two classes 1 where ``y`` is the positive label, else 0;
        for more, the position of each label in :attr:`classes` (an unknown label raises)."""
        values = pd.Series(np.asarray(y, dtype=object))
        if self.is_binary:
            return _label_equals(values, self.positive_label).to_numpy().astype(np.int64)
        codes = np.full(len(values), -1, dtype=np.int64)
        for i, label in enumerate(self.classes):
            codes[_label_equals(values, label).to_numpy() & (codes < 0)] = i
        if (codes < 0).any():
            unknown = list(pd.unique(values[codes < 0]))[:5]
            raise SchemaError(
                f"Target {self.target!r} has labels {unknown} that are not among its classes {list(self.classes)}."
            )
        return codes

    def rare_flags(self, y: pd.Series | np.ndarray | Sequence[Any], reference: Any = None) -> np.ndarray:
        """0/1 array: 1 where ``y`` is a rare label: the positive class for two classes; for more,
        any class but the most frequent one of ``reference`` (labels; default ``y``)."""
        codes = self.encode_target(y)
        if self.is_binary:
            return codes
        return (codes != self._majority(y if reference is None else reference)).astype(np.int64)

    def rare_name(self, reference: Any) -> str:
        """What :meth:`rare_flags` counts, in words: ``"'yes'"`` or ``"not 'grignolino'"``."""
        if self.is_binary:
            return repr(self.positive_label)
        return f"not {self.classes[self._majority(reference)]!r}"

    def _majority(self, labels: Any) -> int:
        return int(np.bincount(self.encode_target(labels), minlength=self.n_classes).argmax())

    # ------------------------------------------------------------------ tables
    def prepare(self, table: pd.DataFrame, *, require_target: bool = True) -> pd.DataFrame:
        """The canonical frame: features and target, markers as NaN, stable dtypes.

        Raises :class:`SchemaError` listing every problem (missing columns, strings in a
        numerical column, NaN or unknown labels in the target).
        """
        problems: list[str] = []
        needed = list(self.features) + ([self.target] if require_target else [])
        missing_cols = [c for c in needed if c not in table.columns]
        for col in missing_cols:
            close = difflib.get_close_matches(str(col), [str(c) for c in table.columns], n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            problems.append(f"Column {col!r} is missing from the table.{hint}")
        if missing_cols:
            raise SchemaError(problems)

        out: dict[str, pd.Series] = {}
        for col in self.categorical:
            out[col] = _to_categorical(self._mark_missing(table[col], col))
        for col in self.numerical:
            if col in self.dates:
                series, bad = _dates_to_days(self._mark_missing(table[col], col), self.dates[col])
                if bad is not None:
                    problems.append(_date_problem(col, bad, self.dates[col]))
                out[col] = series
                continue
            series, bad = _to_numeric(self._mark_missing(table[col], col))
            if bad is not None:
                problems.append(_numeric_problem(col, table[col], bad))
            out[col] = series
        if require_target or self.target in table.columns:
            y = self._mark_missing(table[self.target], self.target)
            if y.isna().any():
                problems.append(_nan_target_problem(self.target, y))
            else:
                known = np.logical_or.reduce([_label_equals(y, lab).to_numpy() for lab in self.classes])
                if not known.all():
                    unknown = pd.unique(y[~known])[:5]
                    if self.is_binary:
                        problems.append(
                            f"Target {self.target!r} has labels {list(unknown)} that are neither the "
                            f"positive label {self.positive_label!r} nor the negative label "
                            f"{self.negative_label!r}. Map them to one of the two labels first."
                        )
                    else:
                        problems.append(
                            f"Target {self.target!r} has labels {list(unknown)} that are not among the "
                            f"classes the schema was made with ({list(self.classes)}). Map them to one of "
                            "those classes, or infer the schema again from a table that holds them."
                        )
                out[self.target] = _canonical_labels(y, self.classes)
        if problems:
            raise SchemaError(problems)
        frame = pd.DataFrame(out, index=table.index)
        ordered = [c for c in table.columns if c in out]
        return frame[ordered]

    def _mark_missing(self, series: pd.Series, col: str) -> pd.Series:
        return _mark(series, self.missing_values, self.column_missing_values.get(col, ()))

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description of the schema."""
        return {
            "target": self.target,
            "positive_label": _json_scalar(self.positive_label),
            "negative_label": _json_scalar(self.negative_label),
            "categorical": list(self.categorical),
            "numerical": list(self.numerical),
            "excluded": list(self.excluded),
            "missing_values": list(self.missing_values),
            "column_missing_values": {k: [_json_scalar(v) for v in vs] for k, vs in self.column_missing_values.items()},
            "dates": dict(self.dates),
            "classes": [_json_scalar(c) for c in self.classes],
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            target=data["target"],
            positive_label=data["positive_label"],
            negative_label=data["negative_label"],
            categorical=tuple(data["categorical"]),
            numerical=tuple(data["numerical"]),
            excluded=tuple(data.get("excluded", ())),
            missing_values=tuple(data.get("missing_values", DEFAULT_MISSING_VALUES)),
            column_missing_values={k: tuple(v) for k, v in data.get("column_missing_values", {}).items()},
            dates=dict(data.get("dates", {})),
            classes=tuple(data.get("classes", ())),
            group=data.get("group"),
        )


def check_column_names(table: pd.DataFrame) -> None:
    """Raise :class:`SchemaError` unless every column name is text (one level, none repeated)."""
    if isinstance(table.columns, pd.MultiIndex):
        raise SchemaError(
            f"The table has {table.columns.nlevels} levels of column names (a MultiIndex); give one level, e.g. "
            "table.columns = ['_'.join(map(str, c)) for c in table.columns]."
        )
    odd = [c for c in table.columns if not isinstance(c, str)]
    if odd:
        raise SchemaError(
            f"Column names must be text; {odd[0]!r} is a {type(odd[0]).__name__}. Rename the columns, e.g. "
            "table.columns = table.columns.map(str)."
        )


def infer_schema(
    table: pd.DataFrame,
    target: str,
    *,
    positive_label: Any = None,
    categorical: Iterable[str] | None = None,
    numerical: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    missing_values: Iterable[str] | None = None,
    column_missing_values: Mapping[str, Iterable[Any]] | None = None,
    group: str | None = None,
) -> Schema:
    """Infer a :class:`Schema` for ``table``; every argument overrides one inference.

    Columns not named in ``categorical``/``numerical``/``exclude`` are inferred: numbers
    (also numbers stored as text) are numerical; text, booleans and pandas categories are
    categorical; dates and times (datetime columns, or text all in one date format) are
    numerical, as days since 1970-01-01; all-distinct text or ``*id`` integer columns are excluded.
    The positive label of a two-class target defaults to 1 (or True) for 0/1 targets, else the
    rarer class. A target with more classes keeps them all, in sorted order (numbers by value),
    and has no positive label. ``group`` names a feature column as the rows' groups (it is then
    categorical).

    Raises :class:`SchemaError` listing every problem found.
    """
    problems: list[str] = []
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(f"table must be a pandas DataFrame. Got {type(table).__name__}.")
    if len(table) == 0 or table.shape[1] == 0:
        raise SchemaError(
            f"The table is empty ({len(table)} rows, {table.shape[1]} columns); tabaugment needs labelled rows."
        )
    check_column_names(table)
    for col in table.columns:
        values = table[col]
        if values.dtype == object and values.map(lambda v: isinstance(v, (bytes, bytearray))).any():
            raise SchemaError(
                f"Column {col!r} holds bytes; decode them to text first, e.g. table[{col!r}].str.decode('utf-8')."
            )
    columns = [str(c) for c in table.columns]
    if any(not c.strip() for c in columns):
        raise SchemaError(
            f"Column {columns.index(next(c for c in columns if not c.strip()))} has an empty name; name every column."
        )
    if len(set(columns)) != len(columns):
        dups = sorted({c for c in columns if columns.count(c) > 1})
        raise SchemaError(f"Column names must be unique; {dups} appear more than once.")
    if target not in table.columns:
        close = difflib.get_close_matches(str(target), columns, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise SchemaError(
            f"Target column {target!r} is not in the table.{hint} "
            f"Columns: {', '.join(columns[:20])}{' ...' if len(columns) > 20 else ''}."
        )
    miss = tuple(DEFAULT_MISSING_VALUES if missing_values is None else missing_values)
    col_miss = {k: tuple(v) for k, v in (column_missing_values or {}).items()}
    cat_user = list(categorical or [])
    if group is not None:
        if group == target:
            problems.append(f"The group column cannot be the target {target!r}; name a feature, e.g. 'sex'.")
        elif group not in table.columns:
            close = difflib.get_close_matches(str(group), columns, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            problems.append(f"The group column {group!r} is not in the table.{hint}")
        elif group in (exclude or []):
            problems.append(f"The group column {group!r} is also in exclude; a group must stay a feature.")
        elif group not in cat_user:
            cat_user.append(group)
    num_user = list(numerical or [])
    exc_user = list(exclude or [])
    for name, cols in (("categorical", cat_user), ("numerical", num_user), ("exclude", exc_user)):
        for col in cols:
            if col not in table.columns:
                close = difflib.get_close_matches(str(col), columns, n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                problems.append(f"Column {col!r} given in {name} is not in the table.{hint}")
            if col == target:
                problems.append(f"The target {target!r} cannot also be listed in {name}.")
    both = set(cat_user) & set(num_user)
    if both:
        problems.append(f"Columns {sorted(both)} are listed as both categorical and numerical.")

    # ---- target (an empty cell or a missing-value marker is a missing label, not a class)
    y = _mark(table[target], miss, col_miss.get(target, ()))
    labels: list[Any] = []
    negative: Any = None
    positive: Any = None
    classes: tuple[Any, ...] = ()
    if y.isna().all():
        problems.append(f"Target {target!r} has no values (all {len(y)} are missing).")
    else:
        if y.isna().any():
            problems.append(_nan_target_problem(target, y))
        counts = y.dropna().value_counts()
        labels = list(counts.index)
        if len(labels) == 1:
            problems.append(
                f"Target {target!r} has only one class ({labels[0]!r}, {int(counts.iloc[0])} rows); "
                "a classifier needs two. Check the file or the target name."
            )
        elif len(labels) > 2:
            classes = _sorted_classes(counts, target, problems)
            if positive_label is not None:
                problems.append(
                    f"positive_label {positive_label!r} is given, but target {target!r} has {len(labels)} classes "
                    f"({', '.join(map(repr, classes[:6]))}); a positive label is for two classes. Drop "
                    "positive_label, or map the target to one class against the rest first."
                )
        else:
            positive, negative = _choose_positive(counts, positive_label, target, problems)

    # ---- features
    cat: list[str] = []
    num: list[str] = []
    exc: list[str] = []
    dates: dict[str, str] = {}
    for col in table.columns:
        if col == target:
            continue
        s = table[col]
        if col in exc_user:
            exc.append(col)
            continue
        marked = _mark(s, miss, col_miss.get(col, ()))
        if marked.isna().all():
            problems.append(
                f"Column {col!r} has no values (all {len(s)} are missing). Drop it, or pass it in exclude=[...]."
            )
            continue
        if col in cat_user:
            cat.append(col)
        elif col in num_user:
            fmt = _date_kind(marked)
            if fmt is not None:
                dates[col] = fmt
            else:
                _, bad = _to_numeric(marked)
                if bad is not None:
                    problems.append(_numeric_problem(col, s, bad))
            num.append(col)
        else:
            kind = _infer_kind(col, marked, problems)
            if kind.startswith("date:"):
                dates[col] = kind[len("date:") :]
                kind = "numerical"
            {"categorical": cat, "numerical": num, "excluded": exc}[kind].append(col)
    if not cat and not num:
        problems.append("The table has no feature columns besides the target.")
    if problems:
        raise SchemaError(problems)
    return Schema(
        target=target,
        positive_label=positive,
        negative_label=negative,
        categorical=tuple(cat),
        numerical=tuple(num),
        excluded=tuple(exc),
        missing_values=miss,
        column_missing_values=col_miss,
        dates=dates,
        classes=classes,
        group=group if group in cat else None,
    )


# ---------------------------------------------------------------------- helpers
def _sorted_classes(counts: pd.Series, target: str, problems: list[str]) -> tuple[Any, ...]:
    """The labels of a multi-class target in a stable order: by value when all are numbers, else
    as text. Labels that differ only in type ("1" and 1) are one class and are refused."""
    labels = [_python_scalar(lab) for lab in counts.index]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels)
    ordered = sorted(labels, key=float if numeric else str)
    text = [str(v).strip() for v in ordered]
    if len(set(text)) != len(text):
        dup = next(t for t in text if text.count(t) > 1)
        problems.append(
            f"Target {target!r} writes the class {dup!r} in more than one way (as text and as a number); "
            "make the column one type."
        )
    return tuple(ordered)


def _choose_positive(counts: pd.Series, positive_label: Any, target: str, problems: list[str]) -> tuple[Any, Any]:
    labels = list(counts.index)
    if positive_label is not None:
        matches = [lab for lab in labels if _same_label(lab, positive_label)]
        if not matches:
            problems.append(f"positive_label {positive_label!r} is not a label of {target!r}; its labels are {labels}.")
            return None, None
        positive = matches[0]
    else:
        as_set = {str(lab).lower() for lab in labels}
        if as_set in ({"0", "1"}, {"false", "true"}, {"0.0", "1.0"}):
            positive = next(lab for lab in labels if str(lab).lower() in ("1", "true", "1.0"))
        else:
            positive = counts.index[-1]  # the rarer class
            logger.info("positive label of %r inferred as the rarer class %r", target, positive)
    negative = next(lab for lab in labels if lab is not positive and lab != positive)
    return _python_scalar(positive), _python_scalar(negative)


def _infer_kind(col: str, marked: pd.Series, problems: list[str]) -> str:
    if isinstance(marked.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(marked.dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(marked.dtype):
        logger.info("column %r is a datetime; modelled as days since 1970-01-01", col)
        return "date:"
    if _is_numeric_dtype(marked):
        values = marked.dropna()
        if (
            _ID_NAME.search(str(col))
            and len(values) == len(marked)
            and values.is_unique
            and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)
        ):
            logger.info("column %r looks like a row id; excluded from the features", col)
            return "excluded"
        return "numerical"
    values = marked.dropna()
    as_num = pd.to_numeric(values, errors="coerce")
    n_num = int(as_num.notna().sum())
    if n_num == len(values):
        return "numerical"
    if n_num >= 0.9 * len(values) and len(values) >= 10:
        bad = values[as_num.isna()]
        problems.append(
            f"Column {col!r} looks numerical ({n_num:,} of {len(values):,} values are numbers) but "
            f"has {len(bad):,} text values, e.g. {bad.iloc[0]!r} (row {_python_scalar(bad.index[0])!r}). Add the "
            "marker to missing_values, fix the values, or declare the column categorical."
        )
        return "numerical"
    fmt = _date_kind(values)
    if fmt is not None:
        logger.info("column %r holds dates (%s); modelled as days since 1970-01-01", col, fmt)
        return f"date:{fmt}"
    if len(values) >= 20 and values.is_unique and len(values) == len(marked):
        logger.info("column %r has a distinct value in every row; excluded as an id", col)
        return "excluded"
    return "categorical"


def _date_kind(values: pd.Series) -> str | None:
    """``""`` for a datetime column, the text format of a column of dates, else None."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return ""
    if not _is_text(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        return None
    return date_format(values.astype(object))


def _dates_to_days(series: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series | None]:
    """float64 days since 1970-01-01, and the values that are not dates in ``fmt``."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.Series(to_days(series), index=series.index, name=series.name), None
    if not fmt:
        series_text = series.astype(object)
        fmt = date_format(series_text) or "%Y-%m-%d"
    days = pd.Series(to_days(series, fmt), index=series.index, name=series.name)
    bad_mask = days.isna() & series.notna()
    return days, (series[bad_mask] if bad_mask.any() else None)


def _date_problem(col: str, bad: pd.Series, fmt: str) -> str:
    examples = ", ".join(repr(v) for v in pd.unique(bad)[:3])
    written = f"written as {fmt}" if fmt else "dates"
    return (
        f"Column {col!r} holds dates {written}, but {len(bad):,} of its values are not, e.g. {examples} "
        f"(row {_python_scalar(bad.index[0])!r}). Fix them, add the marker to missing_values, or exclude the column."
    )


def _mark(series: pd.Series, markers: Sequence[str], col_markers: Sequence[Any]) -> pd.Series:
    ms = list(col_markers)
    if not _is_numeric_dtype(series):
        ms += list(markers)
    if not ms:
        return series
    mask = series.isin(ms)
    if _is_text(series):
        mask |= series.astype(str).str.strip().isin(ms) & series.notna()
    return series.mask(mask) if mask.any() else series


def _is_numeric_dtype(series: pd.Series) -> bool:
    dt = series.dtype
    return pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _to_numeric(series: pd.Series) -> tuple[pd.Series, pd.Series | None]:
    """float64 series, and the offending values when some text is not a number."""
    if _is_numeric_dtype(series):
        return series.astype("float64"), None
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    values = series.astype(object)
    stripped = values.where(values.isna(), values.astype(str).str.strip())
    as_num = pd.to_numeric(stripped, errors="coerce")
    bad_mask = as_num.isna() & series.notna()
    bad = series[bad_mask] if bad_mask.any() else None
    return as_num.astype("float64"), bad


def _to_categorical(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.remove_unused_categories()
    values = series
    if _is_text(series):
        values = series.astype(object).where(series.isna(), series.astype(str).str.strip())
    cats = pd.unique(values.dropna())
    try:
        cats = np.sort(cats)
    except TypeError:  # mixed types: keep a deterministic order by text
        cats = np.array(sorted(cats, key=str), dtype=object)
    return pd.Series(pd.Categorical(values, categories=cats), index=series.index, name=series.name)


def _numeric_problem(col: str, original: pd.Series, bad: pd.Series) -> str:
    examples = ", ".join(repr(v) for v in pd.unique(bad)[:3])
    return (
        f"Column {col!r} is numerical but has {len(bad):,} text values that are not numbers, "
        f"e.g. {examples} (first at row {_python_scalar(bad.index[0])!r}). Add them to missing_values, fix the "
        "values, or declare the column categorical."
    )


def _nan_target_problem(target: str, y: pd.Series) -> str:
    rows = y.index[y.isna()][:5].tolist()
    return (
        f"Target {target!r} is missing in {int(y.isna().sum()):,} rows (e.g. rows {rows}). "
        "Drop those rows or fill in their labels."
    )


def _same_label(a: Any, b: Any) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a).strip() == str(b).strip()


def _label_equals(values: pd.Series, label: Any) -> pd.Series:
    exact = values == label
    if exact.all() or not len(values):
        return exact
    as_text = values.astype(str).str.strip() == str(label).strip()
    return exact | as_text | _numeric_equal(values, label)


def _numeric_equal(values: pd.Series, label: Any) -> pd.Series:
    try:
        target_value = float(label)
    except (TypeError, ValueError):
        return pd.Series(False, index=values.index)
    return pd.to_numeric(values, errors="coerce") == target_value


def _canonical_labels(y: pd.Series, labels: tuple[Any, ...]) -> pd.Series:
    """Labels rewritten to exactly the schema's label values (so "1" and 1 agree)."""
    if len(labels) == 2:
        negative, positive = labels
        values = np.where(_label_equals(y, positive), positive, negative)
    else:
        values = np.empty(len(y), dtype=object)
        done = np.zeros(len(y), dtype=bool)
        for label in labels:
            hit = _label_equals(y, label).to_numpy() & ~done
            values[hit] = label
            done |= hit
    out = pd.Series(values, index=y.index, name=y.name)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in labels):
        return out.astype("int64")
    if all(isinstance(v, str) for v in labels):
        return out.astype(object)
    return out


def _python_scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _json_scalar(value: Any) -> Any:
    value = _python_scalar(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
