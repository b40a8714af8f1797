"""The hardness methods beyond exact KNN-Shapley: oracles, label noise, contract, Dask."""

from __future__ import annotations

import importlib.util
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment._neighbors import top_neighbours
from tabaugment._registry import available, get_class
from tabaugment.hardness import (
    DataIQ,
    HardnessResult,
    approximate_knn_shapley,
    compare_hardness,
    knn_shapley,
    threshold_knn_shapley,
)
from tabaugment.testing import check_hardness


def _noisy_table(
    n: int = 400, flip: int = 20, seed: int = 0, classes: int = 2
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Well separated classes (centres on a circle), ``flip`` labels moved to another class: the
    flipped rows are the hard ones."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    if classes == 2:
        a, b = y * 3.0, y * 3.0
    else:
        angle = 2 * np.pi * y / classes
        a, b = 4.0 * np.cos(angle), 4.0 * np.sin(angle)
    X = pd.DataFrame(
        {
            "a": a + rng.normal(size=n),
            "b": b + rng.normal(size=n),
            "c": pd.Series(np.where(rng.random(n) < 0.5, "u", "v"), dtype=object),
        }
    )
    flipped = rng.choice(n, flip, replace=False)
    y = y.copy()
    y[flipped] = (y[flipped] + rng.integers(1, classes, flip)) % classes
    return X, y, flipped


@pytest.mark.parametrize("name", available("hardness"))
def test_registered_hardness_keeps_the_contract(name: str) -> None:
    X, y, _ = _noisy_table(200)
    days = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(len(X)) % 97, unit="D"))
    X = X.assign(opened=days.where(np.arange(len(X)) % 11 != 0))  # a date column with missing dates
    cls = get_class("hardness", name)
    check_hardness(lambda: cls(**cls._unit_test_params()), X, y)


@pytest.mark.parametrize("name", available("hardness"))
def test_registered_hardness_keeps_the_contract_with_four_text_classes(name: str) -> None:
    X, y, _ = _noisy_table(240, classes=4, seed=3)
    labels = np.array(["oak", "elm", "ash", "yew"], dtype=object)[y]
    cls = get_class("hardness", name)
    check_hardness(lambda: cls(**cls._unit_test_params()), X, labels)


@pytest.mark.parametrize("classes", [2, 3, 5])
@pytest.mark.parametrize("name", [n for n in available("hardness") if n != "random"])
def test_methods_rank_flipped_labels_hardest(name: str, classes: int) -> None:
    X, y, flipped = _noisy_table(classes=classes)
    cls = get_class("hardness", name)
    result = cls(**cls._unit_test_params()).fit(X, y).result_
    top = set(np.argsort(-result.scores, kind="stable")[: 2 * len(flipped)])
    assert len(top & set(flipped)) >= 0.8 * len(flipped), name


def _threshold_utility(subset, X, y, xv, yv, r, c):
    inside = [i for i in subset if ((X[i] - xv) ** 2).sum() <= r * r]
    return 1.0 / c if not inside else sum(y[i] == yv for i in inside) / len(inside)


def _brute_threshold(X, y, X_val, y_val, r, c):
    n = len(X)
    values = np.zeros(n)
    for xv, yv in zip(X_val, y_val):
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for k in range(n):
                w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for s in itertools.combinations(others, k):
                    values[i] += w * (
                        _threshold_utility([*s, i], X, y, xv, yv, r, c)
                        - _threshold_utility(list(s), X, y, xv, yv, r, c)
                    )
    return values / len(X_val)


@pytest.mark.parametrize(("n", "radius", "classes"), [(3, 0.7, 2), (7, 1.2, 2), (8, 3.0, 2), (7, 1.5, 3)])
def test_threshold_knn_shapley_matches_brute_force(n, radius, classes) -> None:
    rng = np.random.default_rng(n)
    X, y = rng.normal(size=(n, 2)), rng.integers(0, classes, n)
    X_val, y_val = rng.normal(size=(3, 2)), rng.integers(0, classes, 3)
    exact = _brute_threshold(X, y, X_val, y_val, radius, classes)
    np.testing.assert_allclose(
        threshold_knn_shapley(X, y, X_val, y_val, radius=radius, n_classes=classes), exact, atol=1e-12
    )


