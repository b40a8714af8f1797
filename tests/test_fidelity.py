"""Fidelity metrics: zero distance on identical tables, growing with noise, against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tabaugment.evaluation.fidelity import (
    column_pairs,
    column_shapes,
    data_mismatch,
    detection,
    fidelity_report,
    ks_statistic,
)


def _table(n: int, seed: int, noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x + noise * rng.normal(size=n),
            "z": 2 * x + rng.normal(scale=0.5, size=n),
            "c": np.where(x + noise * rng.normal(size=n) > 0, "hi", "lo").astype(object),
            "d": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]).astype(object),
        }
    )
    return frame


def test_identical_tables_score_perfectly() -> None:
    real = _table(500, 0)
    report = fidelity_report(real, real.copy(), with_detection=False)
    assert np.allclose(report.shapes["score"], 1.0)
    assert np.allclose(report.shapes["wasserstein"].dropna(), 0.0)
    assert np.allclose(report.pairs["score"], 1.0)
    assert np.allclose(report.mismatch[["real_only", "synthetic_only"]], 0.0)


def test_scores_fall_as_noise_grows() -> None:
    real = _table(3000, 0)
    quality = [
        fidelity_report(real, _table(3000, 1, noise), with_detection=False).summary["quality"] for noise in (0, 0.5, 2)
    ]
    assert quality[0] > quality[1] > quality[2]


def test_ks_statistic_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=700), rng.normal(0.2, 1.3, size=400)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    ints = rng.integers(0, 5, 300), rng.integers(0, 6, 200)
    assert ks_statistic(*ints) == pytest.approx(stats.ks_2samp(*ints).statistic, abs=1e-12)


def test_shapes_and_pairs_by_hand() -> None:
    real = pd.DataFrame({"c": ["a", "a", "b", "b"], "x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    syn = pd.DataFrame({"c": ["a", "a", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0], "y": [4.0, 3.0, 2.0, 1.0]})
    shapes = column_shapes(real, syn).set_index("column")
    assert shapes.loc["c", "score"] == pytest.approx(0.75)  # TV distance 0.25
    assert shapes.loc["x", "score"] == 1.0
    pairs = column_pairs(real, syn).set_index(["column_a", "column_b"])
    assert pairs.loc[("x", "y"), "score"] == pytest.approx(0.0)  # correlation +1 became -1


def test_data_mismatch_finds_missing_and_new_categories() -> None:
    real = pd.DataFrame({"c": list("aabbc"), "x": [0.0, 1, 2, 3, 10]})
    syn = pd.DataFrame({"c": list("aabbz"), "x": [0.0, 1, 2, 3, 12]})
    mm = data_mismatch(real, syn).set_index("column")
    assert mm.loc["c", "real_only"] == pytest.approx(1 / 3)  # 'c' never produced
    assert mm.loc["c", "synthetic_only"] == pytest.approx(1 / 5)  # 'z' invented
    assert mm.loc["x", "synthetic_only"] == pytest.approx(1 / 5)  # 12 outside [0, 10]


def test_detection_tells_shifted_data_apart() -> None:
    real = _table(800, 0)
    same = detection(real, _table(800, 1))
    shifted = detection(real, _table(800, 2).assign(x=lambda f: f.x + 3))
    assert abs(same["auc"] - 0.5) < 0.1
    assert shifted["auc"] > 0.95
    assert shifted["score"] < same["score"]
