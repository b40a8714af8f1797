"""A guard for users: which augmentation to use on this table, or none.

:func:`recommend` runs a small grid of candidate strategies against no augmentation on the
user's own data, over ``seeds`` resampled train / validation / test splits (inner
cross-validation by repeated stratified splits), and recommends the strategy with the largest
gain only if it is significantly better than no augmentation on the held-out real rows
(Holm-corrected paired t-test over the candidates, ``alpha``). Otherwise it recommends no
augmentation, and says why, with the evidence.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment import _defaults
from tabaugment.experiment.analysis import analyze
from tabaugment.experiment.runner import run_experiment
from tabaugment.experiment.spec import load_spec

__all__ = ["DEFAULT_CANDIDATES", "TORCH_CANDIDATES", "Recommendation", "default_candidates", "recommend"]

#: Candidate strategies tried by default: the ones that won somewhere in the committed
#: reproductions (benchmarks/results/targeting, targeted_vs_not, imbalance).
DEFAULT_CANDIDATES: list[dict[str, Any]] = [
    # the best across datasets in the targeting experiment (the Augmenter's default)
    {"name": "all+copula", "selector": "all", "generator": "gaussian_copula", "budget": 0.2},
    # significant gains on adult and give_me_some_credit at 2,000 rows
    {"name": "all+smote", "selector": "all", "generator": "smote", "budget": 1.0},
    # minority oversampling with a model of the minority class (imbalance reproduction)
    {"name": "minority+copula", "selector": "minority", "generator": "gaussian_copula", "budget": "1x"},
]
#: Added when torch is installed: the targeted strategy that beat non-targeted augmentation
#: on the credit-default data (targeted_vs_not: hardest 10% + CTGAN, 10% synthetic rows).
TORCH_CANDIDATES: list[dict[str, Any]] = [
    {
        "name": "hardest10+ctgan",
        "selector": "hardest",
        "selector_params": {"fraction": 0.1},
        "generator": "ctgan",
        "generator_params": {"epochs": 50},
        "budget": 0.1,
    },
]


def default_candidates() -> list[dict[str, Any]]:
    """:data:`DEFAULT_CANDIDATES`, plus :data:`TORCH_CANDIDATES` when torch is importable."""
    import importlib.util

    extra = TORCH_CANDIDATES if importlib.util.find_spec("torch") is not None else []
    return [*DEFAULT_CANDIDATES, *extra]


@dataclasses.dataclass
class Recommendation:
    """The advice, the reason, and the comparison it rests on."""

    strategy: dict[str, Any] | None
    reason: str
    evidence: pd.DataFrame

    def __str__(self) -> str:
        return self.reason


def recommend(
    data: str | Path,
    *,
    target: str | None = None,
    candidates: list[dict[str, Any]] | None = None,
    seeds: int = _defaults.SEEDS,
    model: str = _defaults.MODEL,
    metric: str = _defaults.METRIC,
    train_size: Any = "full",
    alpha: float = _defaults.ALPHA,
    folder: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> Recommendation:
    """Try ``candidates`` against no augmentation; recommend one only if significantly better.

    ``data`` is a catalog name or a file (then give ``target``). Results go to ``folder``
    (a temporary one by default), so a rerun with the same folder resumes.
    """
    cands = candidates or default_candidates()
    ds: dict[str, Any] = (
        {"path": str(data), "target": target} if target or Path(str(data)).exists() else {"name": str(data)}
    )
    ds["train_size"] = [train_size]
    spec = load_spec(
        {"experiment": {"name": "recommend", "seeds": seeds, "models": [model]}, "datasets": [ds], "strategies": cands}
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = run_experiment(spec, folder or tmp, n_jobs=n_jobs, progress=progress)
    table = analyze(results, alpha=alpha)
    evidence = table[table.metric == metric].sort_values("mean_diff", ascending=False).reset_index(drop=True)
    wins = evidence[evidence.verdict == "win"]
    if len(wins):
        best = wins.iloc[0]
        chosen = next(c for c in cands if c["name"] == best.strategy)
        reason = (
            f"Use {best.strategy}: {metric} {best.treatment_mean:.4f} vs {best.baseline_mean:.4f} without augmentation "
            f"({best.mean_diff:+.4f}, Holm-corrected p = {best.p_holm:.3g}, {int(best.wins)}/{int(best.n_seeds)} splits better)."
        )
        return Recommendation(strategy=chosen, reason=reason, evidence=evidence)
    if len(evidence):
        top = evidence.iloc[0]
        reason = (
            f"Do not augment: no candidate beat no augmentation significantly on held-out real rows. The best, "
            f"{top.strategy}, changed {metric} by {top.mean_diff:+.4f} (Holm-corrected p = {top.p_holm:.3g}, "
            f"{len(evidence)} candidates, {seeds} splits)."
        )
    else:
        reason = "Do not augment: no candidate could be compared (too few seeds)."
    return Recommendation(strategy=None, reason=reason, evidence=evidence)
