"""Adversarial random forests (Watson et al., AISTATS 2023): a tree-based generator.

Fitting alternates two steps, on scikit-learn's random forests. Synthetic rows are drawn
from the leaves of the current forest with every column independent within a leaf (at the
start: every column drawn independently from its marginal). A forest is trained to tell real
from synthetic rows; when its out-of-bag accuracy drops to ``0.5 + delta`` (or after
``max_iterations``), the leaves of the last forest are the mixture components.

Density per leaf (FORDE): its share of the real rows; for each numerical column a normal
truncated to the leaf's real range (a point mass when the leaf has one value); for each
categorical column the leaf's level frequencies. Sampling picks a tree, then a leaf by its
share, then every column from that leaf. Conditions reweight the leaves by the conditioned
levels' frequencies and fix those columns, so conditional sampling is exact, on any
categorical column, without rejection.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState, derive_seed
from tabaugment.exceptions import DataError
from tabaugment.generators.base import BaseGenerator
from tabaugment.params import N_JOBS, RANDOM_STATE, Constraints, Interval, Options, positive

__all__ = ["AdversarialRandomForest"]


class AdversarialRandomForest(BaseGenerator):
    """Adversarial random forest generator (scikit-learn; no torch).

    Parameters
    ----------
    n_estimators : trees per forest (10, as in the reference R package).
    min_samples_leaf : smallest leaf (5); leaves are mixture components, so this bounds how
        closely the generator can follow single rows.
    delta : stop when the out-of-bag accuracy is at most 0.5 + delta (0), or when a round
        does not improve the best accuracy so far by 0.01 (a plateau: on Adult the accuracy
        settles near 0.52 and would otherwise run every round).
    numeric : how a leaf draws numbers: ``"empirical"`` (one of the leaf's real values: keeps
        zero-inflated and whole-number columns as they are) or ``"truncnorm"`` (a normal
        truncated to the leaf's range, as in the paper's FORDE; detectable on columns such as
        Adult's capital-gain, so the adversarial rounds do not converge).
    max_iterations : adversarial rounds at most (10).
    n_jobs : forest threads.
    random_state : seed.
    """

    name = "arf"
    conditionable = "categorical"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_estimators": [positive(numbers.Integral)],
        "min_samples_leaf": [positive(numbers.Integral)],
        "delta": [Interval(numbers.Real, 0, 1)],
        "max_iterations": [Interval(numbers.Integral, 0, None)],
        "numeric": [Options(("empirical", "truncnorm"))],
        "n_jobs": N_JOBS,
        "random_state": RANDOM_STATE,
    }
    min_rows: int = 10

    def __init__(
        self,
        *,
        n_estimators: int = 10,
        min_samples_leaf: int = 5,
        delta: float = 0.0,
        max_iterations: int = 10,
        numeric: str = "empirical",
        n_jobs: int = 1,
        random_state: RandomState = None,
    ) -> None:
        self.numeric = numeric
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.delta = delta
        self.max_iterations = max_iterations
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _features(self, num: np.ndarray, codes: np.ndarray) -> np.ndarray:
        filled = np.where(np.isnan(num), self.fill_, num)
        return np.hstack([filled, np.isnan(num).astype(np.float64)[:, self.has_nan_], codes.astype(np.float64)])

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        from sklearn.ensemble import RandomForestClassifier

        n = len(num) if num.shape[1] else len(codes)
        if n < self.min_rows:
            raise DataError(f"ARF needs at least {self.min_rows} rows to fit; got {n}. Use gaussian_copula or smote.")
        rng = np.random.default_rng(derive_seed(self.random_state if self.random_state is not None else self._rng_))
        self.fill_ = np.array([np.nanmedian(c) if np.isfinite(c).any() else 0.0 for c in num.T])
        self.has_nan_ = np.isnan(num).any(axis=0)
        X_real = self._features(num, codes)
        # initial synthetic rows: every column from its own marginal
        syn_num = (
            np.column_stack([rng.choice(num[:, j], n) for j in range(num.shape[1])])
            if num.shape[1]
            else num[:0].reshape(n, 0)
        )
        syn_codes = (
            np.column_stack([rng.choice(codes[:, j], n) for j in range(codes.shape[1])]) if codes.shape[1] else codes
        )
        min_leaf = int(min(self.min_samples_leaf, max(1, n // 10)))
        self.accuracy_: list[float] = []
        forest = None
        for _ in range(max(1, self.max_iterations + 1)):
            X = np.vstack([X_real, self._features(syn_num, syn_codes)])
            y = np.r_[np.ones(n), np.zeros(n)]
            with warnings.catch_warnings():  # few trees leave some rows without OOB votes
                warnings.simplefilter("ignore", UserWarning)
                forest = RandomForestClassifier(
                    n_estimators=self.n_estimators,
                    min_samples_leaf=min_leaf,
                    oob_score=True,
                    n_jobs=self.n_jobs,
                    random_state=int(rng.integers(0, 2**31 - 1)),
                ).fit(X, y)
            acc = float(forest.oob_score_)
            plateau = len(self.accuracy_) >= 2 and acc > min(self.accuracy_) - 0.01
            self.accuracy_.append(acc)
            self._leaf_model(forest, X_real, num, codes)
            if acc <= 0.5 + self.delta or plateau or len(self.accuracy_) > self.max_iterations:
                break
            syn_num, syn_codes = self._draw(n, {}, rng)
        self.n_iterations_ = len(self.accuracy_)

    def _leaf_model(self, forest: Any, X_real: np.ndarray, num: np.ndarray, codes: np.ndarray) -> None:
        """Leaf shares and per-leaf statistics of the real rows, for all trees at once."""
        leaves = forest.apply(X_real)  # (n, trees) node ids
        n, n_trees = leaves.shape
        offsets = np.cumsum([0] + [est.tree_.node_count for est in forest.estimators_])
        gid = (leaves + offsets[:-1][None, :]).ravel(order="F")  # global leaf id per (tree, row)
        rows = np.tile(np.arange(n), n_trees)
        uniq, inv = np.unique(gid, return_inverse=True)
        order = np.argsort(inv, kind="stable")
        self.leaf_rows_ = rows[order]  # real rows grouped by leaf
        counts = np.bincount(inv, minlength=len(uniq))
        self.leaf_start_ = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.leaf_count_ = counts
        self.leaf_tree_ = np.searchsorted(offsets, uniq, side="right") - 1
        self.n_trees_ = n_trees
        # numerical columns: mean, sd, min, max per leaf (NaN-aware)
        k = len(uniq)
        p = num.shape[1]
        self.leaf_mean_ = np.zeros((k, p))
        self.leaf_sd_ = np.zeros((k, p))
        self.leaf_lo_ = np.zeros((k, p))
        self.leaf_hi_ = np.zeros((k, p))
        self.leaf_nan_ = np.zeros((k, p))
        for j in range(p):
            v = num[self.leaf_rows_, j]
            present = ~np.isnan(v)
            cnt = np.add.reduceat(present.astype(float), self.leaf_start_)
            s1 = np.add.reduceat(np.where(present, v, 0.0), self.leaf_start_)
            s2 = np.add.reduceat(np.where(present, v * v, 0.0), self.leaf_start_)
            safe = np.maximum(cnt, 1)
            mean = s1 / safe
            self.leaf_mean_[:, j] = np.where(cnt > 0, mean, self.fill_[j])
            self.leaf_sd_[:, j] = np.sqrt(np.maximum(s2 / safe - mean**2, 0.0))
            self.leaf_lo_[:, j] = np.where(
                cnt > 0, np.minimum.reduceat(np.where(present, v, np.inf), self.leaf_start_), self.fill_[j]
            )
            self.leaf_hi_[:, j] = np.where(
                cnt > 0, np.maximum.reduceat(np.where(present, v, -np.inf), self.leaf_start_), self.fill_[j]
            )
            self.leaf_nan_[:, j] = 1 - cnt / self.leaf_count_
        self.leaf_codes_ = codes[self.leaf_rows_]  # categorical values of the rows of each leaf
        self.leaf_num_ = num[self.leaf_rows_]  # numerical values, for numeric="empirical"

    # ------------------------------------------------------------------ sample
    def _has_rows(self, column: int, code: int) -> bool:
        return bool((self.leaf_codes_[:, column] == code).any())

    def _leaf_weights(self, conditions: dict[int, int]) -> np.ndarray:
        w = self.leaf_count_.astype(np.float64)
        for j, code in conditions.items():
            hit = np.add.reduceat((self.leaf_codes_[:, j] == code).astype(float), self.leaf_start_)
            w = w * hit / self.leaf_count_
        # each tree is a complete mixture: weight leaves within their tree, trees equally
        tree_total = np.bincount(self.leaf_tree_, weights=w, minlength=self.n_trees_)
        live = tree_total[self.leaf_tree_] > 0
        w = np.where(live, w / np.where(tree_total[self.leaf_tree_] > 0, tree_total[self.leaf_tree_], 1), 0.0)
        if w.sum() == 0:
            raise DataError("No leaf of the forest holds rows with all the requested conditions together; relax them.")
        return w / w.sum()

    def _draw(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        from scipy.stats import truncnorm

        w = self._leaf_weights(conditions)
        leaf = rng.choice(len(w), size=n, p=w)
        p = self.leaf_mean_.shape[1]
        num = np.empty((n, p))
        integer = np.array([self.spec_.integer[c] for c in self.spec_.numerical], dtype=bool)
        for j in range(p):
            if self.numeric == "empirical":
                pick = self.leaf_start_[leaf] + (rng.random(n) * self.leaf_count_[leaf]).astype(np.int64)
                num[:, j] = self.leaf_num_[pick, j]
                continue
            mu, sd = self.leaf_mean_[leaf, j], self.leaf_sd_[leaf, j]
            lo, hi = self.leaf_lo_[leaf, j], self.leaf_hi_[leaf, j]
            u = rng.random(n)
            vals = mu.copy()
            spread = (sd > 0) & (hi > lo)
            if spread.any():
                a, b = (lo[spread] - mu[spread]) / sd[spread], (hi[spread] - mu[spread]) / sd[spread]
                vals[spread] = truncnorm.ppf(u[spread], a, b, loc=mu[spread], scale=sd[spread])
            vals = np.clip(np.where(np.isfinite(vals), vals, mu), lo, hi)
            if integer[j]:  # whole-number columns stay whole, also inside the adversarial loop
                vals = np.round(vals)
            vals[rng.random(n) < self.leaf_nan_[leaf, j]] = np.nan
            num[:, j] = vals
        codes = np.empty((n, self.leaf_codes_.shape[1]), dtype=np.int64)
        for j in range(codes.shape[1]):
            if j in conditions:
                codes[:, j] = conditions[j]
                continue
            # a level drawn by the leaf's frequencies: a random real row of the leaf
            pick = self.leaf_start_[leaf] + (rng.random(n) * self.leaf_count_[leaf]).astype(np.int64)
            codes[:, j] = self.leaf_codes_[pick, j]
        return num, codes

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self._draw(n, conditions, rng)

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        names = (
            "fill_",
            "has_nan_",
            "leaf_rows_",
            "leaf_start_",
            "leaf_count_",
            "leaf_tree_",
            "leaf_mean_",
            "leaf_sd_",
            "leaf_lo_",
            "leaf_hi_",
            "leaf_nan_",
            "leaf_codes_",
            "leaf_num_",
        )
        return {"n_trees": int(self.n_trees_), "accuracy": self.accuracy_}, {
            k: np.asarray(getattr(self, k)) for k in names
        }

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        for k, v in arrays.items():
            setattr(self, k, v)
        self.n_trees_ = int(state["n_trees"])
        self.accuracy_ = list(state["accuracy"])
        self.n_iterations_ = len(self.accuracy_)
