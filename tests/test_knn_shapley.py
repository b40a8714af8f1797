"""KNN-Shapley against exhaustive permutation Shapley of the K-NN utility."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from tabaugment.exceptions import ParameterError
from tabaugment.hardness import KNNShapley, knn_shapley


def _utility(subset: list[int], X: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: int, k: int) -> float:
    if not subset:
        return 0.0
    dist = {i: float(((X[i] - xv) ** 2).sum()) for i in subset}
    nearest = sorted(subset, key=lambda i: (dist[i], i))[:k]
    return sum(y[i] == yv for i in nearest) / k


def _subset_shapley(X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, k: int) -> np.ndarray:
    """The Shapley formula over all subsets S of the other points: |S|!(n-|S|-1)!/n! weights."""
    n = len(X)
    values = np.zeros(n)
    for xv, yv in zip(X_val, y_val):
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for r in range(n):
                w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                for subset in itertools.combinations(others, r):
                    s = list(subset)
                    values[i] += w * (_utility([*s, i], X, y, xv, yv, k) - _utility(s, X, y, xv, yv, k))
    return values / len(X_val)


def _permutation_shapley(X: np.ndarray, y: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, k: int) -> np.ndarray:
    """Average marginal contribution over all n! orderings, then over validation points."""
    n = len(X)
    values = np.zeros(n)
    perms = list(itertools.permutations(range(n)))
    for xv, yv in zip(X_val, y_val):
        for perm in perms:
            before: list[int] = []
            prev = 0.0
            for i in perm:
                before.append(i)
                cur = _utility(before, X, y, xv, yv, k)
                values[i] += cur - prev
                prev = cur
    return values / (len(perms) * len(X_val))


@pytest.mark.parametrize(("n", "k"), [(8, 3), (7, 10), (6, 1), (8, 8), (5, 2)])
def test_matches_exhaustive_permutation_shapley(n: int, k: int) -> None:
    rng = np.random.default_rng(n * 10 + k)
    X, y = rng.normal(size=(n, 3)), rng.integers(0, 2, n)
    X_val, y_val = rng.normal(size=(3, 3)), rng.integers(0, 2, 3)
    exact = _subset_shapley(X, y, X_val, y_val, k)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=k), exact, atol=1e-9, rtol=0)


def test_oracles_agree_on_six_points() -> None:
    """The subset oracle equals the permutation definition (all 720 orderings)."""
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    X_val, y_val = rng.normal(size=(2, 2)), rng.integers(0, 2, 2)
    perm = _permutation_shapley(X, y, X_val, y_val, 3)
    np.testing.assert_allclose(_subset_shapley(X, y, X_val, y_val, 3), perm, atol=1e-12)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=3), perm, atol=1e-9, rtol=0)


def test_ties_are_broken_by_training_row_index() -> None:
    X = np.array([[0, 0], [0, 0], [1, 1], [1, 1], [0, 0], [2, 2]], dtype=float)
    y = np.array([0, 1, 1, 0, 1, 0])
    X_val, y_val = np.array([[0, 0], [1, 1]], dtype=float), np.array([1, 0])
    exact = _subset_shapley(X, y, X_val, y_val, 2)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=2), exact, atol=1e-9, rtol=0)


def test_fewer_points_than_k_uses_max_n_k() -> None:
    # with N <= K every point always counts: value = match / K exactly
    X, y = np.arange(4, dtype=float).reshape(-1, 1), np.array([1, 0, 1, 1])
    values = knn_shapley(X, y, np.array([[0.5]]), np.array([1]), n_neighbors=10)
    np.testing.assert_allclose(values, np.array([1, 0, 1, 1]) / 10, atol=1e-15)


def test_efficiency_values_sum_to_full_utility() -> None:
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(200, 4)), rng.integers(0, 2, 200)
    X_val, y_val = rng.normal(size=(50, 4)), rng.integers(0, 2, 50)
    values = knn_shapley(X, y, X_val, y_val, n_neighbors=5)
    full = np.mean([_utility(list(range(200)), X, y, xv, yv, 5) for xv, yv in zip(X_val, y_val)])
    assert values.sum() == pytest.approx(full, abs=1e-10)


def test_chunking_and_threads_do_not_change_values() -> None:
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(300, 5)), rng.integers(0, 2, 300)
    X_val, y_val = rng.normal(size=(97, 5)), rng.integers(0, 2, 97)
    one = knn_shapley(X, y, X_val, y_val, n_neighbors=7, chunk_size=97)
    many = knn_shapley(X, y, X_val, y_val, n_neighbors=7, chunk_size=10, n_jobs=2)
    tiny = knn_shapley(X, y, X_val, y_val, n_neighbors=7, max_memory_mb=0.05)
    np.testing.assert_allclose(one, many, atol=1e-12)
    np.testing.assert_allclose(one, tiny, atol=1e-12)


def test_string_labels_and_labels_missing_from_training() -> None:
    X = np.array([[0.0], [1.0], [2.0]])
    values = knn_shapley(X, np.array(["a", "b", "a"]), np.array([[0.1], [1.9]]), np.array(["c", "a"]), n_neighbors=1)
    ints = knn_shapley(X, np.array([0, 1, 0]), np.array([[0.1], [1.9]]), np.array([2, 0]), n_neighbors=1)
    np.testing.assert_allclose(values, ints)


def test_estimator_scores_are_minus_values_on_frames(mixed_table) -> None:
    table, target = mixed_table
    X, y = table.drop(columns=[target]), table[target]
    train, val = X.iloc[:80], X.iloc[80:]
    est = KNNShapley(n_neighbors=5).fit(train, y.iloc[:80], X_val=val, y_val=y.iloc[80:])
    assert est.result_.method == "knn_shapley"
    np.testing.assert_allclose(est.scores_, -est.result_.values["shapley"])
    assert list(est.result_.index) == list(train.index)
    frame = est.result_.to_frame()
    assert frame["rank"].min() == 1
    assert frame.loc[frame["rank"] == 1, "hardness"].iloc[0] == est.scores_.max()


def test_cross_fitted_scores_do_not_depend_on_row_order(mixed_table) -> None:
    table, target = mixed_table
    table = table.drop_duplicates()
    X, y = table.drop(columns=[target]), table[target]
    a = pd.Series(KNNShapley(n_neighbors=5).fit(X, y).scores_, index=X.index)
    perm = np.random.default_rng(0).permutation(len(X))
    b = pd.Series(KNNShapley(n_neighbors=5).fit(X.iloc[perm], y.iloc[perm]).scores_, index=X.index[perm])
    pd.testing.assert_series_equal(a, b.loc[a.index], check_exact=False, atol=1e-12)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_neighbors": 0}, r"'n_neighbors' parameter of KNNShapley must be an int in the range \[1, inf\). Got 0"),
        ({"n_folds": 1}, r"'n_folds' parameter of KNNShapley must be an int in the range \[2, inf\)"),
        ({"max_memory_mb": -5}, r"'max_memory_mb' parameter of KNNShapley must be a float in the range \(0, inf\)"),
        ({"n_jobs": 0}, r"'n_jobs' parameter of KNNShapley must be an int in the range \[1, inf\) or -1"),
    ],
)
def test_invalid_parameters_raise(params, match, mixed_table) -> None:
    table, target = mixed_table
    with pytest.raises(ParameterError, match=match):
        KNNShapley(**params).fit(table.drop(columns=[target]), table[target])


def test_one_class_target_is_refused(mixed_table) -> None:
    table, target = mixed_table
    with pytest.raises(ValueError, match="only one class"):
        KNNShapley().fit(table.drop(columns=[target]), ["good"] * len(table))
