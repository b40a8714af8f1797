"""A scaling law of utility against the number of synthetic rows, and the budget it suggests.

Nakada et al. (2024) show that the error of a model trained on real plus synthetic rows decays
polynomially in the augmented sample size, while the generator's mismatch with the real
distribution biases the model. A model fitted to a mixture with synthetic share
``s = N / (n + N)`` sees a distribution shifted by ``s`` times the generator's mismatch, and
the excess risk of a small shift is quadratic in it, so we fit

    loss(N) = c + a * (n + N) ** (-alpha) + b * (N / (n + N)) ** 2

to the held-out loss (1 - metric for higher-is-better metrics, the metric itself for log loss)
of a model trained on ``n`` real and ``N`` synthetic rows, over every seed and budget tried,
with the no-augmentation baseline as ``N = 0``. ``a >= 0`` and ``0 < alpha <= 2`` carry the
benefit of more rows, ``b >= 0`` the cost of the generator's mismatch; together they give the
U shape (more rows help first, then the bias wins) or a monotone curve when one term
dominates. The suggested budget is the ``N`` that
minimises the fitted loss *within the tried range* (the law is not trusted beyond it), with a
bootstrap over seeds for its uncertainty.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.evaluation.metrics import HIGHER_IS_BETTER
from tabaugment.exceptions import DataError

__all__ = ["ScalingFit", "fit_scaling_law", "scaling_table"]


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """Fitted ``loss(N) = c + a (n + N)^-alpha + b (N / (n + N))^2`` for ``n`` real rows."""

    n_real: float
    a: float
    alpha: float
    b: float
    c: float
    r2: float
    max_synthetic: float

    def loss(self, n_synthetic: Any) -> np.ndarray:
        """The fitted loss at ``n_synthetic`` synthetic rows."""
        N = np.asarray(n_synthetic, dtype=np.float64)
        total = self.n_real + N
        return self.c + self.a * total ** (-self.alpha) + self.b * (N / total) ** 2

    def best_budget(self, grid: int = 400) -> float:
        """The number of synthetic rows in [0, max tried] with the lowest fitted loss."""
        N = np.linspace(0.0, self.max_synthetic, grid)
        return float(N[int(np.argmin(self.loss(N)))])

    def gain(self, n_synthetic: float) -> float:
        """Fitted loss reduction at ``n_synthetic`` rows relative to no synthetic rows."""
        return float(self.loss(0.0) - self.loss(n_synthetic))


def fit_scaling_law(
    n_real: float, n_synthetic: Any, loss: Any, *, starts: tuple[float, ...] = (0.1, 0.3, 0.5, 1.0, 1.5)
) -> ScalingFit:
    """Least-squares fit of the law to observed (synthetic rows, loss) pairs.

    Needs at least four distinct synthetic sizes (the baseline counts as one, ``N = 0``): the
    law has four parameters.
    Each exponent in ``starts`` seeds one fit and the best is kept, so the result does not hinge
    on one local minimum.
    """
    from scipy.optimize import least_squares

    N = np.asarray(n_synthetic, dtype=np.float64)
    y = np.asarray(loss, dtype=np.float64)
    ok = np.isfinite(N) & np.isfinite(y)
    N, y = N[ok], y[ok]
    if len(np.unique(N)) < 4:
        raise DataError(f"A scaling law needs at least 4 distinct synthetic sizes; got {sorted(set(N.tolist()))}.")
    n = float(n_real)
    share2 = (N / (n + N)) ** 2

    def design(alpha: float) -> np.ndarray:
        return np.column_stack([(n + N) ** (-alpha), share2, np.ones_like(N)])

    best: Any = None
    for alpha0 in starts:
        # for a fixed exponent the law is linear in (a, b, c): start from that solution
        coef, *_ = np.linalg.lstsq(design(alpha0), y, rcond=None)
        x0 = np.array([max(coef[0], 1e-9), alpha0, max(coef[1], 0.0), coef[2]])

        def resid(p: np.ndarray) -> np.ndarray:
            a, alpha, b, c = p
            return c + a * (n + N) ** (-alpha) + b * share2 - y

        res = least_squares(resid, x0, bounds=([0.0, 1e-3, 0.0, -np.inf], [np.inf, 2.0, np.inf, np.inf]))
        if best is None or res.cost < best.cost:
            best = res
    a, alpha, b, c = (float(v) for v in best.x)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - 2.0 * float(best.cost) / ss_tot if ss_tot > 0 else float("nan")
    return ScalingFit(n_real=n, a=a, alpha=alpha, b=b, c=c, r2=r2, max_synthetic=float(N.max()))


def _loss(values: np.ndarray, sign: float) -> np.ndarray:
    """The law's loss: 1 - metric for higher-is-better metrics, the metric itself otherwise."""
    return 1.0 - values if sign > 0 else values


def scaling_table(
    results: pd.DataFrame, *, metric: str = "roc_auc", n_boot: int = 100, random_state: int = 0
) -> pd.DataFrame:
    """Fit the law per dataset x training size x model x strategy with >= 3 budgets tried.

    Columns: the fitted parameters and R^2, ``best_synthetic_rows`` (within the tried range),
    its bootstrap 90% interval over seeds, the fitted ``metric`` gain there, and
    ``best_budget_share`` (best synthetic rows / real rows).
    """
    from tabaugment.experiment.analysis import GROUP

    part = results[results.metric == metric]
    if part.empty:
        return pd.DataFrame()
    sign = 1.0 if HIGHER_IS_BETTER.get(metric, True) else -1.0
    rng = np.random.default_rng(random_state)
    rows = []
    for key, g in part.groupby([c for c in GROUP if c != "metric"], sort=True):
        base = g[g.strategy == "baseline"]
        for strategy, s in g[g.strategy != "baseline"].groupby("strategy", sort=True):
            if s.budget.nunique() < 3 or base.empty:
                continue
            data = pd.concat([base.assign(synthetic_rows=0), s])
            n_real = float(s.train_rows.iloc[0])
            loss = _loss(data.value.to_numpy(), sign)
            try:
                fit = fit_scaling_law(n_real, data.synthetic_rows.to_numpy(), loss)
            except ValueError:
                continue
            best = fit.best_budget()
            seeds = data.seed.unique()
            boot = []
            for _ in range(n_boot):
                pick = rng.choice(seeds, size=len(seeds), replace=True)
                sample = pd.concat([data[data.seed == sd] for sd in pick])
                b_loss = _loss(sample.value.to_numpy(), sign)
                try:
                    # warm start from the full fit's exponent: one fit per resample
                    refit = fit_scaling_law(n_real, sample.synthetic_rows.to_numpy(), b_loss, starts=(fit.alpha,))
                    boot.append(refit.best_budget())
                except ValueError:
                    continue
            lo, hi = np.quantile(boot, [0.05, 0.95]) if boot else (np.nan, np.nan)
            rows.append(
                {
                    **dict(zip([c for c in GROUP if c != "metric"], key)),
                    "strategy": strategy,
                    "metric": metric,
                    "real_rows": int(n_real),
                    "a": fit.a,
                    "alpha": fit.alpha,
                    "b": fit.b,
                    "c": fit.c,
                    "r2": fit.r2,
                    "best_synthetic_rows": round(best),
                    "best_rows_low": round(float(lo)),
                    "best_rows_high": round(float(hi)),
                    "best_budget_share": best / n_real,
                    "fitted_gain": fit.gain(best) * sign,
                    "max_tried_rows": int(fit.max_synthetic),
                }
            )
    return pd.DataFrame(rows)
