"""Groups (Nakada et al.'s spurious-correlation setting): the schema's group column, worst-group
metrics, the smallest-group selector, and evaluations that report them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment import Augmenter
from tabaugment.cli import main
from tabaugment.data import Schema, infer_schema
from tabaugment.evaluation.metrics import GROUP_METRICS, score_metric, score_predictions, worst_group_scores
from tabaugment.exceptions import DataError, SchemaError
from tabaugment.experiment import evaluate_augmentation
from tabaugment.hardness import HardnessResult
from tabaugment.selection import SmallestGroup


def _spurious(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Label follows x, but in training the group "b" is almost always positive: a shortcut."""
    rng = np.random.default_rng(seed)
    group = np.where(rng.random(n) < 0.3, "b", "a")
    x = rng.normal(size=n)
    y = (x + np.where(group == "b", 1.5, -0.5) + rng.normal(scale=0.8, size=n) > 0).astype(int)
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "grp": group, "y": y})


# ---------------------------------------------------------------------- schema
def test_the_group_is_a_categorical_feature_and_survives_json() -> None:
    table = _spurious().assign(site=lambda t: (t.x > 0).astype(int))
    schema = infer_schema(table, "y", group="site")
    assert schema.group == "site" and "site" in schema.categorical  # a number column becomes categorical
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group": "y"}, "cannot be the target"),
        ({"group": "gpr"}, r"'gpr' is not in the table. Did you mean 'grp'\?"),
        ({"group": "grp", "exclude": ["grp"]}, "also in exclude"),
    ],
)
def test_a_wrong_group_column_is_named(kwargs: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        infer_schema(_spurious(), "y", **kwargs)


def test_a_schema_refuses_a_numerical_group() -> None:
    with pytest.raises(SchemaError, match="'x' is a numerical column; a group is a categorical feature"):
        Schema(target="y", positive_label=1, negative_label=0, categorical=("grp",), numerical=("x",), group="x")


# ---------------------------------------------------------------------- metrics
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 150), k=st.integers(2, 4), groups=st.integers(1, 4))
def test_worst_group_metrics_are_the_minimum_over_groups(seed: int, n: int, k: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n) if k > 2 else rng.random(n)
    g = pd.Series(rng.integers(0, groups, n).astype(str)).where(rng.random(n) > 0.1)  # some rows in no group
    got = worst_group_scores(y, proba, g)
    accs, aucs = [], []
    for value in g.dropna().unique():
        rows = (g == value).to_numpy()
        p = proba[rows]
        pred = p.argmax(axis=1) if k > 2 else (p >= 0.5).astype(int)
        accs.append(np.mean(pred == y[rows]))
        if len(set(y[rows])) > 1:
            aucs.append(score_metric("roc_auc", y[rows], p))
    assert got["worst_group_accuracy"] == pytest.approx(min(accs))
    if aucs:
        assert got["worst_group_roc_auc"] == pytest.approx(min(aucs))
    else:
        assert np.isnan(got["worst_group_roc_auc"])
    if g.notna().all():  # overall accuracy is a weighted mean of the groups'
        overall = score_predictions(y, proba)["accuracy"]
        assert got["worst_group_accuracy"] <= overall + 1e-12


# ---------------------------------------------------------------------- selector
def _result(n: int) -> HardnessResult:
    return HardnessResult(np.zeros(n), pd.RangeIndex(n), "none")


def test_smallest_group_selects_the_rare_cell_or_group() -> None:
    X = pd.DataFrame({"grp": ["a", "a", "a", "b", "b", "b", "a", None]})
    y = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    # cells: a|0 = 2, a|1 = 2, b|0 = 1, b|1 = 2 (the row with no group belongs to none)
    assert SmallestGroup(column="grp").select(_result(8), y, X).tolist() == [5]
    assert SmallestGroup(column="grp", by="group").select(_result(8), y, X).tolist() == [3, 4, 5]
    tie = pd.DataFrame({"grp": ["a", "b", "a", "b"]})
    assert SmallestGroup(column="grp").select(_result(4), np.array([0, 0, 1, 1]), tie).tolist() == [0]  # a|0 first
    with pytest.raises(DataError, match="needs the group column"):
        SmallestGroup().select(_result(8), y, X)
    with pytest.raises(DataError, match="'sex' is not among the features"):
        SmallestGroup(column="sex").select(_result(8), y, X)


# ---------------------------------------------------------------------- evaluations
def test_evaluations_with_a_group_report_worst_group_metrics(tmp_path, capsys) -> None:
    table = _spurious()
    strategy = Augmenter(
        selector=SmallestGroup(column="grp"),
        generator="gaussian_copula",
        budget="2x",
    )
    schema = infer_schema(table, "y", group="grp")
    result = evaluate_augmentation(table, schema=schema, strategies={"cell+copula": strategy}, seeds=2)
    assert set(GROUP_METRICS) <= set(result.scores.metric)
    assert set(GROUP_METRICS) <= set(result.comparison.metric)
    assert "worst_group_roc_auc" in result.table()
    plain = evaluate_augmentation(table, target="y", strategies={"cell+copula": strategy}, seeds=2)
    assert not set(GROUP_METRICS) & set(plain.scores.metric)  # no group, no group metrics
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    args = ["--target", "y", "--group", "grp", "--selector", "smallest_group", "--selector-param", "column=grp",
            "--generator", "gaussian_copula", "--budget", "2x", "--seeds", "2"]  # fmt: skip
    assert main(["evaluate", str(path), *args]) == 0
    assert "worst_group_accuracy" in capsys.readouterr().out
