"""Does augmentation help? Train with and without synthetic rows, score on real test rows.

For each seed the table is split anew (train / validation / test, stratified; a given test
table stays fixed), the baseline model is trained on the real training rows, and each
strategy's model on the real rows plus its synthetic rows; both get the same model seed and
are scored on the same real test rows, so the differences are paired by seed.

The validation rows serve only as the hardness reference (e.g. KNN-Shapley). Models are
trained without early stopping, so no row is used both for fitting choices and for the score.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import platform
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from tabaugment._progress import progress_bar
from tabaugment._random import derive_seed, spawn_seeds
from tabaugment._version import __version__
from tabaugment.augment.augmenter import Augmenter
from tabaugment.data.datasets import Dataset
from tabaugment.data.schema import Schema, infer_schema
from tabaugment.data.splits import split_table
from tabaugment.evaluation.metrics import HIGHER_IS_BETTER, METRICS, score_predictions
from tabaugment.evaluation.models import make_model
from tabaugment.evaluation.stats import paired_comparison

__all__ = ["EvaluationResult", "evaluate_augmentation"]

BASELINE = "baseline"


@dataclasses.dataclass
class EvaluationResult:
    """Scores per seed, paired comparisons against the baseline, and per-run facts.

    Attributes
    ----------
    scores : tidy frame, one row per seed x strategy x metric (``strategy == "baseline"``
        for the model without synthetic rows).
    comparison : one row per strategy x metric: means, mean difference, 95% bootstrap
        interval, paired t-test and Wilcoxon p-values, wins and losses over seeds.
    runs : one row per seed x strategy: rows, synthetic rows, selected rows and their
        positive share, timings.
    config : what was run (data, model, seeds, versions, machine).
    """

    scores: pd.DataFrame
    comparison: pd.DataFrame
    runs: pd.DataFrame
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        return {
            "config": self.config,
            "comparison": json.loads(self.comparison.to_json(orient="records")),
            "runs": json.loads(self.runs.to_json(orient="records")),
            "scores": json.loads(self.scores.to_json(orient="records")),
        }

    def table(self, metrics: Sequence[str] = ("roc_auc", "gini", "pr_auc", "f1")) -> str:
        """A fixed-width text table of the comparison for the terminal."""
        rows = self.comparison[self.comparison["metric"].isin(metrics)]
        lines = [
            f"{'strategy':<24} {'metric':<18} {'baseline':>9} {'augmented':>9} {'diff':>9} "
            f"{'95% CI':>21} {'p (t)':>7} {'p (W)':>7} {'wins':>5}"
        ]
        for _, r in rows.iterrows():
            ci = f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]"
            lines.append(
                f"{r.strategy:<24} {r.metric:<18} {r.baseline_mean:>9.4f} {r.treatment_mean:>9.4f} "
                f"{r.mean_diff:>+9.4f} {ci:>21} {r.p_ttest:>7.3f} {r.p_wilcoxon:>7.3f} "
                f"{int(r.wins):>2}/{int(r.n_seeds)}"
            )
        return "\n".join(lines)


def evaluate_augmentation(
    data: Dataset | pd.DataFrame,
    *,
    strategies: Augmenter | Mapping[str, Augmenter],
    target: str | None = None,
    schema: Schema | None = None,
    test: pd.DataFrame | None = None,
    model: Any = "lightgbm",
    model_params: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] = 5,
    train_size: int | float | None = None,
    test_size: float = 0.2,
    validation_size: float = 0.2,
    unseen_categories: str = "auto",
    progress: bool = False,
) -> EvaluationResult:
    """Compare augmentation strategies against no augmentation over several seeds.

    Parameters
    ----------
    data : a :class:`~tabaugment.data.Dataset` or a raw table (then give ``target`` or ``schema``).
    strategies : one :class:`~tabaugment.Augmenter` or a dict ``{name: Augmenter}``.
    model : downstream model name or scikit-learn classifier (see :func:`make_model`).
    seeds : number of seeds (0..n-1) or the seeds themselves.
    train_size : subsample the training rows to this many (int) or this fraction (float).
    """
    if isinstance(data, Dataset):
        table, schema, test = data.table, schema or data.schema, test if test is not None else data.test
        name = data.name
    else:
        table, name = data, "table"
        if schema is None:
            if target is None:
                raise ValueError("Give target= (or schema=) when data is a table.")
            schema = infer_schema(table, target)
    if isinstance(strategies, Augmenter):
        strategies = {"augmented": strategies}
    if not strategies:
        raise ValueError("Give at least one augmentation strategy.")
    if BASELINE in strategies:
        raise ValueError(f"{BASELINE!r} is reserved for the model without augmentation; rename that strategy.")
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if len(seed_list) < 1:
        raise ValueError("Give at least one seed.")
    model_params = dict(model_params or {})
    features = list(schema.features)
    target = schema.target

    score_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    total = len(seed_list) * (1 + len(strategies))
    started = time.perf_counter()
    with progress_bar(progress, total=total, desc="evaluate", unit="fits") as bar:
        for seed in seed_list:
            streams = spawn_seeds(seed, ["split", "model", "augment"])
            split = split_table(
                table,
                schema,
                test=test,
                test_size=test_size,
                validation_size=validation_size,
                train_size=train_size,
                random_state=streams["split"],
                unseen_categories=unseen_categories,  # type: ignore[arg-type]
            )
            y_test = schema.encode_target(split.test[target])
            X_test = split.test[features]

            fit_score = functools.partial(
                _fit_score,
                model,
                model_params,
                streams["model"],
                features=features,
                schema=schema,
                X_test=X_test,
                y_test=y_test,
            )
            base_scores, base_time = fit_score(split.train)
            _add_scores(score_rows, seed, BASELINE, base_scores)
            run_rows.append(_run_row(seed, BASELINE, split, None, base_time, schema))
            bar.update()
            for i, (sname, augmenter) in enumerate(strategies.items()):
                aug = clone(augmenter)
                if aug.random_state is None:
                    aug.set_params(random_state=derive_seed(streams["augment"] + i))
                split.check_no_test_rows(split.train, "augmentation")
                result = aug.fit_augment(split.train, target, validation=split.validation)
                scores, fit_time = fit_score(result.table)
                _add_scores(score_rows, seed, sname, scores)
                run_rows.append(_run_row(seed, sname, split, result, fit_time, schema))
                bar.update()
    scores_frame = pd.DataFrame(score_rows)
    comparison = _compare(scores_frame, list(strategies))
    config = {
        "data": name,
        "target": target,
        "positive_label": schema.positive_label,
        "model": model if isinstance(model, str) else type(model).__name__,
        "model_params": model_params,
        "seeds": seed_list,
        "train_size": train_size,
        "test": "given" if test is not None else f"{test_size:.0%} stratified split",
        "validation_size": validation_size,
        "strategies": {k: _describe(v) for k, v in strategies.items()},
        "unseen_categories": unseen_categories,
        "seconds": round(time.perf_counter() - started, 2),
        "versions": _versions(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
    }
    return EvaluationResult(scores=scores_frame, comparison=comparison, runs=pd.DataFrame(run_rows), config=config)


def _fit_score(
    model: Any,
    model_params: dict[str, Any],
    seed: int,
    train_frame: pd.DataFrame,
    features: list[str],
    schema: Schema,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
) -> tuple[dict[str, float], float]:
    t0 = time.perf_counter()
    clf = make_model(model, random_state=seed, **model_params)
    clf.fit(train_frame[features], schema.encode_target(train_frame[schema.target]))
    proba = clf.predict_proba(X_test)[:, 1]
    return score_predictions(y_test, proba), time.perf_counter() - t0


def _add_scores(rows: list[dict[str, Any]], seed: int, strategy: str, scores: dict[str, float]) -> None:
    for metric, value in scores.items():
        rows.append({"seed": seed, "strategy": strategy, "metric": metric, "value": value})


def _run_row(seed: int, strategy: str, split: Any, result: Any, fit_time: float, schema: Schema) -> dict[str, Any]:
    row: dict[str, Any] = {
        "seed": seed,
        "strategy": strategy,
        "train_rows": len(split.train),
        "test_rows": len(split.test),
        "synthetic_rows": 0,
        "selected_rows": 0,
        "selected_positive_share": float("nan"),
        "model_fit_s": round(fit_time, 4),
        "unseen_category_values": int(sum(split.unseen.values())),
    }
    if result is not None:
        y_sel = schema.encode_target(split.train.loc[result.selected, schema.target])
        row.update(
            synthetic_rows=int(result.is_synthetic.sum()),
            selected_rows=len(result.selected),
            selected_positive_share=float(y_sel.mean()),
            **{k: round(v, 4) for k, v in result.timings.items()},
        )
    return row


def _compare(scores: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    rows = []
    wide = scores.pivot_table(index=["metric", "seed"], columns="strategy", values="value")
    for strategy in strategies:
        for metric in METRICS:
            part = wide.loc[metric]
            stats = paired_comparison(part[BASELINE].to_numpy(), part[strategy].to_numpy())
            better = stats["wins"] if HIGHER_IS_BETTER[metric] else stats["losses"]
            rows.append(
                {
                    "strategy": strategy,
                    "metric": metric,
                    "higher_is_better": HIGHER_IS_BETTER[metric],
                    "better": better,
                    **stats,
                }
            )
    return pd.DataFrame(rows)


def _describe(augmenter: Augmenter) -> dict[str, Any]:
    out = {}
    for key, value in augmenter.get_params(deep=False).items():
        out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
    return out


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"tabaugment": __version__}
    for pkg in ("numpy", "pandas", "scikit-learn", "scipy", "imbalanced-learn", "lightgbm", "xgboost"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out


def train_synthetic_test_real(
    synthetic: pd.DataFrame,
    real_train: pd.DataFrame,
    test: pd.DataFrame,
    schema: Schema,
    *,
    model: Any = "lightgbm",
    seeds: int | Sequence[int] = 3,
) -> pd.DataFrame:
    """Machine-learning efficacy (TSTR): a model trained on synthetic rows only, against one
    trained on the real rows, both scored on the real ``test`` rows, paired over model seeds.

    Returns one row per metric with the paired comparison (``baseline`` = trained on real).
    """
    from tabaugment.exceptions import DataError

    features = list(schema.features)
    y_syn = schema.encode_target(synthetic[schema.target])
    if len(np.unique(y_syn)) < 2:
        raise DataError(
            "TSTR needs synthetic rows of both classes; these have only "
            f"{'positive' if y_syn[0] == 1 else 'negative'} rows (targeted selections often do)."
        )
    y_test = schema.encode_target(test[schema.target])
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else list(seeds)
    real_scores, syn_scores = [], []
    for seed in seed_list:
        for frame, bucket in ((real_train, real_scores), (synthetic, syn_scores)):
            clf = make_model(model, random_state=seed)
            clf.fit(frame[features], schema.encode_target(frame[schema.target]))
            bucket.append(score_predictions(y_test, clf.predict_proba(test[features])[:, 1]))
    rows = []
    for metric in METRICS:
        stats = paired_comparison(np.array([s[metric] for s in real_scores]), np.array([s[metric] for s in syn_scores]))
        rows.append(
            {
                "metric": metric,
                "train_real": stats["baseline_mean"],
                "train_synthetic": stats["treatment_mean"],
                "diff": stats["mean_diff"],
                "n_seeds": stats["n_seeds"],
            }
        )
    return pd.DataFrame(rows)
