"""KNN-Shapley against exhaustive permutation Shapley of the K-NN utility.

The oracle tests run on every backend: the numpy path, the compiled kernel (numba) and the
same kernel run as plain Python (so its logic is checked where numba is not installed).
"""

from __future__ import annotations

import itertools
import math
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment.exceptions import DataError, MissingDependencyError, ParameterError
from tabaugment.hardness import KNNShapley, _knn_kernel
from tabaugment.hardness import knn_shapley as _knn_shapley


@pytest.fixture(params=["numpy", "compiled", "python"])
def backend(request, monkeypatch) -> str:
    if request.param == "compiled":
        pytest.importorskip("numba")
    if request.param == "python":
        monkeypatch.setattr(_knn_kernel, "_compiled", lambda: _knn_kernel._rows)
        return "compiled"
    return str(request.param)


@pytest.fixture
def knn_shapley(backend):
    def run(*args, **kwargs):
        return _knn_shapley(*args, backend=backend, **kwargs)

    return run


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
def test_matches_exhaustive_permutation_shapley(n: int, k: int, knn_shapley) -> None:
    rng = np.random.default_rng(n * 10 + k)
    X, y = rng.normal(size=(n, 3)), rng.integers(0, 2, n)
    X_val, y_val = rng.normal(size=(3, 3)), rng.integers(0, 2, 3)
    exact = _subset_shapley(X, y, X_val, y_val, k)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=k), exact, atol=1e-9, rtol=0)


def test_oracles_agree_on_six_points(knn_shapley) -> None:
    """The subset oracle equals the permutation definition (all 720 orderings)."""
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    X_val, y_val = rng.normal(size=(2, 2)), rng.integers(0, 2, 2)
    perm = _permutation_shapley(X, y, X_val, y_val, 3)
    np.testing.assert_allclose(_subset_shapley(X, y, X_val, y_val, 3), perm, atol=1e-12)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=3), perm, atol=1e-9, rtol=0)


def test_ties_are_broken_by_training_row_index(knn_shapley) -> None:
    X = np.array([[0, 0], [0, 0], [1, 1], [1, 1], [0, 0], [2, 2]], dtype=float)
    y = np.array([0, 1, 1, 0, 1, 0])
    X_val, y_val = np.array([[0, 0], [1, 1]], dtype=float), np.array([1, 0])
    exact = _subset_shapley(X, y, X_val, y_val, 2)
    np.testing.assert_allclose(knn_shapley(X, y, X_val, y_val, n_neighbors=2), exact, atol=1e-9, rtol=0)


def test_fewer_points_than_k_uses_max_n_k(knn_shapley) -> None:
    # with N <= K every point always counts: value = match / K exactly
    X, y = np.arange(4, dtype=float).reshape(-1, 1), np.array([1, 0, 1, 1])
    values = knn_shapley(X, y, np.array([[0.5]]), np.array([1]), n_neighbors=10)
    np.testing.assert_allclose(values, np.array([1, 0, 1, 1]) / 10, atol=1e-15)


def test_efficiency_values_sum_to_full_utility(knn_shapley) -> None:
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(200, 4)), rng.integers(0, 2, 200)
    X_val, y_val = rng.normal(size=(50, 4)), rng.integers(0, 2, 50)
    values = knn_shapley(X, y, X_val, y_val, n_neighbors=5)
    full = np.mean([_utility(list(range(200)), X, y, xv, yv, 5) for xv, yv in zip(X_val, y_val)])
    assert values.sum() == pytest.approx(full, abs=1e-10)


def test_chunking_and_threads_do_not_change_values(knn_shapley) -> None:
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(300, 5)), rng.integers(0, 2, 300)
    X_val, y_val = rng.normal(size=(97, 5)), rng.integers(0, 2, 97)
    one = knn_shapley(X, y, X_val, y_val, n_neighbors=7, chunk_size=97)
    many = knn_shapley(X, y, X_val, y_val, n_neighbors=7, chunk_size=10, n_jobs=2)
    tiny = knn_shapley(X, y, X_val, y_val, n_neighbors=7, max_memory_mb=0.05)
    np.testing.assert_allclose(one, many, atol=1e-12)
    np.testing.assert_allclose(one, tiny, atol=1e-12)


