"""Selectors that shape the hard region: ambiguous rows, hard rows without suspected label
noise, hard rows with their neighbourhoods, and a mix of hard and ordinary rows.

"Take the hardest q of all rows" mostly selects minority-class rows that sit among the other
class, partly label noise; a generator fitted on them writes more of that noise. Each
selector here makes a different assumption about what the useful part of the hard region is;
the docstrings say which.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState, check_random_state
from tabaugment.exceptions import ParameterError
from tabaugment.hardness.base import HardnessResult
from tabaugment.params import BOOL, RANDOM_STATE, Constraints, Interval
from tabaugment.selection._strategies import FRACTION, _count
from tabaugment.selection.base import BaseSelector, class_counts, hardest

__all__ = ["Ambiguous", "HardMix", "HardNeighbourhood", "HardestDenoised"]


def _class_quantiles(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's hardness rank within its class, as a quantile in [0, 1] (1 = hardest)."""
    q = np.empty(len(scores))
    for label in class_counts(y).index:
        pos = np.flatnonzero(y == label)
        order = np.argsort(scores[pos], kind="stable")
        ranks = np.empty(len(pos))
        ranks[order] = np.arange(len(pos))
        q[pos] = ranks / max(len(pos) - 1, 1)
    return q


class Ambiguous(BaseSelector):
    """The ambiguous region: rows the model is unsure about, neither easy nor hopeless.

    With Data-IQ scores, its ``ambiguous`` group (mid confidence or high aleatoric
    uncertainty). With any other method, the rows whose hardness lies between the ``lower``
    and ``upper`` quantile *of their own class*. Assumes the most useful synthetic rows are
    near the decision boundary, and that the very hardest rows are mislabelled or
    unlearnable.
    """

    name = "ambiguous"
    _parameter_constraints: ClassVar[Constraints] = {
        "lower": [Interval(numbers.Real, 0, 1)],
        "upper": [Interval(numbers.Real, 0, 1)],
    }

    def __init__(self, *, lower: float = 0.5, upper: float = 0.9) -> None:
        self.lower = lower
        self.upper = upper

    def _check_params(self) -> None:
        if not self.lower < self.upper:
            raise ParameterError(f"Ambiguous needs lower < upper; got lower={self.lower}, upper={self.upper}.")

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        group = result.values.get("group")
        if group is not None:
            picked = np.flatnonzero(np.asarray(group) == "ambiguous")
            if len(picked):
                return picked
        q = _class_quantiles(result.scores, y)
        return np.flatnonzero((q >= self.lower) & (q <= self.upper))


class HardestDenoised(BaseSelector):
    """The hardest ``fraction`` of each class after setting aside its hardest ``noise`` share
    as suspected label noise.

    The rows set aside are in ``noise_positions_``; with ``drop_noise=True`` the Augmenter
    also removes them from the training rows. Assumes the extreme tail of the hardness
    scores is mostly label noise (for KNN-Shapley: the most negative values, rows whose
    label disagrees with their neighbours at validation); with Data-IQ scores its ``hard``
    group is used as the noise set when it has any rows.
    """

    name = "hardest_denoised"
    _parameter_constraints: ClassVar[Constraints] = {
        "fraction": FRACTION,
        "noise": [Interval(numbers.Real, 0, 1, closed="left")],
        "drop_noise": [BOOL],
    }

    def __init__(self, *, fraction: float = 0.2, noise: float = 0.05, drop_noise: bool = False) -> None:
        self.fraction = fraction
        self.noise = noise
        self.drop_noise = drop_noise

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        scores = result.scores
        group = result.values.get("group")
        if group is not None and not (np.asarray(group) == "hard").any():
            group = None  # no row in Data-IQ's hard group: fall back to the score quantile
        noise_parts, parts = [], []
        for label in class_counts(y).index:
            pos = np.flatnonzero(y == label)
            if group is not None:
                noisy = pos[np.asarray(group)[pos] == "hard"]
            else:
                n_noise = int(np.floor(self.noise * len(pos) + 1e-9))
                noisy = hardest(scores, pos, n_noise) if n_noise else pos[:0]
            rest = np.setdiff1d(pos, noisy)
            if len(rest) == 0:
                rest = pos
                noisy = pos[:0]
            noise_parts.append(noisy)
            parts.append(hardest(scores, rest, min(len(rest), _count(self.fraction, len(pos)))))
        self.noise_positions_ = np.sort(np.concatenate(noise_parts)).astype(np.int64)
        return np.concatenate(parts)


class HardNeighbourhood(BaseSelector):
    """The hardest ``fraction`` of each class plus each hard row's ``n_neighbors`` nearest rows
    of the same class (standardised numbers, one-hot categories).

    Assumes the generator needs the local distribution around a hard row, not the hard row
    alone: a few hundred scattered hard rows are too few to fit, and their neighbours show
    what the region looks like.
    """

    name = "hard_neighbourhood"
    _parameter_constraints: ClassVar[Constraints] = {
        "fraction": FRACTION,
        "n_neighbors": [Interval(numbers.Integral, 0, None)],
    }

    def __init__(self, *, fraction: float = 0.05, n_neighbors: int = 5) -> None:
        self.fraction = fraction
        self.n_neighbors = n_neighbors

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        if X is None:
            raise ParameterError("HardNeighbourhood needs the training features: call select(result, y, X).")
        from sklearn.neighbors import NearestNeighbors

        from tabaugment.data.encoding import FeatureEncoder

        Z = FeatureEncoder().fit_transform(X)
        parts = []
        for label in class_counts(y).index:
            pos = np.flatnonzero(y == label)
            seeds = hardest(result.scores, pos, _count(self.fraction, len(pos)))
            parts.append(seeds)
            k = min(self.n_neighbors + 1, len(pos))
            if k > 1:
                nn = NearestNeighbors(n_neighbors=k).fit(Z[pos])
                _, idx = nn.kneighbors(Z[seeds])
                parts.append(pos[idx.ravel()])
        return np.concatenate(parts)


class HardMix(BaseSelector):
    """A mix: per class, the hardest ``fraction`` of rows plus random other rows of that class,
    so that the hard rows make up ``targeted_share`` of what the generator is fitted on.

    Spends about ``targeted_share`` of the budget on the hard region and the rest on the
    ordinary distribution. Assumes targeting helps at the margin but the model still needs
    more rows like the typical ones.
    """

    name = "hard_mix"
    deterministic = False
    _parameter_constraints: ClassVar[Constraints] = {
        "fraction": FRACTION,
        "targeted_share": FRACTION,
        "random_state": RANDOM_STATE,
    }

    def __init__(self, *, fraction: float = 0.1, targeted_share: float = 0.5, random_state: RandomState = None) -> None:
        self.fraction = fraction
        self.targeted_share = targeted_share
        self.random_state = random_state

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"random_state": 0}

    def _choose(self, result: HardnessResult, y: np.ndarray, X: Any) -> np.ndarray:
        rng = check_random_state(self.random_state)
        parts = []
        for label in class_counts(y).index:
            pos = np.flatnonzero(y == label)
            hard = hardest(result.scores, pos, _count(self.fraction, len(pos)))
            rest = np.setdiff1d(pos, hard)
            n_other = round(len(hard) * (1 - self.targeted_share) / self.targeted_share)
            n_other = min(n_other, len(rest))
            parts += [hard, rng.choice(rest, size=n_other, replace=False) if n_other else rest[:0]]
        return np.concatenate(parts)
