"""Hardness checked against ground truth: flip known labels, see which method finds them.

A flipped label makes its row wrong by construction, so a hardness method should rank the
flipped rows first. :func:`label_noise_study` flips a share of the labels (uniformly, or all
from one class), scores the rows with each method on the noisy labels, and measures how well
the scores recover the flipped rows: ROC-AUC (1 = every flipped row above every clean one,
0.5 = chance) and precision at the flip count (the share of flipped rows among the k hardest,
k = the number flipped; chance = the flip rate).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._progress import progress_bar
from tabaugment.exceptions import ParameterError

__all__ = ["NOISE_KINDS", "flip_labels", "label_noise_study", "rank_noise_methods"]

#: How labels are flipped: ``uniform`` picks rows of every class alike; ``class_conditional``
#: picks them from the rarest class only (at most half of it), the asymmetric noise of, e.g.,
#: defaults recorded as repaid.
NOISE_KINDS = ("uniform", "class_conditional")


def flip_labels(y: np.ndarray, rate: float, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy labels, flipped row positions)``: ``round(rate * n)`` rows get another label
    (drawn uniformly from the other labels)."""
    _check_noise(rate, kind)
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2:
        raise ParameterError("Flipping labels needs at least two classes.")
    n_flip = max(1, round(rate * len(y)))
    if kind == "uniform":
        pool = np.arange(len(y))
    else:
        pool = np.flatnonzero(y == labels[np.argmin(counts)])
        n_flip = min(n_flip, len(pool) // 2)
        if n_flip == 0:
            raise ParameterError("The rarest class has too few rows to flip any of its labels.")
    flipped = np.sort(rng.choice(pool, size=n_flip, replace=False))
    noisy = y.copy()
    for i in flipped:
        others = labels[labels != y[i]]
        noisy[i] = others[rng.integers(len(others))]
    return noisy, flipped


def _check_design(rates: Sequence[float], kinds: Sequence[str], seeds: list[int]) -> None:
    """Refuse an empty or invalid study before any scoring starts."""
    if not seeds:
        raise ParameterError("A label-noise study needs at least one noise draw (seeds >= 1).")
    if not rates:
        raise ParameterError("Give at least one noise rate, e.g. rates=(0.05, 0.1) (CLI: --noise-rates 0.05,0.1).")
    if not kinds:
        raise ParameterError(f"Give at least one noise kind: {', '.join(NOISE_KINDS)}.")
    for rate in rates:
        for kind in kinds:
            _check_noise(rate, kind)


def _check_noise(rate: float, kind: str) -> None:
    if not 0 < rate < 1:
        raise ParameterError(f"A noise rate must be between 0 and 1 (exclusive). Got {rate}.")
    if kind not in NOISE_KINDS:
        raise ParameterError(f"Unknown noise kind {kind!r}; use one of {list(NOISE_KINDS)}.")


def label_noise_study(
    X: pd.DataFrame,
    y: Any,
    *,
    methods: Sequence[str] | Mapping[str, Any] | None = None,
    rates: Sequence[float] = (0.05, 0.1, 0.2),
    kinds: Sequence[str] = NOISE_KINDS,
    seeds: int | Sequence[int] = 5,
    random_state: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Flip labels, score with every method, and measure how well each finds the flipped rows.

    ``methods``: registered names (default: every registered method), or ``{name: instance}``.
    Each (kind, rate, seed) flips its own rows; every method scores the same noisy labels,
    with its ``random_state`` set to the seed where it has one.

    Returns one row per method, kind, rate and seed: ``flipped`` (rows), ``roc_auc``,
    ``precision_at_k`` and ``chance_precision`` (the flip rate), and ``seconds``.
    """
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score

    from tabaugment._registry import available, get_class

    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    _check_design(rates, kinds, seed_list)
    if methods is None:
        methods = available("hardness")
    named = dict(methods) if isinstance(methods, Mapping) else {m: get_class("hardness", m)() for m in methods}
    if not named:
        raise ParameterError("Give at least one hardness method to check.")
    y = np.asarray(y)
    rows = []
    total = len(kinds) * len(rates) * len(seed_list) * len(named)
    with progress_bar(progress, total=total, desc="label-noise study", unit="scorings") as bar:
        for k_i, kind in enumerate(kinds):
            for rate in rates:
                for seed in seed_list:
                    rng = np.random.default_rng([random_state, seed, k_i, round(rate * 1e6)])
                    noisy, flipped = flip_labels(y, rate, kind, rng)
                    truth = np.zeros(len(y), dtype=bool)
                    truth[flipped] = True
                    for name, method in named.items():
                        m = clone(method)
                        if "random_state" in m.get_params():
                            m.set_params(random_state=seed)
                        t0 = time.perf_counter()
                        scores = m.fit(X, noisy).result_.scores
                        seconds = time.perf_counter() - t0
                        hardest = np.argsort(-scores, kind="stable")[: len(flipped)]
                        rows.append(
                            {
                                "method": name,
                                "kind": kind,
                                "rate": rate,
                                "seed": seed,
                                "flipped": len(flipped),
                                "roc_auc": float(roc_auc_score(truth, scores)),
                                "precision_at_k": float(truth[hardest].mean()),
                                "chance_precision": len(flipped) / len(y),
                                "seconds": seconds,
                            }
                        )
                        bar.update(1)
    return pd.DataFrame(rows)


def rank_noise_methods(study: pd.DataFrame) -> pd.DataFrame:
    """Methods ranked by mean ROC-AUC over a study's kinds, rates and seeds, with the mean
    precision at k, the worst setting's mean ROC-AUC and the mean seconds per scoring."""
    by_setting = study.groupby(["method", "kind", "rate"])[["roc_auc"]].mean().reset_index()
    out = study.groupby("method").agg(
        roc_auc=("roc_auc", "mean"),
        precision_at_k=("precision_at_k", "mean"),
        chance_precision=("chance_precision", "mean"),
        seconds=("seconds", "mean"),
        runs=("roc_auc", "size"),
    )
    out["worst_setting_roc_auc"] = by_setting.groupby("method").roc_auc.min()
    return out.sort_values("roc_auc", ascending=False).reset_index()