def test_string_labels_and_labels_missing_from_training(knn_shapley) -> None:
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


# --- the compiled kernel: the same values as the numpy path, bit for bit -------------------------

_shapes = st.tuples(st.integers(1, 60), st.integers(1, 12), st.integers(1, 4), st.integers(1, 15))


@settings(max_examples=60, deadline=None)
@given(
    shape=_shapes,
    offset=st.sampled_from([0.0, 1e3, 1e6]),
    duplicated=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_kernel_equals_numpy_path_bit_for_bit(shape, offset, duplicated, seed) -> None:
    """Adversarial inputs for the radix sort: duplicated rows (exact ties), coordinates far from
    the origin (distances that agree in float32 but not float64: long runs of equal 32-bit keys),
    one column, fewer rows than K, labels missing from the training rows."""
    n, m, d, k = shape
    rng = np.random.default_rng(seed)
    X = offset + rng.normal(size=(n, d)) * (1e-3 if offset else 1.0)
    if duplicated:
        X[rng.integers(0, n, n // 2)] = X[0]
    X_val = offset + rng.normal(size=(m, d)) * (1e-3 if offset else 1.0)
    y, y_val = rng.integers(0, 3, n), rng.integers(0, 3, m)
    ref = _knn_shapley(X, y, X_val, y_val, n_neighbors=k, backend="numpy")
    with pytest.MonkeyPatch.context() as mp:
        if not _knn_kernel.available():  # the kernel as plain Python where numba is not installed
            mp.setattr(_knn_kernel, "_compiled", lambda: _knn_kernel._rows)
        kernel = _knn_shapley(X, y, X_val, y_val, n_neighbors=k, backend="compiled")
    np.testing.assert_array_equal(kernel, ref)


def test_long_runs_of_equal_float32_keys_are_ordered_exactly(backend) -> None:
    """Forty distances one float64 step apart share one float32 key; the kernel must still order
    them by distance, then row index, as the numpy path does (insertion sort and full sort both)."""
    X = (1.0 + np.arange(40)[::-1] * 2e-12)[:, None]
    X[::3] = X[5]
    y = np.arange(40) % 2
    X_val, y_val = np.zeros((3, 1)), np.array([0, 1, 0])
    ref = _knn_shapley(X, y, X_val, y_val, n_neighbors=4, backend="numpy")
    np.testing.assert_array_equal(_knn_shapley(X, y, X_val, y_val, n_neighbors=4, backend=backend), ref)


def test_auto_uses_the_kernel_on_large_problems_with_the_same_values(monkeypatch) -> None:
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(2100, 3)), rng.integers(0, 2, 2100)
    X_val, y_val = rng.normal(size=(2000, 3)), rng.integers(0, 2, 2000)
    calls = []
    real = _knn_kernel.chunk_values
    monkeypatch.setattr(_knn_kernel, "chunk_values", lambda *a: calls.append(1) or real(*a))
    if not _knn_kernel.available():
        monkeypatch.setattr(_knn_kernel, "_compiled", lambda: _knn_kernel._rows)
        monkeypatch.setattr(_knn_kernel, "available", lambda: True)
    auto = _knn_shapley(X, y, X_val[:1000], y_val[:1000], n_neighbors=5)
    assert not calls  # 2.1M cells: below the threshold, numpy
    auto = _knn_shapley(X, y, X_val, y_val, n_neighbors=5, chunk_size=1000)
    assert len(calls) == 2
    np.testing.assert_array_equal(
        auto, _knn_shapley(X, y, X_val, y_val, n_neighbors=5, backend="numpy", chunk_size=1000)
    )


def test_compiled_backend_without_numba_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(MissingDependencyError, match=r"pip install -e '\.\[fast\]'"):
        _knn_kernel._compiled.__wrapped__()


def test_unknown_backend_and_non_finite_features_are_refused() -> None:
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    with pytest.raises(ParameterError, match=r"'backend' parameter of knn_shapley must be one of 'auto', 'compiled'"):
        _knn_shapley(X, y, X, y, n_neighbors=1, backend="gpu")
    with pytest.raises(DataError, match=r"X_val\[1, 0\] is nan. Impute or drop"):
        _knn_shapley(X, y, np.array([[0.0], [np.nan]]), y, n_neighbors=1)
