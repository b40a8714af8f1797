"""Privacy metrics: exact nearest neighbours in bounded chunks, copies, leaks."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from tabaugment import Augmenter
from tabaugment._neighbors import nearest_distances
from tabaugment.evaluation.privacy import new_row_synthesis, privacy_report
from tabaugment.exceptions import ParameterError
from tabaugment.generators import GaussianCopula, RandomOversampling
from tabaugment.generators.base import BaseGenerator
from tabaugment.params import RANDOM_STATE
from tabaugment.testing import contract_table


def test_nearest_distances_match_brute_force_in_tiny_chunks() -> None:
    rng = np.random.default_rng(0)
    q, r = rng.normal(size=(300, 6)), rng.normal(size=(500, 6))
    brute = np.sort(np.sqrt(((q[:, None] - r[None]) ** 2).sum(-1)), axis=1)[:, :3]
    np.testing.assert_allclose(nearest_distances(q, r, n_neighbors=3, max_memory_mb=0.1), brute, atol=1e-10)


def test_new_row_synthesis_exact_and_with_tolerance() -> None:
    real = pd.DataFrame({"a": [1.0, 2.0, np.nan], "c": ["x", "y", "z"]})
    syn = pd.DataFrame({"a": [1.0, 2.001, np.nan, 5.0], "c": ["x", "y", "z", "x"]})
    exact = new_row_synthesis(real, syn)
    assert exact["copies"] == 2  # (1, x) and (nan, z)
    loose = new_row_synthesis(real, syn, numerical_tolerance=0.01)
    assert loose["copies"] == 3  # 2.001 is within 1% of 2
    with pytest.raises(ValueError, match="numerical_tolerance must be >= 0"):
        new_row_synthesis(real, syn, numerical_tolerance=-1)


def test_copies_leak_and_fresh_samples_do_not() -> None:
    table, target = contract_table(n=1200, random_state=0)
    train, holdout = table.iloc[:600], table.iloc[600:]
    copies = RandomOversampling(random_state=0).fit(train, target=target).sample(600, random_state=1)
    leak = privacy_report(train, copies, holdout).summary
    assert leak["new_row_synthesis"] < 0.05
    assert leak["dcr_train_zero_share"] > 0.95
    assert leak["closer_to_train_share"] > 0.85
    assert leak["membership_attack_auc"] > 0.65
    fresh = contract_table(n=600, random_state=7)[0]
    clean = privacy_report(train, fresh, holdout).summary
    assert abs(clean["closer_to_train_share"] - 0.5) < 0.08
    assert abs(clean["membership_attack_auc"] - 0.5) < 0.08
    copula = privacy_report(
        train, GaussianCopula(random_state=0).fit(train, target=target).sample(600, random_state=2), holdout
    )
    assert copula.summary["new_row_synthesis"] > 0.95
    assert len(copula.distances) == 600


# ---------------------------------------------------------------------- the privacy filter
class HalfCopies(BaseGenerator):
    """Every other row an exact copy of a fitted row, the others moved a little."""

    name = "half_copies"
    _parameter_constraints: ClassVar[dict] = {"random_state": RANDOM_STATE}

    def __init__(self, *, random_state=None):
        self.random_state = random_state

    def _fit(self, num, codes):
        self.num_, self.codes_ = num, codes

    def _sample(self, n, conditions, rng):
        rows = np.flatnonzero(np.all([self.codes_[:, j] == c for j, c in conditions.items()], axis=0))
        pick = rng.choice(rows, size=n)
        num = self.num_[pick].copy()
        num[1::2] += rng.normal(scale=0.5, size=num[1::2].shape)
        return num, self.codes_[pick]

    def _get_state(self):
        return {}, {"num": self.num_, "codes": self.codes_}

    def _set_state(self, state, arrays):
        self.num_, self.codes_ = arrays["num"], arrays["codes"]


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n).round(3),
            "b": rng.normal(size=n).round(3),
            "kind": pd.Categorical(rng.choice(["p", "q"], n)),
            "label": rng.choice(["yes", "no"], n),
        }
    )


def test_the_privacy_filter_drops_copies_and_fills_the_budget() -> None:
    frame = _frame()
    plain = Augmenter(generator=HalfCopies(), budget=0.5, random_state=0).fit_augment(frame, "label")
    features = ["a", "b", "kind"]
    seen = set(map(tuple, frame[features].astype(str).to_numpy()))

    def copies(rows):
        return sum(tuple(r) in seen for r in rows[features].astype(str).to_numpy())

    assert copies(plain.synthetic) >= 40 and plain.privacy is None
    guarded = Augmenter(generator=HalfCopies(), budget=0.5, drop_copies=True, random_state=0).fit_augment(
        frame, "label"
    )
    assert copies(guarded.synthetic) == 0 and len(guarded.synthetic) == 100  # refilled by new draws
    assert guarded.privacy["copies"] >= 40 and guarded.privacy["drawn"] >= 140


def test_min_distance_keeps_only_rows_that_far_from_every_training_row() -> None:
    from tabaugment.data.encoding import FeatureEncoder

    frame = _frame()
    aug = Augmenter(generator=HalfCopies(), budget=0.25, min_distance=0.3, max_rounds=30, random_state=0)
    result = aug.fit_augment(frame, "label")
    enc = FeatureEncoder().fit(frame.drop(columns="label"))
    dist = nearest_distances(
        enc.transform(result.synthetic.drop(columns="label")), enc.transform(frame.drop(columns="label"))
    )
    assert len(result.synthetic) and dist.min() >= 0.3
    assert result.privacy["too_close"] > 0


def test_the_privacy_filter_refuses_a_generator_that_only_copies() -> None:
    with pytest.raises(ParameterError, match="copies training rows by design"):
        Augmenter(generator="random_oversampling", drop_copies=True).fit(_frame(), "label")