def test_approximate_equals_exact_when_every_row_is_retrieved_and_tracks_it_otherwise() -> None:
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 6))
    y = (X[:, 0] + rng.normal(size=1500) > 0).astype(int)
    X_val = rng.normal(size=(300, 6))
    y_val = (X_val[:, 0] + rng.normal(size=300) > 0).astype(int)
    exact = knn_shapley(X, y, X_val, y_val, n_neighbors=10)
    full = approximate_knn_shapley(X, y, X_val, y_val, n_neighbors=10, top=1500, index="numpy")
    np.testing.assert_allclose(full, exact, atol=1e-12)
    part = approximate_knn_shapley(X, y, X_val, y_val, n_neighbors=10, top=100, index="numpy")
    assert spearmanr(part, exact).statistic > 0.95
    with pytest.raises(ValueError, match=r"top \(5\) must be at least n_neighbors \(10\)"):
        approximate_knn_shapley(X, y, X_val, y_val, n_neighbors=10, top=5)


def test_faiss_neighbours_match_the_exact_search() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    X, Q = rng.normal(size=(2000, 8)), rng.normal(size=(50, 8))
    ours = top_neighbours(X, Q, 15, index="numpy")
    flat = top_neighbours(X, Q, 15, index="flat")
    assert (ours == flat).mean() > 0.99  # float32 in faiss may swap near-ties
    ivf = top_neighbours(X, Q, 15, index="ivf")
    assert np.mean([len(set(a) & set(b)) / 15 for a, b in zip(ours, ivf)]) > 0.8


def test_data_iq_groups_and_mlp_dynamics() -> None:
    X, y, flipped = _noisy_table()
    res = DataIQ(n_estimators=30).fit(X, y).result_
    groups = pd.Series(res.values["group"])
    assert set(groups) <= {"easy", "ambiguous", "hard"}
    # flipped labels are never "easy"; by Data-IQ's definition they are ambiguous or hard
    # (their aleatoric uncertainty sits above the median that the clean rows pull down)
    assert (groups.iloc[flipped] != "easy").all()
    assert (groups.drop(index=flipped) == "easy").mean() > 0.45  # at most half can be easy (median cut)
    hard = groups[groups == "hard"].index
    assert len(hard) == 0 or np.isin(hard, flipped).mean() > 0.5
    pytest.importorskip("torch")
    a = DataIQ(model="mlp", epochs=4, random_state=1).fit(X, y).result_
    b = DataIQ(model="mlp", epochs=4, random_state=1).fit(X, y).result_
    np.testing.assert_array_equal(a.scores, b.scores)
    top = set(np.argsort(-a.scores)[: 2 * len(flipped)])
    assert len(top & set(flipped)) >= 0.7 * len(flipped)


def test_compare_hardness() -> None:
    scores = {"a": np.arange(10.0), "b": np.arange(10.0)[::-1], "c": np.arange(10.0)}
    results = {k: HardnessResult(scores=v, index=pd.RangeIndex(10), method=k) for k, v in scores.items()}
    y = np.array([0] * 8 + [1] * 2)
    cmp = compare_hardness(results, y, fraction=0.2, positive_label=1)
    assert cmp.jaccard.loc["a", "c"] == 1.0 and cmp.jaccard.loc["a", "b"] == 0.0
    assert cmp.spearman.loc["a", "b"] == pytest.approx(-1.0)
    comp = cmp.composition.set_index("method")
    assert comp.loc["a", "share_1"] == 1.0 and comp.loc["b", "share_1"] == 0.0
    from tabaugment.report.plots import hardness_comparison_plot

    assert len(hardness_comparison_plot(cmp)) > 1000


def test_dask_cluster_gives_the_single_process_result() -> None:
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    from tabaugment.hardness import KNNShapley

    X, y, _ = _noisy_table(600)
    single = KNNShapley(chunk_size=40).fit(X, y).scores_
    single_iq = DataIQ(n_estimators=10, n_repeats=2).fit(X, y).scores_
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        parallel_config(backend="dask"),
    ):
        on_dask = KNNShapley(chunk_size=40, n_jobs=2).fit(X, y).scores_
        on_dask_iq = DataIQ(n_estimators=10, n_repeats=2, n_jobs=2).fit(X, y).scores_
        if importlib.util.find_spec("numba") is not None:  # the compiled kernel, on the workers
            compiled = KNNShapley(chunk_size=40, n_jobs=2, backend="compiled").fit(X, y).scores_
            np.testing.assert_array_equal(compiled, single)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(on_dask, single)
    np.testing.assert_array_equal(on_dask_iq, single_iq)


