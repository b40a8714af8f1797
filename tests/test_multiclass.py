"""Targets with more than two classes, through the schema, metrics, selectors, budgets and every
command: scikit-learn's 3-class wine table and a 5-class table binned from a shared dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment import Augmenter
from tabaugment._registry import available, get_class
from tabaugment.cli import main
from tabaugment.data import Schema, infer_schema, split_table
from tabaugment.evaluation.metrics import (
    METRICS,
    MULTICLASS_METRICS,
    headline_metrics,
    metrics_for,
    score_metric,
    score_predictions,
)
from tabaugment.evaluation.models import class_proba
from tabaugment.exceptions import DataError, SchemaError
from tabaugment.experiment import evaluate_augmentation
from tabaugment.hardness import HardnessResult

_WINE_NAMES = {0: "barolo", 1: "grignolino", 2: "barbera"}


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map(_WINE_NAMES).astype(object)
    return frame


@pytest.fixture(scope="module")
def wine_csv(wine: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wine") / "wine.csv"
    wine.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def credit_bands(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """german_credit with a 5-class target: credit_amount cut at its quintiles (the amount itself
    is dropped); written as a CSV the way a user would pass it."""
    table = pd.read_csv(datasets_dir / "german_credit" / "german_credit.csv")
    table["amount_band"] = pd.qcut(table.pop("credit_amount"), 5, labels=["q1", "q2", "q3", "q4", "q5"]).astype(object)
    path = tmp_path_factory.mktemp("credit") / "credit_bands.csv"
    table.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------- schema
def test_classes_are_sorted_by_value_and_survive_json(wine: pd.DataFrame) -> None:
    numbers = wine.assign(target=wine["target"].map({"barolo": 10, "grignolino": 2, "barbera": 1}))
    schema = infer_schema(numbers, "target")
    assert schema.classes == (1, 2, 10) and schema.n_classes == 3 and not schema.is_binary
    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    codes = schema.encode_target(numbers["target"])
    assert np.array_equal(codes, numbers["target"].map({1: 0, 2: 1, 10: 2}).to_numpy())
    assert schema.encode_target(["10", "1.0"]).tolist() == [2, 0]  # labels read back as text agree


def test_text_classes_and_unknown_labels(wine: pd.DataFrame) -> None:
    schema = infer_schema(wine, "target")
    assert schema.classes == ("barbera", "barolo", "grignolino")
    with pytest.raises(SchemaError, match=r"labels \['nebbiolo'\] that are not among its classes"):
        schema.encode_target(["barolo", "nebbiolo"])
    other = wine.assign(target=wine["target"].replace({"barolo": "nebbiolo"}))
    with pytest.raises(SchemaError, match=r"labels \['nebbiolo'\] that are not among the classes the schema"):
        schema.prepare(other)


def test_a_class_written_as_text_and_as_a_number_is_refused() -> None:
    table = pd.DataFrame({"x": range(9), "y": pd.Series([1, "1", 2, 3, 1, 2, 3, 2, 3], dtype=object)})
    with pytest.raises(SchemaError, match="writes the class '1' in more than one way"):
        infer_schema(table, "y")


def test_schema_checks_its_classes() -> None:
    base = dict(target="y", categorical=(), numerical=("x",))
    with pytest.raises(SchemaError, match="no positive or negative label"):
        Schema(positive_label="a", negative_label=None, classes=("a", "b", "c"), **base)
    with pytest.raises(SchemaError, match="two or more distinct classes"):
        Schema(positive_label=None, negative_label=None, classes=("a", "a", "b"), **base)
    binary = Schema(positive_label="yes", negative_label="no", **base)
    assert binary.classes == ("no", "yes") and binary.is_binary
    old = {k: v for k, v in binary.to_dict().items() if k != "classes"}  # a file written before multi-class
    assert Schema.from_dict(old) == binary


def test_rare_flags_mark_every_class_but_the_largest(wine: pd.DataFrame) -> None:
    schema = infer_schema(wine, "target")
    flags = schema.rare_flags(wine["target"])
    assert np.array_equal(flags, (wine["target"] != "grignolino").to_numpy().astype(int))
    assert schema.rare_name(wine["target"]) == "not 'grignolino'"


def test_splits_are_stratified_over_every_class(wine: pd.DataFrame) -> None:
    schema = infer_schema(wine, "target")
    split = split_table(wine, schema, random_state=3)
    whole = wine["target"].value_counts(normalize=True)
    for part in ("train", "validation", "test"):
        shares = getattr(split, part)["target"].value_counts(normalize=True)
        assert set(shares.index) == set(whole.index)
        assert np.abs(shares - whole).max() < 0.06
    summary = split.summary()
    assert set(summary["train"]["class_shares"]) == {"barbera", "barolo", "grignolino"}


# ---------------------------------------------------------------------- metrics
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(3, 6), n=st.integers(30, 200))
def test_multiclass_metrics_match_scikit_learn(seed: int, k: int, n: int) -> None:
    from sklearn import metrics

    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])  # every class present
    proba = rng.dirichlet(np.ones(k), n)
    got = score_predictions(y, proba)
    assert list(got) == list(MULTICLASS_METRICS)
    for average in ("macro", "weighted"):
        want = metrics.roc_auc_score(y, proba, multi_class="ovr", average=average)
        assert got["roc_auc" if average == "macro" else "roc_auc_weighted"] == pytest.approx(want, abs=1e-12)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(y, proba), rel=1e-9)
    pred = proba.argmax(axis=1)
    assert got["f1_macro"] == pytest.approx(metrics.f1_score(y, pred, average="macro"))
    assert got["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, pred))
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred))


def test_roc_auc_averages_the_classes_present_in_the_test_rows() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)  # class 2 never occurs
    proba = rng.dirichlet(np.ones(3), 100)
    want = np.mean([roc_auc_score(y == c, proba[:, c]) for c in (0, 1)])
    assert score_metric("roc_auc", y, proba) == pytest.approx(want)
    assert np.isfinite(score_metric("log_loss", y, proba))


def test_two_columns_score_as_two_classes_and_binary_metrics_refuse_more() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 80)
    p = rng.random(80)
    assert score_predictions(y, np.column_stack([1 - p, p])) == score_predictions(y, p)
    with pytest.raises(ValueError, match="'gini' is defined for two classes only"):
        score_metric("gini", y, rng.dirichlet(np.ones(3), 80))
    assert metrics_for(2) == METRICS and metrics_for(4) == MULTICLASS_METRICS
    assert "gini" in headline_metrics(METRICS) and "gini" not in headline_metrics(MULTICLASS_METRICS)


def test_a_class_missing_from_training_gets_probability_zero() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, 2, 0)  # class 1 never seen
    proba = class_proba(LogisticRegression().fit(X, y), X, 3)
    assert proba.shape == (60, 3) and np.all(proba[:, 1] == 0)
    assert np.allclose(proba.sum(axis=1), 1)


# ---------------------------------------------------------------------- selectors and budgets
def test_minority_selectors_take_every_class_but_the_largest() -> None:
    y = np.array(["a"] * 6 + ["b"] * 3 + ["c"] * 2)
    scores = HardnessResult(np.arange(len(y), dtype=float), pd.RangeIndex(len(y)), "test")
    minority = get_class("selectors", "minority")()
    assert sorted(y[minority.select(scores, y)]) == ["b"] * 3 + ["c"] * 2
    half = get_class("selectors", "hardest_minority")(fraction=0.5).select(scores, y)
    assert sorted(half.tolist()) == [7, 8, 10]  # the hardest 2 of b (highest scores) and 1 of c
    binary = np.array(["a"] * 6 + ["b"] * 3)
    first = HardnessResult(np.arange(9, dtype=float), pd.RangeIndex(9), "test")
    assert minority.select(first, binary).tolist() == [6, 7, 8]  # two classes: the rarer one


_SELF_CONTAINED = [
    n for n in available("generators") if not getattr(get_class("generators", n), "needs_local_model", False)
]
#: Variants that interpolate only where a class meets the others: wine's classes barely overlap.
_NEED_OVERLAP = ("adasyn", "borderline_smote")


@pytest.mark.parametrize("name", _SELF_CONTAINED)
def test_every_generator_balances_three_classes(wine: pd.DataFrame, name: str) -> None:
    cls = get_class("generators", name)
    # fitted on every row, as the variants that look at the other classes (Borderline-SMOTE, ...) need
    aug = Augmenter(
        selector="minority",
        generator=cls(random_state=0, **cls._unit_test_params()),
        budget="balance",
        fit_on="all",
        random_state=0,
    )
    if name in _NEED_OVERLAP:
        with pytest.raises(DataError, match="(no row of class|Not any neigbours)"):
            aug.fit_augment(wine, "target")
        return
    result = aug.fit_augment(wine, "target")
    assert result.table["target"].value_counts().to_dict() == {"barolo": 71, "grignolino": 71, "barbera": 71}
    real = result.table[~result.is_synthetic]
    pd.testing.assert_frame_equal(real, wine)  # real rows come back exactly
    assert set(result.table.loc[result.is_synthetic, "target"]) == {"barolo", "barbera"}


@pytest.mark.parametrize("name", _SELF_CONTAINED)
def test_every_generator_balances_five_overlapping_classes(credit_bands: Path, name: str) -> None:
    table = pd.read_csv(credit_bands)
    cls = get_class("generators", name)
    aug = Augmenter(
        selector="minority",
        generator=cls(random_state=0, **cls._unit_test_params()),
        budget="balance",
        fit_on="all",
        random_state=0,
    )
    result = aug.fit_augment(table, "amount_band")
    counts = result.table["amount_band"].value_counts()
    assert counts.nunique() == 1 and len(counts) == 5
    pd.testing.assert_frame_equal(result.table[~result.is_synthetic], table)


def test_a_per_class_budget_on_five_classes(credit_bands: Path) -> None:
    table = pd.read_csv(credit_bands)
    budget = {"q1": 10, "q3": 25, "q5": 5}
    result = Augmenter(selector="all", generator="gaussian_copula", budget=budget, random_state=1).fit_augment(
        table, "amount_band"
    )
    assert result.table.loc[result.is_synthetic, "amount_band"].value_counts().to_dict() == {
        "q3": 25,
        "q1": 10,
        "q5": 5,
    }


# ---------------------------------------------------------------------- the whole pipeline
def test_evaluate_scores_a_three_class_table_with_multiclass_metrics(wine: pd.DataFrame) -> None:
    result = evaluate_augmentation(
        wine,
        target="target",
        strategies={"smote": Augmenter(selector="minority", generator="smote", budget="balance")},
        model="logistic_regression",
        seeds=2,
    )
    assert set(result.scores.metric) == set(MULTICLASS_METRICS)
    assert set(result.comparison.metric) == set(MULTICLASS_METRICS)
    assert result.config["classes"] == ["barbera", "barolo", "grignolino"]
    assert "f1_macro" in result.table() and "gini" not in result.table()
    runs = result.runs[result.runs.strategy == "smote"]
    assert (runs.selected_positive_share == 1.0).all()  # the minority selector picks only rare classes


@pytest.mark.parametrize("method", available("hardness"))
def test_every_hardness_method_scores_five_classes_from_the_cli(
    credit_bands: Path, tmp_path: Path, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "h.csv"
    cls = get_class("hardness", method)
    params = [f"--param={k}={v}" for k, v in cls._unit_test_params().items() if k != "random_state"]
    assert (
        main(["hardness", str(credit_bands), "--target", "amount_band", "--method", method, *params, "--out", str(out)])
        == 0
    )
    scored = pd.read_csv(out)
    assert len(scored) == 1000 and scored["amount_band"].nunique() == 5
    assert np.isfinite(scored["hardness"]).all()
    assert "in rare classes (not 'q" in capsys.readouterr().out


def test_augment_evaluate_report_and_run_on_five_classes(credit_bands: Path, tmp_path: Path, capsys) -> None:
    base = [str(credit_bands), "--target", "amount_band"]
    aug = tmp_path / "aug.csv"
    assert main(["augment", *base, "--selector", "hardest_minority", "--generator", "gaussian_copula",
                 "--budget", "balance", "--flag-column", "synthetic", "--out", str(aug)]) == 0  # fmt: skip
    written = pd.read_csv(aug)
    assert written.amount_band.value_counts().nunique() == 1  # every class up to the largest
    assert main(["evaluate", *base, "--selector", "minority", "--generator", "smote", "--budget", "balance",
                 "--seeds", "2", "--model", "logistic_regression"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "f1_macro" in printed and "in rare classes" in printed
    report = tmp_path / "report.html"
    assert main(["report", *base, "--selector", "minority", "--generator", "smote", "--budget", "balance",
                 "--seeds", "2", "--out", str(report)]) == 0  # fmt: skip
    data = json.loads(report.with_suffix(".json").read_text())
    assert data["dataset"]["classes"] == ["q1", "q2", "q3", "q4", "q5"]
    assert {r["metric"] for r in data["utility"]["comparison"]} == set(MULTICLASS_METRICS)
    assert "rare-class rate" in report.read_text()
    spec = tmp_path / "grid.toml"
    spec.write_text(
        f'[experiment]\nname = "bands"\nseeds = 2\nmodels = ["logistic_regression"]\n\n'
        f'[[datasets]]\npath = "{credit_bands.as_posix()}"\ntarget = "amount_band"\n\n'
        '[[strategies]]\nname = "minority+copula"\nselector = "minority"\ngenerator = "gaussian_copula"\n'
        'budget = "balance"\n'
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "res"), "--metric", "f1_macro"]) == 0
    analysis = pd.read_csv(tmp_path / "res" / "analysis.csv")
    assert set(analysis.metric) == set(MULTICLASS_METRICS)
    assert main(["analyze", str(tmp_path / "res"), "--metric", "gini"]) == 0
    assert "no result has the metric 'gini'" in capsys.readouterr().err
