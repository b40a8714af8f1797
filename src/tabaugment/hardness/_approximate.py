"""Approximate KNN-Shapley for large tables: exact recursion on the top-T neighbours.

For each validation point only its ``T`` nearest training rows are retrieved (faiss, when
installed, or a chunked exact search). On them the Jia et al. recursion runs exactly, started
from an estimate of the T-th value. The tail is treated in expectation:

- beyond rank T, labels are taken to match the validation label with probability ``p``
  (the share of training rows of that label), so ``s_T ~ p/N + (m_T - p)/T`` (T >= K);
- a training row that is not retrieved has an unknown rank, taken as uniform on (T, N]; its
  value is the expectation ``p/N + (m - p) (H_N - H_T) / (N - T)``, where m says whether its
  label matches (H: harmonic numbers).

Non-retrieved rows therefore get one of two small values per validation point, computed in
bulk per class; the work is the neighbour search plus O(T) per validation point.
``benchmarks/hardness.py`` reports the rank agreement with the exact values.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._neighbors import NeighbourIndex
from tabaugment._progress import progress_bar
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.exceptions import ParameterError
from tabaugment.hardness._knn_shapley import _common_codes, against_reference
from tabaugment.hardness.base import BaseHardness
from tabaugment.params import BOOL, Constraints, Interval, Options, check_param, positive

__all__ = ["ApproximateKNNShapley", "approximate_knn_shapley"]

logger = logging.getLogger(__name__)


def approximate_knn_shapley(
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_neighbors: int,
    top: int = 100,
    index: str = "auto",
    max_memory_mb: float = 512,
    progress: bool = False,
) -> np.ndarray:
    """KNN-Shapley from each validation point's ``top`` nearest training rows (see module doc)."""
    y, y_val = _common_codes(np.asarray(y), np.asarray(y_val))
    n, m = len(X), len(X_val)
    k = check_param(n_neighbors, "n_neighbors", "approximate_knn_shapley", positive(numbers.Integral))
    top = min(check_param(top, "top", "approximate_knn_shapley", positive(numbers.Integral)), n)
    if top < min(k, n):
        raise ParameterError(
            f"top ({top}) must be at least n_neighbors ({k}): the K nearest neighbours need exact values."
        )
    classes, y_idx = np.unique(y, return_inverse=True)
    share = np.bincount(y_idx, minlength=len(classes)) / n
    pos = {c: i for i, c in enumerate(classes)}
    p = np.array([share[pos[v]] if v in pos else 0.0 for v in y_val])
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, n + 1))])
    tail_w = (harmonic[n] - harmonic[top]) / (n - top) if n > top else 0.0
    t0 = p / n - p * tail_w  # tail value of a non-matching row, per validation point
    t1 = p / n + (1 - p) * tail_w  # ... of a matching row
    # bulk tail: every row gets t0, plus (t1 - t0) for the validation points of its label
    total = np.full(n, t0.sum())
    for c, i in pos.items():
        total[y_idx == i] += (t1 - t0)[y_val == c].sum()
    ranks = np.arange(1, top + 1, dtype=np.float64)
    c_w = np.minimum(k, ranks) / (k * ranks)
    searcher = NeighbourIndex(X, kind=index, max_memory_mb=max_memory_mb)  # built once
    chunk = max(1, int(max_memory_mb * 2**20 // (48 * top + (16 * n if searcher.kind == "numpy" else 0))))
    with progress_bar(progress, total=m, desc="approximate KNN-Shapley", unit="val rows") as bar:
        for lo in range(0, m, chunk):
            hi = min(lo + chunk, m)
            nn = searcher.search(X_val[lo:hi], top)
            match = (y[nn] == y_val[lo:hi, None]).astype(np.float64)
            pc = p[lo:hi]
            s = np.empty_like(match)
            s[:, -1] = pc / n + (match[:, -1] - pc) / top if n > top else match[:, -1] / max(n, k)
            if top > 1:
                step = (match[:, :-1] - match[:, 1:]) * c_w[:-1]
                s[:, :-1] = s[:, -1:] + np.cumsum(step[:, ::-1], axis=1)[:, ::-1]
            tail = np.where(match == 1, t1[lo:hi, None], t0[lo:hi, None])
            total += np.bincount(nn.ravel(), weights=(s - tail).ravel(), minlength=n)
            bar.update(hi - lo)
    return total / m


class ApproximateKNNShapley(BaseHardness):
    """Approximate KNN-Shapley hardness for large tables (top-T neighbours; see module doc).

    Parameters
    ----------
    n_neighbors : K.
    top : neighbours retrieved per validation row (T >= K).
    index : ``"auto"``, ``"flat"``, ``"ivf"`` (faiss) or ``"numpy"``.
    n_folds : folds for cross-fitting when no validation rows are given.
    """

    deterministic = True
    name = "approximate_knn_shapley"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_neighbors": [positive(numbers.Integral)],
        "top": [positive(numbers.Integral)],
        "index": [Options(("auto", "flat", "ivf", "numpy"))],
        "n_folds": [Interval(numbers.Integral, 2, None)],
        "max_memory_mb": [positive()],
        "progress": [BOOL],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"top": 20, "index": "numpy"}

    def __init__(
        self,
        *,
        n_neighbors: int = 10,
        top: int = 100,
        index: str = "auto",
        n_folds: int = 5,
        max_memory_mb: float = 512,
        progress: bool = False,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.top = top
        self.index = index
        self.n_folds = n_folds
        self.max_memory_mb = max_memory_mb
        self.progress = progress

    def _check_params(self) -> None:
        if self.top < self.n_neighbors:
            raise ParameterError(
                f"The 'top' parameter of {type(self).__name__} ({self.top}) must be at least n_neighbors "
                f"({self.n_neighbors}): the K nearest neighbours need exact values."
            )

    def _score(
        self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        encoder = FeatureEncoder().fit(X)
        Z = encoder.transform(X)
        opts = dict(
            n_neighbors=self.n_neighbors,
            top=self.top,
            index=self.index,
            max_memory_mb=self.max_memory_mb,
            progress=self.progress,
        )
        values = against_reference(
            approximate_knn_shapley, encoder, Z, y, X_val, y_val, self._row_hashes, self.n_folds, opts
        )
        return -values, {"shapley": values}
