"""Mode-specific normalisation and one-hot encoding for neural generators (TVAE, CTGAN, CTAB-GAN+).

Numerical column (Xu et al. 2019): a variational Gaussian mixture, fitted on at most
``max_fit_rows`` values, keeps the modes with weight above ``min_weight``. A value becomes
(one-hot of its mode, alpha = (x - mu_mode) / (4 sigma_mode) clipped to [-0.99, 0.99]); the
mode is drawn from the posterior with a seeded generator (as in the paper), or taken as the
most likely one. Missing values get a mode slot of their own (alpha = 0).

With ``point_mass`` set (CTAB-GAN's mixed-type encoder, Zhao et al. 2021), every value that
holds at least that share of a column's present values (at most ``max_modes`` of them, the
most frequent) gets a mode slot of its own with alpha = 0, and the mixture is fitted on the
other values; such a value (a zero capital gain, a round amount) comes back exactly instead
of smeared by its Gaussian.

Categorical column: one-hot, with a slot for missing values. Columns with more than
``max_levels`` levels keep their most frequent ``max_levels - 1`` levels and group the rest
into one "other" slot; decoding "other" draws one of the grouped levels by its frequency.
So a 20,000-level column costs ``max_levels`` columns, not 20,000.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["Span", "TableTransformer"]


@dataclasses.dataclass
class Span:
    """A block of output columns: ``kind`` is "alpha" (one tanh value) or "onehot"."""

    start: int
    width: int
    kind: str
    column: int  # index into the spec's numerical (alpha / mode) or categorical (onehot) columns
    role: str  # "value", "mode" or "category"


class TableTransformer:
    """Fit on ``(num, codes)`` arrays of a :class:`TableSpec`; transform to floats and back."""

    def __init__(
        self,
        *,
        max_modes: int = 10,
        min_weight: float = 0.005,
        max_levels: int = 100,
        max_fit_rows: int = 5000,
        point_mass: float | None = None,
        random_state: int = 0,
    ) -> None:
        self.max_modes = max_modes
        self.point_mass = point_mass
        self.min_weight = min_weight
        self.max_levels = max_levels
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, num: np.ndarray, codes: np.ndarray, n_categories: list[int]) -> TableTransformer:
        from sklearn.mixture import BayesianGaussianMixture

        rng = np.random.default_rng(self.random_state)
        self.means_: list[np.ndarray] = []
        self.stds_: list[np.ndarray] = []
        self.has_missing_num_: list[bool] = []
        self.points_: list[np.ndarray] = []
        for j in range(num.shape[1]):
            col = num[:, j]
            present = col[~np.isnan(col)]
            self.has_missing_num_.append(bool(np.isnan(col).any()))
            points = self._point_masses(present)
            self.points_.append(points)
            at_point = np.isin(present, points)
            if at_point.any() and not at_point.all():
                present = present[~at_point]
            if len(present) > self.max_fit_rows:
                present = rng.choice(present, self.max_fit_rows, replace=False)
            k = int(min(self.max_modes, max(1, len(np.unique(present)))))
            if k > 1 and len(present) >= 2 * k:
                import warnings

                from sklearn.exceptions import ConvergenceWarning

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    bgm = BayesianGaussianMixture(
                        n_components=k,
                        weight_concentration_prior_type="dirichlet_process",
                        weight_concentration_prior=1e-3,
                        n_init=1,
                        max_iter=100,
                        random_state=self.random_state,
                    ).fit(present.reshape(-1, 1))
                keep = bgm.weights_ > self.min_weight
                means, stds = bgm.means_.ravel()[keep], np.sqrt(bgm.covariances_.ravel()[keep])
            else:
                means, stds = np.array([present.mean()]), np.array([present.std()])
            stds = np.maximum(stds, 1e-6 * max(1.0, float(np.abs(present).max(initial=1.0))))
            order = np.argsort(means)
            self.means_.append(means[order])
            self.stds_.append(stds[order])
        # categories: keep the top levels, group the rest
        self.keep_: list[np.ndarray] = []  # original codes kept, in slot order
        self.other_codes_: list[np.ndarray] = []
        self.other_probs_: list[np.ndarray] = []
        for j, k in enumerate(n_categories):
            col = codes[:, j]
            counts = np.bincount(col[col >= 0], minlength=k)
            order = np.argsort(-counts, kind="stable")
            seen = order[counts[order] > 0]
            if len(seen) > self.max_levels:
                kept, rest = seen[: self.max_levels - 1], seen[self.max_levels - 1 :]
                self.other_codes_.append(rest)
                self.other_probs_.append(counts[rest] / counts[rest].sum())
            else:
                kept = seen
                self.other_codes_.append(np.zeros(0, dtype=np.int64))
                self.other_probs_.append(np.zeros(0))
            self.keep_.append(np.sort(kept))
        self.missing_cat_ = [bool((codes[:, j] < 0).any()) for j in range(codes.shape[1])]
        self._layout()
        return self

    def _point_masses(self, present: np.ndarray) -> np.ndarray:
        """The values holding at least ``point_mass`` of ``present`` (the most frequent
        ``max_modes``), sorted; none without ``point_mass``."""
        if self.point_mass is None or not len(present):
            return np.zeros(0)
        values, counts = np.unique(present, return_counts=True)
        heavy = np.flatnonzero(counts >= self.point_mass * len(present))
        heavy = heavy[np.argsort(-counts[heavy], kind="stable")][: self.max_modes]
        return np.sort(values[heavy])

    def _layout(self) -> None:
        spans, pos = [], 0
        for j in range(len(self.means_)):
            spans.append(Span(pos, 1, "alpha", j, "value"))
            pos += 1
            width = len(self.means_[j]) + len(self.points_[j]) + (1 if self.has_missing_num_[j] else 0)
            spans.append(Span(pos, width, "onehot", j, "mode"))
            pos += width
        for j in range(len(self.keep_)):
            width = len(self.keep_[j]) + (1 if len(self.other_codes_[j]) else 0) + (1 if self.missing_cat_[j] else 0)
            spans.append(Span(pos, max(width, 1), "onehot", j, "category"))
            pos += max(width, 1)
        self.spans_ = spans
        self.output_dim_ = pos

    # ------------------------------------------------------------------ transform
    def transform(self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Rows as floats; modes drawn from the posterior with ``rng`` (argmax when None)."""
        n = len(num) if num.shape[1] else len(codes)
        out = np.zeros((n, self.output_dim_), dtype=np.float32)
        spans = iter(self.spans_)
        for j in range(num.shape[1]):
            a_span, m_span = next(spans), next(spans)
            x = num[:, j]
            miss = np.isnan(x)
            mu, sd = self.means_[j], self.stds_[j]
            z = (np.where(miss, mu[0], x)[:, None] - mu[None, :]) / sd[None, :]
            logp = -0.5 * z**2 - np.log(sd)[None, :]
            if rng is None:
                mode = logp.argmax(axis=1)
            else:
                p = np.exp(logp - logp.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                mode = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1).clip(0, len(mu) - 1)
            alpha = np.clip(z[np.arange(n), mode] / 4, -0.99, 0.99)
            points = self.points_[j]
            at = np.searchsorted(points, x).clip(0, max(len(points) - 1, 0))
            exact = ~miss & (points[at] == x) if len(points) else np.zeros(n, dtype=bool)
            alpha[miss | exact] = 0.0
            out[:, a_span.start] = alpha
            slot = np.where(miss, len(mu) + len(points), np.where(exact, len(mu) + at, mode))
            out[np.arange(n), m_span.start + slot] = 1.0
        for j in range(codes.shape[1]):
            span = next(spans)
            slot = self._category_slots(j, codes[:, j])
            out[np.arange(n), span.start + slot] = 1.0
        return out

    def _category_slots(self, j: int, col: np.ndarray) -> np.ndarray:
        kept = self.keep_[j]
        other = len(kept)
        missing = len(kept) + (1 if len(self.other_codes_[j]) else 0)
        size = int(max(col.max(initial=0), kept.max(initial=0), self.other_codes_[j].max(initial=0))) + 1
        lut = np.full(size, other, dtype=np.int64)
        lut[kept] = np.arange(len(kept))
        return np.where(col >= 0, lut[np.maximum(col, 0)], missing)

    def category_slot(self, j: int, code: int) -> int:
        """Output slot (within its span) of category ``code`` of categorical column ``j``."""
        return int(self._category_slots(j, np.array([code]))[0])

    def category_span(self, j: int) -> Span:
        """The one-hot span of categorical column ``j``."""
        return [s for s in self.spans_ if s.role == "category"][j]

    # ------------------------------------------------------------------ inverse
    def inverse(self, out: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(num, codes)`` from network outputs (alpha in [-1, 1], one-hot blocks as scores)."""
        n = len(out)
        n_num, n_cat = len(self.means_), len(self.keep_)
        num = np.empty((n, n_num))
        codes = np.empty((n, n_cat), dtype=np.int64)
        spans = iter(self.spans_)
        for j in range(n_num):
            a_span, m_span = next(spans), next(spans)
            mode = out[:, m_span.start : m_span.start + m_span.width].argmax(axis=1)
            alpha = np.clip(out[:, a_span.start], -1, 1)
            k, points = len(self.means_[j]), self.points_[j]
            safe = np.minimum(mode, k - 1)
            num[:, j] = alpha * 4 * self.stds_[j][safe] + self.means_[j][safe]
            exact = (mode >= k) & (mode < k + len(points))
            num[exact, j] = points[mode[exact] - k]
            num[mode >= k + len(points), j] = np.nan
        for j in range(n_cat):
            span = next(spans)
            slot = out[:, span.start : span.start + span.width].argmax(axis=1)
            kept = self.keep_[j]
            col = np.full(n, -1, dtype=np.int64)
            direct = slot < len(kept)
            col[direct] = kept[slot[direct]]
            if len(self.other_codes_[j]):
                grouped = slot == len(kept)
                col[grouped] = rng.choice(self.other_codes_[j], size=int(grouped.sum()), p=self.other_probs_[j])
            codes[:, j] = col
        return num, codes

    # ------------------------------------------------------------------ state
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        for j in range(len(self.means_)):
            arrays[f"tf/means/{j}"] = self.means_[j]
            arrays[f"tf/stds/{j}"] = self.stds_[j]
            arrays[f"tf/points/{j}"] = self.points_[j].astype(np.float64)
        for j in range(len(self.keep_)):
            arrays[f"tf/keep/{j}"] = self.keep_[j].astype(np.int64)
            arrays[f"tf/other/{j}"] = self.other_codes_[j].astype(np.int64)
            arrays[f"tf/other_p/{j}"] = self.other_probs_[j].astype(np.float64)
        state = {
            "has_missing_num": self.has_missing_num_,
            "missing_cat": self.missing_cat_,
            "params": {
                k: getattr(self, k)
                for k in ("max_modes", "min_weight", "max_levels", "max_fit_rows", "point_mass", "random_state")
            },
        }
        return state, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> TableTransformer:
        tf = cls(**state["params"])
        tf.has_missing_num_ = list(state["has_missing_num"])
        tf.missing_cat_ = list(state["missing_cat"])
        n_num, n_cat = len(tf.has_missing_num_), len(tf.missing_cat_)
        tf.means_ = [arrays[f"tf/means/{j}"] for j in range(n_num)]
        tf.stds_ = [arrays[f"tf/stds/{j}"] for j in range(n_num)]
        tf.points_ = [arrays.get(f"tf/points/{j}", np.zeros(0)) for j in range(n_num)]  # none before point masses
        tf.keep_ = [arrays[f"tf/keep/{j}"] for j in range(n_cat)]
        tf.other_codes_ = [arrays[f"tf/other/{j}"] for j in range(n_cat)]
        tf.other_probs_ = [arrays[f"tf/other_p/{j}"] for j in range(n_cat)]
        tf._layout()
        return tf
