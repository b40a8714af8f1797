"""Nearest neighbours on numeric arrays, exact and in bounded memory, shared by every stage.

- :func:`nearest_distances`: Euclidean distances from each query row to its ``n_neighbors``
  nearest reference rows, in chunks of a BLAS distance product whose memory stays under
  ``max_memory_mb`` (privacy metrics, the default radius of threshold KNN-Shapley).
- :class:`NeighbourIndex`: the indices of each query row's nearest reference rows, through
  faiss (flat = exact, IVF = approximate, for millions of rows) or a chunked numpy search
  (approximate KNN-Shapley).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabaugment._optional import import_optional
from tabaugment._progress import progress_bar
from tabaugment.exceptions import DataError
from tabaugment.params import Options, check_param

__all__ = ["NeighbourIndex", "nearest_distances", "top_neighbours"]


def nearest_distances(
    queries: np.ndarray,
    reference: np.ndarray,
    *,
    n_neighbors: int = 1,
    max_memory_mb: float = 512,
    progress: bool = False,
) -> np.ndarray:
    """Euclidean distances from each query row to its ``n_neighbors`` nearest reference rows, sorted.

    Exact; memory per chunk is bounded by ``max_memory_mb`` (no full query x reference matrix).
    """
    q = np.ascontiguousarray(queries, dtype=np.float64)
    r = np.ascontiguousarray(reference, dtype=np.float64)
    k = n_neighbors
    if len(r) < k:
        raise DataError(f"Need at least {k} reference rows for {k} nearest distances; got {len(r)}.")
    r_sq = np.einsum("ij,ij->i", r, r)
    chunk = max(1, int(max_memory_mb * 2**20 // (24 * max(len(r), 1))))
    out = np.empty((len(q), k))
    with progress_bar(progress, total=len(q), desc="nearest rows", unit="rows") as bar:
        for lo in range(0, len(q), chunk):
            block = q[lo : lo + chunk]
            d = block @ r.T
            d *= -2.0
            d += r_sq
            d += np.einsum("ij,ij->i", block, block)[:, None]
            rows = np.arange(len(block))
            for j in range(k):  # k is small: repeated minima beat a partition of every row
                at = d.argmin(axis=1)
                out[lo + rows, j] = d[rows, at]
                d[rows, at] = np.inf
            bar.update(len(block))
    np.sqrt(np.maximum(out, 0.0), out=out)
    return out


class NeighbourIndex:
    """Nearest training rows, built once and searched chunk by chunk.

    ``kind``: ``"flat"`` (faiss, exact), ``"ivf"`` (faiss inverted lists, approximate; for
    millions of rows), ``"numpy"`` (chunked exact search, no faiss) or ``"auto"`` (flat when
    faiss is installed, else numpy).
    """

    def __init__(self, X: np.ndarray, *, kind: str = "auto", max_memory_mb: float = 512, n_probe: int = 16) -> None:
        check_param(kind, "kind", "NeighbourIndex", Options(("auto", "flat", "ivf", "numpy")))
        if kind == "auto":
            try:
                import faiss

                kind = "flat"
            except ImportError:
                kind = "numpy"
        self.kind = kind
        self.max_memory_mb = max_memory_mb
        if kind in ("flat", "ivf"):
            faiss = import_optional("faiss", extra="faiss", purpose="approximate KNN-Shapley")
            xb = np.ascontiguousarray(X, dtype=np.float32)
            index: Any
            d = xb.shape[1]
            if kind == "flat":
                index = faiss.IndexFlatL2(d)
            else:
                n_lists = max(1, int(4 * np.sqrt(len(xb))))
                index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, n_lists)
                sample = np.random.default_rng(0).choice(len(xb), min(len(xb), 50 * n_lists), replace=False)
                index.train(xb[np.sort(sample)])
                index.nprobe = n_probe
            index.add(xb)
            self.index = index
        else:
            self.X = np.ascontiguousarray(X, dtype=np.float64)
            self.sq = np.einsum("ij,ij->i", self.X, self.X)

    def search(self, Q: np.ndarray, top: int) -> np.ndarray:
        """Indices of the ``top`` nearest training rows of each query row, nearest first."""
        if self.kind in ("flat", "ivf"):
            _, nn = self.index.search(np.ascontiguousarray(Q, dtype=np.float32), top)
            if (nn < 0).any():
                raise DataError(
                    "The approximate index returned fewer neighbours than asked; raise n_probe or use index='flat'."
                )
            return nn.astype(np.int64)
        X, n = self.X, len(self.X)
        chunk = max(1, int(self.max_memory_mb * 2**20 // (16 * n)))
        out = np.empty((len(Q), top), dtype=np.int64)
        for lo in range(0, len(Q), chunk):
            d = Q[lo : lo + chunk] @ X.T
            d *= -2.0
            d += self.sq
            part = np.argpartition(d, top - 1, axis=1)[:, :top] if top < n else np.tile(np.arange(n), (len(d), 1))
            order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
            out[lo : lo + len(d)] = np.take_along_axis(part, order, axis=1)
        return out


def top_neighbours(
    X: np.ndarray, X_val: np.ndarray, top: int, *, index: str = "auto", max_memory_mb: float = 512, n_probe: int = 16
) -> np.ndarray:
    """Indices of the ``top`` nearest training rows of each validation row, nearest first."""
    return NeighbourIndex(X, kind=index, max_memory_mb=max_memory_mb, n_probe=n_probe).search(X_val, top)