@pytest.mark.parametrize(
    "name", [n for n in available("hardness") if "progress" in get_class("hardness", n)().get_params()]
)
def test_progress_shows_a_bar_and_changes_no_score(name, capsys) -> None:
    X, y, _ = _noisy_table(n=150, flip=5)
    cls = get_class("hardness", name)
    params = cls._unit_test_params() if hasattr(cls, "_unit_test_params") else {}
    quiet = cls(**params).fit(X, y).result_
    capsys.readouterr()
    shown = cls(**params, progress=True).fit(X, y).result_
    assert capsys.readouterr().err.strip(), f"{name}: progress=True printed no bar"
    np.testing.assert_allclose(shown.scores, quiet.scores)


def test_confident_learning_flags_the_flipped_rows_and_suggests_their_true_label() -> None:
    from tabaugment.hardness import ConfidentLearning

    X, y, flipped = _noisy_table()
    values = ConfidentLearning(n_estimators=50).fit(X, y).result_.values
    issues = np.flatnonzero(values["label_issue"])
    assert np.isin(flipped, issues).mean() >= 0.8  # found
    assert np.isin(issues, flipped).mean() >= 0.5  # and mostly right
    found = flipped[np.isin(flipped, issues)]
    assert (values["suggested_label"][found] == 1 - y[found]).all()
    # the threshold of a row's class is the mean self-confidence of that class
    for label in (0, 1):
        rows = y == label
        assert values["threshold"][rows][0] == pytest.approx(values["self_confidence"][rows].mean())


def test_data_oob_counts_each_row_out_of_about_a_third_of_the_bags() -> None:
    from tabaugment.hardness import DataOOB

    X, y, flipped = _noisy_table()
    values = DataOOB(n_estimators=300).fit(X, y).result_.values
    share = values["oob_trees"] / 300
    assert abs(share.mean() - np.exp(-1)) < 0.01  # P(a row misses a bootstrap sample) -> 1/e
    assert values["oob_accuracy"][flipped].mean() < 0.2 < 0.8 < np.delete(values["oob_accuracy"], flipped).mean()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(20, 200),
    st.floats(0.01, 0.6),
    st.sampled_from(["uniform", "class_conditional"]),
    st.integers(2, 4),
    st.integers(0, 10**6),
)
def test_flip_labels_changes_exactly_the_rows_it_reports(n, rate, kind, k, seed) -> None:
    from tabaugment.exceptions import ParameterError
    from tabaugment.hardness import flip_labels

    rng = np.random.default_rng(seed)
    y = np.r_[np.arange(k), rng.integers(0, k, n - k)]  # every class present
    if kind == "class_conditional" and np.bincount(y).min() < 2:  # no row of the rarest class can flip
        with pytest.raises(ParameterError, match="too few rows"):
            flip_labels(y, rate, kind, np.random.default_rng(seed))
        return
    noisy, flipped = flip_labels(y, rate, kind, np.random.default_rng(seed))
    changed = np.flatnonzero(noisy != y)
    np.testing.assert_array_equal(changed, flipped)
    if kind == "uniform":
        assert len(flipped) == max(1, round(rate * n))
    else:
        labels, counts = np.unique(y, return_counts=True)
        rarest = labels[np.argmin(counts)]
        assert (y[flipped] == rarest).all() and len(flipped) <= counts.min() // 2
    again, _ = flip_labels(y, rate, kind, np.random.default_rng(seed))
    np.testing.assert_array_equal(again, noisy)


def test_the_label_noise_study_tells_a_real_method_from_chance() -> None:
    from tabaugment.hardness import OutOfFoldLoss, RandomHardness, label_noise_study, rank_noise_methods

    X, y, _ = _noisy_table(n=300, flip=0)
    methods = {"oof": OutOfFoldLoss(n_estimators=30, n_folds=3), "random": RandomHardness()}
    study = label_noise_study(X, y, methods=methods, rates=(0.1,), seeds=3)
    assert len(study) == 2 * 1 * 3 * 2  # methods x rates x seeds x kinds
    assert set(study.kind) == {"uniform", "class_conditional"}
    mean = study.groupby("method").roc_auc.mean()
    assert mean["oof"] > 0.9 and abs(mean["random"] - 0.5) < 0.15
    assert (study.chance_precision == study.flipped / len(y)).all()
    ranking = rank_noise_methods(study)
    assert ranking.method.tolist() == ["oof", "random"] and (ranking.runs == 6).all()


def test_the_label_noise_study_needs_a_method() -> None:
    from tabaugment.exceptions import ParameterError
    from tabaugment.hardness import label_noise_study

    X, y, _ = _noisy_table(n=60, flip=0)
    with pytest.raises(ParameterError, match="at least one hardness method"):
        label_noise_study(X, y, methods=[], seeds=1)
