"""Random frames, as users have them, through schema inference and augmentation: tabaugment
either works or raises one of its own errors (which name the column and the fix), never
anything else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tabaugment import Augmenter
from tabaugment.data import infer_schema
from tabaugment.exceptions import SchemaError, TabAugmentError

_TEXT = st.sampled_from(["a", "b", "", " ", "ü", "日本", "?", "NA", "none", "1", "2.5", "x,y", 'q"uote'])
_KINDS = ("float", "int", "nullable_int", "nullable_float", "boolean", "bool", "text", "str", "category") * 2 + (
    "mixed",
)


@st.composite
def frames(draw: st.DrawFn) -> tuple[pd.DataFrame, str]:
    n = draw(st.sampled_from([1, 2, 5, 12, 25, 40, 60]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns: dict[str, object] = {}
    for j in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(_KINDS))
        missing = rng.random(n) < draw(st.sampled_from([0.0, 0.0, 0.1, 0.1, 0.5, 1.0]))
        if kind in ("float", "nullable_float"):
            values = rng.normal(size=n) * draw(st.sampled_from([1.0, 1e6, 1e-6]))
            values[rng.random(n) < 0.05] = draw(st.sampled_from([np.inf, -np.inf, np.nan, 0.0]))
            col: object = pd.array(
                np.where(missing, np.nan, values), dtype="Float64" if kind == "nullable_float" else float
            )
        elif kind in ("int", "nullable_int"):
            values = rng.integers(-5, 5, n)
            col = (
                pd.array([None if m else int(v) for v, m in zip(values, missing)], dtype="Int64")
                if kind == "nullable_int"
                else values
            )
        elif kind in ("boolean", "bool"):
            values = rng.random(n) < 0.5
            col = (
                pd.array([None if m else bool(v) for v, m in zip(values, missing)], dtype="boolean")
                if kind == "boolean"
                else values
            )
        else:
            texts = [draw(_TEXT) for _ in range(3)]
            values = [None if m else texts[i] for i, m in zip(rng.integers(0, 3, n), missing)]
            if kind == "mixed":  # numbers and text in one column, as a messy CSV gives them
                values = [v if i % 2 else (float(i) if v is not None else None) for i, v in enumerate(values)]
                col = pd.Series(values, dtype=object)
            elif kind == "category":
                col = pd.Categorical(values)
            else:
                col = pd.Series(values, dtype="str" if kind == "str" else object)
        columns[f"c{j}"] = col
    labels = draw(st.sampled_from([["yes", "no"], [0, 1], [True, False], ["a", "b", "c"], ["yes", "no"], ["only"]]))
    y = [labels[i] for i in rng.integers(0, len(labels), n)]
    if draw(st.integers(0, 9)) == 0 and n > 2:
        y[0] = None  # a missing label
    columns["label"] = pd.Series(y, dtype=object if any(v is None for v in y) else None)
    return pd.DataFrame(columns), "label"


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=frames(), generator=st.sampled_from(["gaussian_copula", "smote", "random_oversampling"]))
def test_any_frame_works_or_gets_a_tabaugment_error(case: tuple[pd.DataFrame, str], generator: str) -> None:
    frame, target = case
    before = frame.copy()
    try:
        schema = infer_schema(frame, target)
        prepared = schema.prepare(frame)
        result = Augmenter(generator=generator, budget=0.5, random_state=0).fit_augment(prepared, target)
    except TabAugmentError as exc:
        event(f"refused: {type(exc).__name__}")
    else:
        event("augmented")
        real = result.table.iloc[: len(prepared)]
        pd.testing.assert_frame_equal(real, prepared.reset_index(drop=True))  # real rows untouched
        assert list(result.table.columns) == list(prepared.columns)
    pd.testing.assert_frame_equal(frame, before)  # the input frame is never changed


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"x": [1.0, 2.0] * 5, 0: ["a", "b"] * 5, "label": ["y", "n"] * 5}), "0 is a int"),
        (
            pd.DataFrame([[1, "y"], [2, "n"]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "label")])),
            "a MultiIndex",
        ),
        (pd.DataFrame({"x": [b"\x00", b"\x01"] * 5, "label": ["y", "n"] * 5}), "Column 'x' holds bytes"),
        (pd.DataFrame({"x": [1.0, 2.0] * 5, " ": [1, 2] * 5, "label": ["y", "n"] * 5}), "Column 1 has an empty name"),
    ],
)
def test_unusual_columns_are_refused_with_the_fix(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        infer_schema(frame, "label")
