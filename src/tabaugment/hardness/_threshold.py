"""Threshold KNN-Shapley (after Wang et al., NeurIPS 2023): neighbours within a radius, linear time.

For a validation point ``v`` the classifier looks at the training rows within distance
``radius`` of it. With ``A`` such rows of which ``M`` share ``v``'s label, the utility of a
subset S is ``m(S) / |S_r|`` (the share of in-radius rows of S with the right label), or
``1 / C`` (a guess among C classes) when no row of S is within the radius. Rows outside the
radius never change the utility, so their value is 0. For an in-radius row with match
indicator ``a`` (``M' = M - a`` matches among the others) the Shapley value has the closed
form (derived here; checked against brute force in the tests)

    phi = [ (a - 1/C) + (a - M' / (A - 1)) * (H_A - 1) ] / A       (A >= 2; phi = a - 1/C if A = 1)

with ``H_A`` the A-th harmonic number. Every in-radius row gets one of two values per
validation point, so no sort is needed: the work per chunk is one distance product and two
matrix-vector products.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._neighbors import nearest_distances
from tabaugment._progress import progress_bar
from tabaugment.data.encoding import FeatureEncoder
from tabaugment.exceptions import DataError
from tabaugment.hardness._knn_shapley import _common_codes, against_reference
from tabaugment.hardness.base import BaseHardness
from tabaugment.params import BOOL, NONE, Constraints, Interval, check_param, positive

__all__ = ["ThresholdKNNShapley", "default_radius", "threshold_knn_shapley"]


def threshold_knn_shapley(
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    radius: float,
    n_classes: int | None = None,
    max_memory_mb: float = 512,
    progress: bool = False,
) -> np.ndarray:
    """Threshold KNN-Shapley value of every training row, averaged over the validation rows."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    X_val = np.ascontiguousarray(X_val, dtype=np.float64)
    y, y_val = _common_codes(np.asarray(y), np.asarray(y_val))
    radius = float(check_param(radius, "radius", "threshold_knn_shapley", positive()))
    n, m = len(X), len(X_val)
    if n == 0 or m == 0:
        raise DataError(f"Threshold KNN-Shapley needs training and validation rows; got {n} and {m}.")
    c = float(n_classes if n_classes is not None else len(np.unique(np.concatenate([y, y_val]))))
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, n + 1))])  # H_0..H_n
    sq = np.einsum("ij,ij->i", X, X)
    chunk = max(1, int(max_memory_mb * 2**20 // (10 * n)))
    total = np.zeros(n)
    with progress_bar(progress, total=m, desc="threshold KNN-Shapley", unit="val rows") as bar:
        for lo in range(0, m, chunk):
            xv, yv = X_val[lo : lo + chunk], y_val[lo : lo + chunk]
            d = xv @ X.T
            d *= -2.0
            d += sq
            d += np.einsum("ij,ij->i", xv, xv)[:, None]
            inside = d <= radius * radius
            match = y[None, :] == yv[:, None]
            a_count = inside.sum(axis=1).astype(np.float64)
            m_count = (inside & match).sum(axis=1).astype(np.float64)
            h = harmonic[a_count.astype(np.int64)]
            with np.errstate(divide="ignore", invalid="ignore"):
                others = np.maximum(a_count - 1, 1)
                phi1 = np.where(
                    a_count > 0, ((1 - 1 / c) + (1 - (m_count - 1) / others) * (h - 1)) / np.maximum(a_count, 1), 0
                )
                phi0 = np.where(
                    a_count > 0, ((0 - 1 / c) + (0 - m_count / others) * (h - 1)) / np.maximum(a_count, 1), 0
                )
            total += (inside & match).T.astype(np.float64) @ phi1 + (inside & ~match).T.astype(np.float64) @ phi0
            bar.update(len(xv))
    return total / m


def default_radius(Z: np.ndarray, *, n_neighbors: int = 10, sample: int = 1000, random_state: int = 0) -> float:
    """Median distance from a sample of rows to their ``n_neighbors``-th nearest other row."""
    rng = np.random.default_rng(random_state)
    idx = rng.choice(len(Z), min(sample, len(Z)), replace=False)
    kk = min(n_neighbors + 1, len(Z))
    d = nearest_distances(Z[idx], Z, n_neighbors=kk)[:, -1]  # the first is the row itself
    r = float(np.median(d))
    return r if r > 0 else float(np.max(d)) or 1.0


class ThresholdKNNShapley(BaseHardness):
    """Threshold KNN-Shapley hardness: low value = hard.

    Parameters
    ----------
    radius : neighbourhood radius in the encoded space (standardised numbers, one-hot
        categories); ``None`` = the median distance of a row to its ``n_neighbors``-th nearest
        neighbour (1,000 sampled rows, seed 0).
    n_neighbors : only used to choose the default radius.
    n_folds : folds for cross-fitting when no validation rows are given.
    max_memory_mb : bound on one chunk's memory.
    """

    deterministic = True
    name = "threshold_knn_shapley"
    _parameter_constraints: ClassVar[Constraints] = {
        "radius": [NONE, positive()],
        "n_neighbors": [positive(numbers.Integral)],
        "n_folds": [Interval(numbers.Integral, 2, None)],
        "max_memory_mb": [positive()],
        "progress": [BOOL],
    }

    def __init__(
        self,
        *,
        radius: float | None = None,
        n_neighbors: int = 10,
        n_folds: int = 5,
        max_memory_mb: float = 512,
        progress: bool = False,
    ) -> None:
        self.radius = radius
        self.n_neighbors = n_neighbors
        self.n_folds = n_folds
        self.max_memory_mb = max_memory_mb
        self.progress = progress

    def _score(
        self, X: Any, y: np.ndarray, X_val: Any, y_val: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        encoder = FeatureEncoder().fit(X)
        Z = encoder.transform(X)
        radius = self.radius if self.radius is not None else default_radius(Z, n_neighbors=self.n_neighbors)
        self.radius_ = radius
        n_classes = len(np.unique(y if y_val is None else np.concatenate([y.astype(object), y_val.astype(object)])))
        opts = dict(radius=radius, n_classes=n_classes, max_memory_mb=self.max_memory_mb, progress=self.progress)
        values = against_reference(
            threshold_knn_shapley, encoder, Z, y, X_val, y_val, self._row_hashes, self.n_folds, opts
        )
        return -values, {"shapley": values}
