"""The scaling law of utility against synthetic rows, and the budget it suggests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment.experiment.scaling import fit_scaling_law, scaling_table


def _law(n: float, a: float, alpha: float, b: float, c: float):
    return lambda N: c + a * (n + N) ** (-alpha) + b * (N / (n + N)) ** 2


@pytest.mark.parametrize("b", [0.0, 0.1, 0.3])
def test_fit_recovers_the_optimum_of_a_known_law(b: float) -> None:
    n = 500
    truth = _law(n, 3.0, 0.5, b, 0.1)
    rng = np.random.default_rng(0)
    N = np.repeat([0, 125, 250, 500, 1000, 2000], 5)
    fit = fit_scaling_law(n, N, truth(N) + rng.normal(0, 0.001, len(N)))
    grid = np.linspace(0, 2000, 4001)
    best = grid[np.argmin(truth(grid))]
    assert fit.best_budget() == pytest.approx(best, abs=max(40, 0.1 * best))
    assert fit.gain(fit.best_budget()) == pytest.approx(truth(0) - truth(best), abs=0.002)
    assert fit.r2 > 0.8


def test_harmful_generator_suggests_no_synthetic_rows() -> None:
    N = np.repeat([0, 100, 200, 400], 4)
    loss = 0.2 + 0.05 * (N / (300 + N)) + np.tile([0.0, 0.001, -0.001, 0.0005], 4)
    fit = fit_scaling_law(300, N, loss)
    assert fit.best_budget() == 0.0
    assert fit.gain(0.0) == 0.0


def test_needs_four_sizes() -> None:
    with pytest.raises(ValueError, match="at least 4 distinct synthetic sizes"):
        fit_scaling_law(100, [0, 0, 50, 50, 80], [0.2, 0.21, 0.19, 0.2, 0.2])


def test_scaling_table_from_experiment_rows() -> None:
    n = 1000
    truth = _law(n, 2.0, 0.5, 0.2, 0.05)
    rng = np.random.default_rng(1)
    rows = []
    for seed in range(6):
        noise = rng.normal(0, 0.001)
        rows.append(
            {"strategy": "baseline", "budget": "None", "synthetic_rows": 0, "seed": seed, "value": 1 - truth(0) + noise}
        )
        for share in (0.25, 0.5, 1.0, 2.0):
            N = int(share * n)
            rows.append(
                {
                    "strategy": "s",
                    "budget": str(share),
                    "synthetic_rows": N,
                    "seed": seed,
                    "value": 1 - truth(N) + noise,
                }
            )
    frame = pd.DataFrame(rows).assign(dataset="d", train_size="1000", model="m", metric="roc_auc", train_rows=n)
    table = scaling_table(frame, n_boot=50)
    assert len(table) == 1
    row = table.iloc[0]
    grid = np.linspace(0, 2000, 4001)
    best = grid[np.argmin(truth(grid))]
    assert row.best_synthetic_rows == pytest.approx(best, abs=0.1 * best)
    assert row.best_rows_low <= row.best_synthetic_rows <= row.best_rows_high
    assert row.fitted_gain > 0
