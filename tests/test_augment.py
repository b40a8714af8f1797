"""Budgets, the Augmenter, and the imbalanced-learn sampler."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment import Augmenter, TargetedSampler
from tabaugment.augment import resolve_budget
from tabaugment.data import load_breast_cancer, split_table
from tabaugment.exceptions import DataError, DataLeakageError, ParameterError, SchemaError
from tabaugment.hardness import HardnessResult
from tabaugment.selection import (
    AllRows,
    HardestMinority,
    MinorityClass,
    RandomSelection,
    Threshold,
    TopFraction,
    TopFractionPerClass,
)

Y = np.array(["a"] * 80 + ["b"] * 20)
SELECTED = np.r_[np.arange(10), np.arange(80, 90)]  # 10 of each class


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (40, {"a": 20, "b": 20}),
        (0.1, {"a": 5, "b": 5}),
        ("10%", {"a": 5, "b": 5}),
        ("2x", {"a": 20, "b": 20}),
        ("0.5x", {"a": 5, "b": 5}),
        ("balance", {"a": 0, "b": 60}),
        ("balance=0.5", {"a": 0, "b": 20}),
        (" Balance = 0.25 ", {"a": 0, "b": 0}),
        ({"b": 7}, {"a": 0, "b": 7}),
    ],
)
def test_budget_forms(budget, expected) -> None:
    assert resolve_budget(budget, Y, SELECTED) == expected


def test_budget_errors_quote_counts() -> None:
    with pytest.raises(DataError, match=r"asks for 5,000 synthetic rows, more than 10 x the 100 training rows"):
        resolve_budget(5000, Y, SELECTED)
    with pytest.raises(DataError, match=r"asks for 60 rows of class 'b', but none of the 10 selected rows"):
        resolve_budget("balance", Y, np.arange(10))
    with pytest.raises(ValueError, match="Unknown budget 'lots'"):
        resolve_budget("lots", Y, SELECTED)
    with pytest.raises(DataError, match="The budget names label 'c'"):
        resolve_budget({"c": 3}, Y, SELECTED)


def test_selectors() -> None:
    scores = np.arange(100, dtype=float)  # row 99 hardest
    result = HardnessResult(scores=scores, index=pd.RangeIndex(100), method="test")
    assert TopFraction(fraction=0.1).select(result, Y).tolist() == list(range(90, 100))
    per_class = TopFractionPerClass(fraction=0.1).select(result, Y)
    assert per_class.tolist() == [*range(72, 80), *range(98, 100)]
    assert MinorityClass().select(result, Y).tolist() == list(range(80, 100))
    assert HardestMinority(fraction=0.5).select(result, Y).tolist() == list(range(90, 100))
    assert Threshold(threshold=95).select(result, Y).tolist() == list(range(95, 100))
    assert len(AllRows().select(result, Y)) == 100
    r1 = RandomSelection(fraction=0.2, random_state=1).select(result, Y)
    assert r1.tolist() == RandomSelection(fraction=0.2, random_state=1).select(result, Y).tolist()
    assert np.isin(r1, np.arange(80, 100)).sum() == 4  # stratified
    with pytest.raises(
        ParameterError, match=r"'fraction' parameter of TopFraction must be a float in the range \(0, 1\]. Got 1.5"
    ):
        TopFraction(fraction=1.5).select(result, Y)
    with pytest.raises(DataError, match="No row has a hardness score >= 500"):
        Threshold(threshold=500).select(result, Y)


def test_augmenter_end_to_end_is_seeded_and_leaves_real_rows_alone() -> None:
    ds = load_breast_cancer()
    split = split_table(ds.table, ds.schema, random_state=0)
    aug = Augmenter(selector="hardest_per_class", generator="gaussian_copula", budget="1x", random_state=5)
    result = aug.fit_augment(split.train, "diagnosis", validation=split.validation)
    n = len(split.train)
    pd.testing.assert_frame_equal(result.table.iloc[:n].reset_index(drop=True), split.train.reset_index(drop=True))
    assert result.is_synthetic.sum() == len(result.synthetic) == len(result.selected)
    assert set(result.selected) <= set(split.train.index)
    assert list(result.synthetic.dtypes) == list(split.train.dtypes)
    sel = result.selection_frame()
    assert sel["selected"].sum() == len(result.selected)
    again = Augmenter(
        selector="hardest_per_class", generator="gaussian_copula", budget="1x", random_state=5
    ).fit_augment(split.train, "diagnosis", validation=split.validation)
    pd.testing.assert_frame_equal(result.synthetic, again.synthetic)
    with pytest.raises(DataLeakageError):
        Augmenter().fit(split.test, "diagnosis")
    with pytest.raises(SchemaError, match="Did you mean 'diagnosis'"):
        Augmenter().fit(split.train, "diagnostic")


def test_sampler_in_imblearn_pipeline_and_cross_val_score() -> None:
    from imblearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import StandardScaler

    ds = load_breast_cancer()
    X = ds.table.drop(columns="diagnosis").to_numpy()
    y = (ds.table["diagnosis"] == "malignant").astype(int).to_numpy()
    pipe = make_pipeline(
        TargetedSampler(selector="hardest_minority", generator="gaussian_copula", budget="1x", random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )
    scores = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
    assert scores.min() > 0.9
    pipe.fit(X, y)
    assert len(pipe.predict(X)) == len(X)  # the sampler does not act at predict time


def test_sampler_keeps_frames_and_dtypes() -> None:
    ds = load_breast_cancer()
    X = ds.table.drop(columns="diagnosis").astype("float32").iloc[:, :5]
    y = pd.Series((ds.table["diagnosis"] == "malignant").astype(int), name="malignant")
    X_res, y_res = TargetedSampler(generator="gaussian_copula", random_state=0).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.dtypes) == list(X.dtypes)
    assert isinstance(y_res, pd.Series) and y_res.name == "malignant"
    assert len(X_res) == len(y_res) > len(X)
    total_new = sum(TargetedSampler(generator="gaussian_copula", random_state=0).fit(X, y).sampling_strategy_.values())
    assert len(X_res) - len(X) == total_new


def test_sampler_passes_imblearn_estimator_checks() -> None:
    from imblearn.utils.estimator_checks import estimator_checks_generator

    sampler = TargetedSampler(generator="gaussian_copula", random_state=0)
    ran = 0
    for est, check in estimator_checks_generator(sampler, legacy=True):
        check(est)
        ran += 1
    assert ran > 15


def test_sampler_passes_sklearn_estimator_checks() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(TargetedSampler(generator="gaussian_copula", random_state=0))


def test_integer_zero_one_target_works_through_the_pipeline() -> None:
    ds = load_breast_cancer()
    table = ds.table.assign(diagnosis=(ds.table["diagnosis"] == "malignant").astype("int64"))
    for generator in ("gaussian_copula", "smote", "random_oversampling"):
        result = Augmenter(generator=generator, budget="1x", random_state=0).fit_augment(table, "diagnosis")
        assert result.table["diagnosis"].dtype == np.int64
        assert set(result.synthetic["diagnosis"]) <= {0, 1}
        assert len(result.synthetic) == len(result.selected)


def _people(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    edu = rng.choice(["HS-grad", "Bachelors", "Doctorate"], n, p=[0.5, 0.35, 0.15])
    years = pd.Series(edu).map({"HS-grad": 9, "Bachelors": 13, "Doctorate": 16}).to_numpy()
    age = pd.Series(edu).map({"HS-grad": 17, "Bachelors": 21, "Doctorate": 26}).to_numpy() + rng.integers(0, 50, n)
    label = np.where(rng.random(n) < 0.3, "yes", "no")
    return pd.DataFrame(
        {
            "age": age,
            "education": pd.Series(edu, dtype=object),
            "education-num": years,
            "label": pd.Series(label, dtype=object),
        }
    )


def test_filter_invalid_keeps_only_valid_rows_and_fills_the_budget() -> None:
    from tabaugment.data import Constraints

    table = _people()
    plain = Augmenter(generator="gaussian_copula", budget=300, random_state=0).fit_augment(table, "label")
    rules = Constraints.learn(table)
    assert rules.check(plain.synthetic).valid_share < 0.9  # the copula breaks education -> education-num
    aug = Augmenter(generator="gaussian_copula", budget=300, random_state=0, filter_invalid=True)
    result = aug.fit_augment(table, "label")
    assert len(result.synthetic) == 300
    assert rules.check(result.synthetic).valid.all()
    v = result.validity
    assert v["kept"] == 300 and v["dropped"] == v["drawn"] - 300 > 0
    assert v["dropped_by_rule"]["determines(education, education-num)"] > 0
    assert v["shortfall"] == {}


def test_impossible_rules_report_a_shortfall_instead_of_looping(caplog) -> None:
    table = _people()
    aug = Augmenter(
        generator="gaussian_copula", budget=100, random_state=0, filter_invalid=True, rules=["age < 0"], max_rounds=3
    )
    result = aug.fit_augment(table, "label")
    assert len(result.synthetic) == 0
    assert sum(result.validity["shortfall"].values()) == 100
    assert result.validity["dropped_by_rule"]["user_1"] == result.validity["drawn"]
    assert "could not be filled" in caplog.text


@pytest.mark.parametrize("cls", [Augmenter, TargetedSampler])
def test_augmenter_and_sampler_declare_and_check_their_parameters(cls) -> None:
    from tabaugment.testing import check_parameters

    check_parameters(cls)


@pytest.mark.parametrize("dtype", ["str", "string", "category", "Int64", "object"])
def test_sampler_returns_labels_in_the_dtype_they_came_in(dtype) -> None:
    ds = load_breast_cancer()
    X = ds.table[list(ds.schema.features)].iloc[:120]
    labels = ds.table[ds.schema.target].iloc[:120]
    y = (labels == "malignant").astype("int64").astype(dtype) if dtype == "Int64" else labels.astype(dtype)
    X_res, y_res = TargetedSampler(generator="gaussian_copula", random_state=0).fit_resample(X, y)
    assert y_res.dtype == y.dtype and len(y_res) == len(X_res) > len(y)
    assert y_res.iloc[: len(y)].reset_index(drop=True).equals(y.reset_index(drop=True))


def test_labels_may_be_given_separately_as_in_scikit_learn(mixed_table) -> None:
    table, target = mixed_table
    X, y = table.drop(columns=[target]), table[target]
    with_column = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(table, target)
    separate = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(X, y)
    pd.testing.assert_frame_equal(separate.table[with_column.table.columns], with_column.table)
    unnamed = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(X, y.to_numpy())
    assert unnamed.table.columns[-1] == "target"
    aug = Augmenter(generator="gaussian_copula", random_state=0).fit(X, y)
    assert aug.augment(X).table[target].tolist()[: len(X)] == y.tolist()  # the labels are put back
    with pytest.raises(SchemaError, match="The labels have 3 values for"):
        Augmenter(generator="gaussian_copula").fit(X, y.iloc[:3])
    with pytest.raises(SchemaError, match="also a column of the table"):
        Augmenter(generator="gaussian_copula").fit(table, y)


def test_polars_in_polars_out(mixed_table) -> None:
    pl = pytest.importorskip("polars")
    table, target = mixed_table
    result = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(pl.from_pandas(table), target)
    assert isinstance(result.table, pl.DataFrame) and isinstance(result.synthetic, pl.DataFrame)
    same = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(table, target)
    assert result.table.columns == list(same.table.columns) and result.table.height == len(same.table)
    n = len(table)
    left, right = result.table.to_pandas().iloc[:n].astype(str), same.table.iloc[:n].astype(str)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)  # polars keeps only the categories in use
