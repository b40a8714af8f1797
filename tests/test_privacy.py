"""Privacy metrics: exact nearest neighbours in bounded chunks, copies, leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment._neighbors import nearest_distances
from tabaugment.evaluation.privacy import new_row_synthesis, privacy_report
from tabaugment.generators import GaussianCopula, RandomOversampling
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
