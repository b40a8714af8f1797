"""The compiled kernel of exact KNN-Shapley (optional: numba, the ``fast`` extra).

:func:`tabaugment.hardness.knn_shapley` orders each validation row's training rows by packed
(distance, index) keys and runs the recursion with whole-chunk numpy arrays. This kernel does the
same per validation row in one compiled loop, with the same keys, the same order and the same
floating-point operations in the same sequence, so its values are identical to the numpy path's
bit for bit (a test holds it to that). What it saves is the work numpy cannot fuse:

- the order comes from a stable LSD radix sort (two or three passes of at most 13 bits, counts
  in L1) of 32-bit keys: each packed key rounded to float32. Rounding is monotone, so the 32-bit
  order is the packed-key order except inside runs of equal 32-bit keys, which are then put in
  packed-key order (rare: neighbours within one float32 step); the 64-bit sort it replaces
  costs two to three times a float32 sort;
- the match of each neighbour's label, the reversed cumulative sum of the recursion and the
  scatter of the values back to their rows happen in one pass, with no chunk-sized temporaries.

Memory: besides the chunk's distance product (which the caller owns and this kernel overwrites
with the packed keys), five arrays of the training-set length.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["available", "chunk_values"]

_RADIX_BITS = 13  # digits of at most 13 bits: 8,192 counters, 32 KiB, one L1 cache
_SMALL_RUN = 16  # runs of equal 32-bit keys up to this length are insertion-sorted


def available() -> bool:
    """Whether numba is installed (the kernel compiles on first use)."""
    return importlib.util.find_spec("numba") is not None


def chunk_values(
    product: np.ndarray,
    sq_norms: np.ndarray,
    val_terms: np.ndarray,
    y: np.ndarray,
    yv: np.ndarray,
    weights: np.ndarray,
    start_div: float,
    bits: int,
) -> np.ndarray:
    """Sum over one chunk's validation rows of each training row's Shapley value.

    ``product`` is the chunk's ``X_val @ X.T`` (float64, C-contiguous; overwritten); ``val_terms``
    each validation row's squared norm plus one; ``bits`` the low key bits that hold the row index.
    """
    out = np.zeros(product.shape[1], dtype=np.float64)
    _compiled()(product, sq_norms, val_terms, y, yv, weights, float(start_div), int(bits), out)
    return out


@functools.cache
def _compiled() -> Callable[..., None]:
    from tabaugment._optional import import_optional

    numba = import_optional("numba", extra="fast", purpose="the compiled KNN-Shapley kernel")
    compiled: Callable[..., None] = numba.njit(nogil=True, cache=True)(_rows)
    return compiled


def _rows(
    product: Any,
    sq_norms: Any,
    val_terms: Any,
    y: Any,
    yv: Any,
    weights: Any,
    start_div: float,
    bits: int,
    out: Any,
) -> None:
    """The kernel, written for numba (it also runs, slowly, as plain Python on numpy arrays)."""
    n_val, n = product.shape
    mask = np.uint64((1 << bits) - 1)
    high = ~mask
    key_float = np.empty(n, np.float32)
    key = key_float.view(np.uint32)
    key_tmp = np.empty(n, np.uint32)
    order = np.empty(n, np.int64)
    order_tmp = np.empty(n, np.int64)
    counts = np.empty(1 << _RADIX_BITS, np.int64)
    run = np.empty(n, np.uint64)
    for r in range(n_val):
        dist = product[r]
        packed = dist.view(np.uint64)
        # the packed keys, exactly as the numpy path builds them: 1 + squared distance (at least
        # 1, so a normal float) with the row index in its low mantissa bits. Read back as a float,
        # a packed key is monotone in it, and so is its float32 rounding: the 32-bit sort key
        for i in range(n):
            d = dist[i] * -2.0
            d = d + sq_norms[i]
            d = d + val_terms[r]
            if d < 1.0:
                d = 1.0
            dist[i] = d
            packed[i] = (packed[i] & high) | np.uint64(i)
            key_float[i] = np.float32(dist[i])
            order[i] = i
        lowest = key[0]
        highest = key[0]
        for i in range(n):
            k = key[i]
            if k < lowest:
                lowest = k
            if k > highest:
                highest = k
        # stable LSD radix sort of (key - lowest): passes of at most _RADIX_BITS bits
        span = highest - lowest
        width_total = 0
        while width_total < 32 and (span >> np.uint32(width_total)) > 0:
            width_total += 1
        passes = (width_total + _RADIX_BITS - 1) // _RADIX_BITS
        width = (width_total + passes - 1) // passes if passes > 0 else 0
        digit = np.uint32((1 << width) - 1)
        for i in range(n):
            key[i] = key[i] - lowest
        src_key, src_order, dst_key, dst_order = key, order, key_tmp, order_tmp
        for p in range(passes):
            shift = np.uint32(p * width)
            counts[: 1 << width] = 0
            for i in range(n):
                counts[(src_key[i] >> shift) & digit] += 1
            total = 0
            for b in range(1 << width):
                c = counts[b]
                counts[b] = total
                total += c
            for i in range(n):
                k = src_key[i]
                b = (k >> shift) & digit
                q = counts[b]
                counts[b] = q + 1
                dst_key[q] = k
                dst_order[q] = src_order[i]
            src_key, src_order, dst_key, dst_order = dst_key, dst_order, src_key, src_order
        sorted_key, nearest = src_key, src_order
        # runs of equal 32-bit keys: into packed-key order (distance, then row index)
        lo = 0
        while lo < n:
            hi = lo + 1
            while hi < n and sorted_key[hi] == sorted_key[lo]:
                hi += 1
            if hi - lo > 1:
                m = hi - lo
                for j in range(m):
                    run[j] = packed[nearest[lo + j]]
                if m <= _SMALL_RUN:
                    for j in range(1, m):
                        v = run[j]
                        q = j - 1
                        while q >= 0 and run[q] > v:
                            run[q + 1] = run[q]
                            q -= 1
                        run[q + 1] = v
                else:
                    run[:m].sort()
                for j in range(m):
                    nearest[lo + j] = np.int64(run[j] & mask)
            lo = hi
        # the recursion from the farthest row inwards, scattered as it goes; the same operations in
        # the same order as the numpy path's reversed cumulative sum
        target = yv[r]
        far = nearest[n - 1]
        m_next = 1.0 if y[far] == target else 0.0
        last = m_next / start_div
        out[far] += last
        acc = 0.0
        for i in range(n - 2, -1, -1):
            row = nearest[i]
            m_i = 1.0 if y[row] == target else 0.0
            acc += (m_i - m_next) * weights[i]
            out[row] += acc + last
            m_next = m_i
