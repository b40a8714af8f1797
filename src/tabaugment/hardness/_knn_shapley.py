"""Exact KNN-Shapley (Jia et al., VLDB 2019) of an unweighted K-NN classifier.

For one validation point ``v`` and training points sorted by distance to it,
``a_1`` (nearest) ... ``a_N``, with ``m_i = 1[y(a_i) = y(v)]``, the Shapley value of the
K-NN utility is given by the recursion

    s(a_N) = m_N / max(N, K)
    s(a_i) = s(a_{i+1}) + (m_i - m_{i+1}) / K * min(K, i) / i

(the paper states ``m_N / N``, exact only for N >= K). A training row's value is the mean
over validation points. The recursion needs a strict order, so ties in distance are broken
by training-row index (a stable sort).

The implementation works on chunks of validation points: one BLAS product gives squared
distances, one in-place sort of packed (distance, index) keys gives the order, and the recursion
is a reversed cumulative sum; values are scattered back with ``np.bincount``. The chunk
size is chosen so the per-chunk arrays stay within ``max_memory_mb``. Ties are broken by
index through the sort keys (see :func:`_sorted_neighbours`), so an unstable, vectorised
sort can be used.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tabaugment._progress import progress_bar
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.exceptions import DataError
from tabaugment.hardness import _knn_kernel
from tabaugment.hardness.base import BaseHardness, hash_folds
from tabaugment.params import BOOL, N_JOBS, NONE, Constraints, Interval, Options, check_param, positive

__all__ = ["KNNShapley", "knn_shapley", "knn_shapley_chunk_size"]

logger = logging.getLogger(__name__)

# bytes per (validation x training) cell during one chunk: distances (8), order (8),
# matches (1), their differences times weights (8), the cumulative sum (8), values (8)
_BYTES_PER_CELL = 48
# "auto" compiles the kernel only for problems where the one-off compilation (about a second,
# then cached on disk) is small beside the work: at least this many (validation x training) cells
_COMPILE_FROM_CELLS = 2**22
BACKENDS = ("auto", "compiled", "numpy")


def knn_shapley_chunk_size(n_train: int, max_memory_mb: float) -> int:
    """Validation rows per chunk so one chunk's arrays fit in ``max_memory_mb``."""
    return max(1, int(max_memory_mb * 2**20 // (_BYTES_PER_CELL * max(n_train, 1))))


def knn_shapley(
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_neighbors: int,
    chunk_size: int | None = None,
    max_memory_mb: float = 1024,
    n_jobs: int = 1,
    progress: bool = False,
    backend: str = "auto",
) -> np.ndarray:
    """Exact KNN-Shapley value of every training row, averaged over the validation rows.

    Parameters
    ----------
    X, y : numeric training features (n, d) and labels (n,).
    X_val, y_val : numeric validation features (m, d) and labels (m,).
    n_neighbors : K, the number of neighbours of the K-NN classifier.
    chunk_size : validation rows per chunk; by default derived from ``max_memory_mb``.
    n_jobs : chunks processed at once (threads; numpy releases the GIL in BLAS and sorts, the
        compiled kernel throughout).
    backend : ``"compiled"`` (the numba kernel; needs the ``fast`` extra), ``"numpy"``, or
        ``"auto"``: compiled when numba is installed and the problem has at least 4M
        (validation x training) cells. Both give identical values.

    Returns
    -------
    values : (n,) float64; lower = the row hurts or helps least = harder.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    X_val = np.ascontiguousarray(X_val, dtype=np.float64)
    y, y_val = _common_codes(np.asarray(y), np.asarray(y_val))
    n, m = len(X), len(X_val)
    if X.ndim != 2 or X_val.ndim != 2 or X.shape[1] != X_val.shape[1]:
        raise DataError(f"X and X_val must be 2-D with the same columns; got {X.shape} and {X_val.shape}.")
    if n == 0 or m == 0:
        raise DataError(f"KNN-Shapley needs training and validation rows; got {n} and {m}.")
    for name, A in (("X", X), ("X_val", X_val)):
        if not np.isfinite(A).all():
            bad = np.argwhere(~np.isfinite(A))[0]
            raise DataError(
                f"KNN-Shapley needs finite features; {name}[{bad[0]}, {bad[1]}] is {A[tuple(bad)]}. "
                "Impute or drop missing values first (KNNShapley's encoder does this for tables)."
            )
    k = check_param(n_neighbors, "n_neighbors", "knn_shapley", positive(numbers.Integral))
    check_param(backend, "backend", "knn_shapley", Options(BACKENDS))
    compiled = backend == "compiled" or (backend == "auto" and n * m >= _COMPILE_FROM_CELLS and _knn_kernel.available())
    if chunk_size is None:
        chunk_size = knn_shapley_chunk_size(n, max_memory_mb / max(n_jobs, 1))
    chunk_size = min(check_param(chunk_size, "chunk_size", "knn_shapley", positive(numbers.Integral)), m)

    sq_norms = np.einsum("ij,ij->i", X, X)
    ranks = np.arange(1, n, dtype=np.float64)  # i = 1 .. n-1
    weights = np.minimum(k, ranks) / (k * ranks)
    start_div = float(max(n, k))
    starts = list(range(0, m, chunk_size))

    total = np.zeros(n, dtype=np.float64)
    with progress_bar(progress, total=m, desc="KNN-Shapley", unit="val rows") as bar:
        if n_jobs == 1 or len(starts) == 1:
            for lo in starts:
                hi = min(lo + chunk_size, m)
                total += _chunk_values(X, y, sq_norms, X_val[lo:hi], y_val[lo:hi], weights, start_div, compiled)
                bar.update(hi - lo)
        else:
            # threads by default; under joblib.parallel_config(backend="dask") the chunks run on a
            # Dask cluster (the arrays are arguments, so the backend ships them once, not per task)
            from joblib import Parallel, delayed

            jobs = (
                delayed(_chunk_values)(
                    X,
                    y,
                    sq_norms,
                    X_val[lo : lo + chunk_size],
                    y_val[lo : lo + chunk_size],
                    weights,
                    start_div,
                    compiled,
                )
                for lo in starts
            )
            for lo, part in zip(starts, Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(jobs)):
                total += part
                bar.update(min(chunk_size, m - lo))
    return total / m


def _chunk_values(
    X: np.ndarray,
    y: np.ndarray,
    sq_norms: np.ndarray,
    Xv: np.ndarray,
    yv: np.ndarray,
    weights: np.ndarray,
    start_div: float,
    compiled: bool = False,
) -> np.ndarray:
    """Sum over the validation rows of one chunk of each training row's Shapley value."""
    n = len(X)
    if compiled:
        product = Xv @ X.T
        return _knn_kernel.chunk_values(product, sq_norms, _val_terms(Xv), y, yv, weights, start_div, _index_bits(n))
    order = _sorted_neighbours(X, sq_norms, Xv)
    match = y[order] == yv[:, None]
    s = np.empty(order.shape, dtype=np.float64)
    last = match[:, -1] / start_div
    if n > 1:
        step = np.subtract(match[:, :-1], match[:, 1:], dtype=np.float64)
        step *= weights
        # s_i = s_N + sum_{j >= i} step_j : a reversed cumulative sum
        np.cumsum(step[:, ::-1], axis=1, out=s[:, -2::-1])
        s[:, :-1] += last[:, None]
    s[:, -1] = last
    return np.bincount(order.ravel(), weights=s.ravel(), minlength=n)


def _sorted_neighbours(X: np.ndarray, sq_norms: np.ndarray, Xv: np.ndarray) -> np.ndarray:
    """Training rows by distance to each validation row, ties by training-row index.

    The key of a pair is ``1 + squared distance`` (always a normal float >= 1) with its
    lowest ``ceil(log2 n)`` mantissa bits replaced by the training-row index. Keys are then
    unique and compare like ``(distance, index)``; as 64-bit integers they compare the same
    way, so a plain in-place integer sort (about half the time of an argsort) orders them and
    the low bits of each sorted key are its row index. Distances closer
    than ``2**(bits - 52)`` relative are treated as ties; that is below the rounding error of
    the distance product itself.
    """
    n = len(X)
    mask = np.uint64((1 << _index_bits(n)) - 1)
    key = Xv @ X.T
    key *= -2.0
    key += sq_norms
    key += _val_terms(Xv)[:, None]
    np.maximum(key, 1.0, out=key)
    raw = key.view(np.uint64)
    raw &= ~mask
    raw |= np.arange(n, dtype=np.uint64)
    # positive floats order like their bit patterns, so sorting the packed keys as integers in
    # place gives the order, and the low bits are the indices: no argsort, no second array
    raw.sort(axis=1)
    raw &= mask
    return raw.view(np.int64)


def _val_terms(Xv: np.ndarray) -> np.ndarray:
    """Each validation row's squared norm plus one: the row's constant in its keys (one
    definition, so both backends build the same keys)."""
    return np.einsum("ij,ij->i", Xv, Xv) + 1.0


def _index_bits(n: int) -> int:
    """Low key bits that hold a training-row index."""
    return max(1, int(n - 1).bit_length())


def _common_codes(y: np.ndarray, y_val: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of both label arrays under one mapping."""
    if y.dtype.kind in "iub" and y_val.dtype.kind in "iub":
        return y.astype(np.int64), y_val.astype(np.int64)
    codes, _uniques = pd.factorize(pd.Series(np.concatenate([y, y_val]), dtype=object), sort=False)
    return codes[: len(y)].astype(np.int64), codes[len(y) :].astype(np.int64)


class KNNShapley(BaseHardness):
    """Exact KNN-Shapley hardness: a row is hard when its Shapley value is low.

    Features are one-hot encoded and standardised (:class:`~tabaugment.data.FeatureEncoder`,
    fitted on the training rows); missing numbers become the mean, missing categories all
    zeros. With validation rows, values are computed against them. Without, the rows are
    cross-fitted: each of ``n_folds`` folds serves once as the validation set of the others,
    and each row's value is its mean over the folds it was a training row in. Folds are
    assigned by a hash of the row's content, so the scores do not depend on row order.
    Rows are processed in a canonical order (by a hash of their content), which also breaks
    distance ties, so shuffling the input rows gives every row the same score, bit for bit.

    ``scores`` = -value (higher = harder); ``values["shapley"]`` keeps the raw values.

    Parameters
    ----------
    n_neighbors : K of the K-NN classifier (10 in Jia et al. and in the targeted-augmentation paper).
    n_folds : folds for cross-fitting when no validation rows are given.
    max_memory_mb : bound on the memory of one chunk of the distance/sort arrays.
    chunk_size : validation rows per chunk (overrides ``max_memory_mb``).
    n_jobs : chunks processed at once (threads).
    progress : show a progress bar.
    backend : ``"auto"``, ``"compiled"`` (numba, the ``fast`` extra) or ``"numpy"``; see
        :func:`knn_shapley`. The values do not depend on it.
    """

    deterministic = True
    name = "knn_shapley"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_neighbors": [positive(numbers.Integral)],
        "n_folds": [Interval(numbers.Integral, 2, None)],
        "max_memory_mb": [positive()],
        "chunk_size": [NONE, positive(numbers.Integral)],
        "n_jobs": N_JOBS,
        "progress": [BOOL],
        "backend": [Options(BACKENDS)],
    }

    def __init__(
        self,
        *,
        n_neighbors: int = 10,
        n_folds: int = 5,
        max_memory_mb: float = 1024,
        chunk_size: int | None = None,
        n_jobs: int = 1,
        progress: bool = False,
        backend: str = "auto",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.n_folds = n_folds
        self.max_memory_mb = max_memory_mb
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.progress = progress
        self.backend = backend

    def _score(
        self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        encoder = FeatureEncoder().fit(X)
        Z = encoder.transform(X)
        opts = dict(
            n_neighbors=self.n_neighbors,
            chunk_size=self.chunk_size,
            max_memory_mb=self.max_memory_mb,
            n_jobs=self.n_jobs,
            progress=self.progress,
            backend=self.backend,
        )
        values = against_reference(knn_shapley, encoder, Z, y, X_val, y_val, self._row_hashes, self.n_folds, opts)
        return -values, {"shapley": values}


def against_reference(
    value_fn: Any,
    encoder: Any,
    Z: np.ndarray,
    y: np.ndarray,
    X_val: Any,
    y_val: Any,
    hashes: np.ndarray,
    n_folds: int,
    opts: dict[str, Any],
) -> np.ndarray:
    """Values against the validation rows when given, else cross-fitted over ``n_folds``."""
    if X_val is not None:
        return value_fn(Z, y, encoder.transform(X_val), y_val, **opts)
    return cross_fitted(value_fn, hashes, Z, y, n_folds, opts)


def cross_fitted(
    value_fn: Any, hashes: np.ndarray, Z: np.ndarray, y: np.ndarray, n_folds: int, opts: dict[str, Any]
) -> np.ndarray:
    """Each fold serves once as the validation rows of the others; a row's value is its mean
    over the folds it was a training row in. Folds come from content hashes (order-free)."""
    fold = hash_folds(hashes, n_folds)
    total = np.zeros(len(Z))
    count = np.zeros(len(Z))
    for f in range(n_folds):
        val = fold == f
        train = ~val
        if not val.any() or train.sum() == 0:
            continue
        total[train] += value_fn(Z[train], y[train], Z[val], y[val], **opts)
        count[train] += 1
    if (count == 0).any():
        raise DataError(
            f"Cross-fitting needs more distinct rows: {int((count == 0).sum())} rows were never in a "
            "training fold. Give validation rows (X_val, y_val) instead."
        )
    return total / count
