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

from tabaugment.experiment.analysis import analyze
from tabaugment.experiment.runner import run_experiment
from tabaugment.experiment.spec import load_spec

__all__ = ["DEFAULT_CANDIDATES", "Recommendation", "recommend"]

#: Candidate strategies tried by default: targeted and not, generators that fit in seconds.
DEFAULT_CANDIDATES: list[dict[str, Any]] = [
    {
        "name": "hardest20+copula",
        "selector": "hardest",
        "selector_params": {"fraction": 0.2},
        "generator": "gaussian_copula",
        "budget": "1x",
    },
    {
        "name": "hardest_per_class20+arf",
        "selector": "hardest_per_class",
        "selector_params": {"fraction": 0.2},
        "generator": "arf",
        "budget": "1x",
    },
    {"name": "all+arf", "selector": "all", "generator": "arf", "budget": 0.2},
    {"name": "minority+smote", "selector": "minority", "generator": "smote", "budget": "balance"},
]


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
    seeds: int = 5,
    model: str = "lightgbm",
    metric: str = "roc_auc",
    train_size: Any = "full",
    alpha: float = 0.05,
    folder: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> Recommendation:
    """Try ``candidates`` against no augmentation; recommend one only if significantly better.

    ``data`` is a catalog name or a file (then give ``target``). Results go to ``folder``
    (a temporary one by default), so a rerun with the same folder resumes.
    """
    cands = candidates or DEFAULT_CANDIDATES
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
