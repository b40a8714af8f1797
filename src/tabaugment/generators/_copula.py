"""A Gaussian copula for mixed tables, one copula per class, on numpy and scipy.

Each column is mapped to a standard-normal score through its empirical distribution:

- numerical: mid-ranks ``(rank - 0.5) / n`` (ties share a rank), then the normal quantile;
  sampling maps a normal draw back through the empirical quantile function (linear
  interpolation between the sorted values), so values stay within the fitted bounds, and
  integer columns are rounded;
- categorical: each category owns an interval of [0, 1] as wide as its frequency (most
  frequent first); a row's score is the normal quantile of a seeded uniform draw inside its
  category's interval, and a sampled score falls back into an interval, so category
  frequencies are preserved.

The correlation of the scores (made positive definite) ties the columns together. With a
target, one copula is fitted per class, which makes class-conditional sampling exact.
Missing values are drawn independently at each column's missing rate within the class.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import special

from tabaugment._random import RandomState
from tabaugment.generators.base import BaseGenerator, allocate
from tabaugment.params import RANDOM_STATE, Constraints

__all__ = ["GaussianCopula"]

_EPS = 1e-6


def _ndtri(u: np.ndarray) -> np.ndarray:
    return special.ndtri(np.clip(u, _EPS, 1 - _EPS))


class GaussianCopula(BaseGenerator):
    """Gaussian copula with empirical marginals, fitted per class.

    Parameters
    ----------
    random_state : seed of the draws that place categorical rows inside their interval at
        fit, and of sampling.
    """

    name = "gaussian_copula"
    _parameter_constraints: ClassVar[Constraints] = {"random_state": RANDOM_STATE}
    conditionable = "target"

    def __init__(self, *, random_state: RandomState = None) -> None:
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        t = self.target_index
        self.feature_codes_ = [j for j in range(codes.shape[1]) if j != t]
        if t is None:
            groups = {-1: np.arange(len(num))}
        else:
            labels = codes[:, t]
            groups = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels[labels >= 0])}
        self.class_codes_ = np.asarray(sorted(groups), dtype=np.int64)
        self.class_counts_ = np.asarray([len(groups[c]) for c in self.class_codes_], dtype=np.int64)
        self.models_ = [self._fit_group(num[groups[c]], codes[groups[c]]) for c in self.class_codes_]

    def _fit_group(self, num: np.ndarray, codes: np.ndarray) -> dict[str, Any]:
        rng = self._rng_
        n = len(num)
        feats = self.feature_codes_
        scores = np.zeros((n, num.shape[1] + len(feats)))
        model: dict[str, Any] = {"sorted": [], "missing": [], "freq": [], "order": []}
        for j in range(num.shape[1]):
            col = num[:, j]
            present = ~np.isnan(col)
            model["missing"].append(1.0 - present.mean())
            values = np.sort(col[present])
            model["sorted"].append(values if len(values) else np.zeros(1))
            if len(values) > 1:
                from scipy.stats import rankdata

                u = (rankdata(col[present]) - 0.5) / present.sum()
                scores[present, j] = _ndtri(u)
        n_cats = [len(self.spec_.categories[self.spec_.categorical[j]]) for j in feats]
        for i, (j, k) in enumerate(zip(feats, n_cats)):
            col = codes[:, j] + 1  # 0 = missing
            freq = np.bincount(col, minlength=k + 1).astype(np.float64) / n
            order = np.argsort(-freq, kind="stable")  # most frequent first
            width = freq[order]
            lower = np.concatenate([[0.0], np.cumsum(width)[:-1]])
            pos = np.empty(k + 1, dtype=np.int64)
            pos[order] = np.arange(k + 1)
            lo, wd = lower[pos[col]], width[pos[col]]
            u = lo + wd * rng.random(n)
            scores[:, num.shape[1] + i] = _ndtri(u)
            model["freq"].append(freq)
            model["order"].append(order)
        model["corr"] = _correlation(scores)
        return model

    # ------------------------------------------------------------------ sample
    def _has_rows(self, column: int, code: int) -> bool:
        return bool(np.isin(code, self.class_codes_))

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = self.target_index
        if t is not None and t in conditions:
            plan = [(int(np.flatnonzero(self.class_codes_ == conditions[t])[0]), n)]
        else:
            plan = [(g, int(k)) for g, k in enumerate(allocate(n, self.class_counts_)) if k > 0]
        parts = [self._sample_group(g, k, rng) for g, k in plan]
        num = np.concatenate([p[0] for p in parts])
        codes = np.concatenate([p[1] for p in parts])
        if len(plan) > 1:
            perm = rng.permutation(len(num))
            num, codes = num[perm], codes[perm]
        return num, codes

    def _sample_group(self, g: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        model = self.models_[g]
        p = len(model["sorted"])
        z = rng.standard_normal((n, model["corr"].shape[0])) @ _sqrt_psd(model["corr"]).T
        u = special.ndtr(z)
        num = np.empty((n, p))
        for j in range(p):
            values = model["sorted"][j]
            m = len(values)
            grid = (np.arange(m) + 0.5) / m
            num[:, j] = np.interp(u[:, j], grid, values)
            miss = model["missing"][j]
            if miss > 0:
                num[rng.random(n) < miss, j] = np.nan
        codes = np.empty((n, len(self.spec_.categorical)), dtype=np.int64)
        for i, j in enumerate(self.feature_codes_):
            freq, order = model["freq"][i], model["order"][i]
            edges = np.cumsum(freq[order])
            slot = np.minimum(np.searchsorted(edges, u[:, p + i], side="right"), len(order) - 1)
            # skip empty categories that a boundary draw could land on
            chosen = order[slot]
            empty = freq[chosen] == 0
            if empty.any():
                nonzero = order[freq[order] > 0]
                chosen[empty] = nonzero[-1]
            codes[:, j] = chosen - 1
        t = self.target_index
        if t is not None:
            codes[:, t] = self.class_codes_[g]
        return num, codes

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {
            "class_codes": self.class_codes_,
            "class_counts": self.class_counts_,
        }
        for g, model in enumerate(self.models_):
            arrays[f"{g}/corr"] = model["corr"]
            arrays[f"{g}/missing"] = np.asarray(model["missing"], dtype=np.float64)
            for j, values in enumerate(model["sorted"]):
                arrays[f"{g}/sorted/{j}"] = values
            for i, (freq, order) in enumerate(zip(model["freq"], model["order"])):
                arrays[f"{g}/freq/{i}"] = freq
                arrays[f"{g}/order/{i}"] = order
        return {"feature_codes": self.feature_codes_}, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, Any]) -> None:
        self.feature_codes_ = [int(j) for j in state["feature_codes"]]
        self.class_codes_ = arrays["class_codes"]
        self.class_counts_ = arrays["class_counts"]
        p = len(self.spec_.numerical)
        self.models_ = []
        for g in range(len(self.class_codes_)):
            self.models_.append(
                {
                    "corr": arrays[f"{g}/corr"],
                    "missing": list(arrays[f"{g}/missing"]),
                    "sorted": [arrays[f"{g}/sorted/{j}"] for j in range(p)],
                    "freq": [arrays[f"{g}/freq/{i}"] for i in range(len(self.feature_codes_))],
                    "order": [arrays[f"{g}/order/{i}"] for i in range(len(self.feature_codes_))],
                }
            )


def _correlation(scores: np.ndarray) -> np.ndarray:
    """Correlation of the normal scores; constant columns are uncorrelated; positive definite."""
    d = scores.shape[1]
    if d == 0:
        return np.zeros((0, 0))
    if len(scores) < 3:
        return np.eye(d)
    std = scores.std(axis=0)
    live = std > 1e-12
    corr = np.eye(d)
    if live.sum() > 1:
        corr[np.ix_(live, live)] = np.corrcoef(scores[:, live], rowvar=False)
    corr = np.nan_to_num(corr)
    np.fill_diagonal(corr, 1.0)
    w, v = np.linalg.eigh(corr)
    w = np.clip(w, 1e-6, None)
    corr = (v * w) @ v.T
    s = np.sqrt(np.diag(corr))
    return corr / np.outer(s, s)


def _sqrt_psd(corr: np.ndarray) -> np.ndarray:
    if corr.size == 0:
        return corr
    w, v = np.linalg.eigh(corr)
    return v * np.sqrt(np.clip(w, 0, None))
