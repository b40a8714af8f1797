"""Does augmentation help? Strategies against no augmentation over seeds, on real test rows.

:func:`evaluate_augmentation` is a thin call of the experiment engine: each strategy becomes
a :class:`~tabaugment.experiment.Strategy`, each seed a cell of the grid, and the cells run
exactly as in ``tabaugment run``. So a strategy evaluated here and the same strategy in an
experiment spec, on the same data with the same seeds, give the same numbers.

For each seed the table is split anew (train / validation / test, stratified; a given test
table stays fixed), the baseline model is trained on the real training rows, and each
strategy's model on the real rows plus its synthetic rows; both get the same model seed and
are scored on the same real test rows, so the differences are paired by seed. The validation
rows serve only as the hardness reference. Models are trained without early stopping, so no
row is used both for fitting choices and for the score.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabaugment import _defaults
from tabaugment._json import records
from tabaugment._version import __version__
from tabaugment.data.datasets import Dataset
from tabaugment.data.schema import Schema, infer_schema
from tabaugment.evaluation.metrics import (
    GROUP_METRICS,
    HIGHER_IS_BETTER,
    METRICS,
    MULTICLASS_METRICS,
    headline_metrics,
)
from tabaugment.evaluation.stats import paired_comparison
from tabaugment.exceptions import ParameterError
from tabaugment.experiment.engine import SplitConfig, dataset_fingerprint
from tabaugment.experiment.grid import BASELINE, ModelSpec, dataset_label, expand_grid
from tabaugment.experiment.runner import run_cells
from tabaugment.experiment.strategy import Strategy

__all__ = ["EvaluationResult", "ResolvedData", "evaluate_augmentation", "resolve_data"]

_RUN_COLUMNS = [
    "seed",
    "strategy",
    "train_rows",
    "pool_rows",
    "test_rows_in_train",
    "validation_rows",
    "test_rows",
    "synthetic_rows",
    "selected_rows",
    "selected_positive_share",
    "teacher_rows",
    "auto_choice",
    "unseen_category_values",
    "hardness_s",
    "selection_s",
    "generator_fit_s",
    "sample_s",
    "model_s",
]


@dataclasses.dataclass
class EvaluationResult:
    """Scores per seed, paired comparisons against the baseline, and per-run facts.

    Attributes
    ----------
    scores : tidy frame, one row per seed x strategy x metric (``strategy == "baseline"``
        for the model without synthetic rows).
    comparison : one row per strategy x metric: means, mean difference, the corrected
        resampled t-test's 95% interval and p-value (``p``), the plain paired t-test and
        Wilcoxon p-values for comparison, wins and losses over seeds.
    runs : one row per seed x strategy: rows, synthetic rows, selected rows and their
        positive share, timings.
    config : what was run (data, model, seeds, strategies, versions, machine).
    """

    scores: pd.DataFrame
    comparison: pd.DataFrame
    runs: pd.DataFrame
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        return {
            "config": self.config,
            "comparison": records(self.comparison),
            "runs": records(self.runs),
            "scores": records(self.scores),
        }

    def _repr_html_(self) -> str:
        """The comparison as an HTML table (Jupyter)."""
        import html

        cols = [
            c
            for c in (
                "strategy",
                "metric",
                "baseline_mean",
                "treatment_mean",
                "mean_diff",
                "ci_low",
                "ci_high",
                "p",
                "wins",
            )
            if c in self.comparison
        ]
        note = "diff = augmented - baseline on real test rows, paired by seed; p: corrected resampled t-test"
        return (
            self.comparison[cols].to_html(index=False, float_format=lambda v: f"{v:.4f}")
            + f"<p>{html.escape(note)}</p>"
        )

    def table(self, metrics: Sequence[str] | None = None) -> str:
        """A fixed-width text table of the comparison for the terminal (by default the task's
        :func:`~tabaugment.evaluation.metrics.headline_metrics`)."""
        if metrics is None:
            metrics = headline_metrics(self.comparison["metric"])
        rows = self.comparison[self.comparison["metric"].isin(metrics)]
        lines = [
            f"{'strategy':<24} {'metric':<18} {'baseline':>9} {'augmented':>9} {'diff':>9} "
            f"{'95% CI':>21} {'p':>7} {'p (t)':>7} {'wins':>5}"
        ]
        for _, r in rows.iterrows():
            ci = f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}]"
            lines.append(
                f"{r.strategy:<24} {r.metric:<18} {r.baseline_mean:>9.4f} {r.treatment_mean:>9.4f} "
                f"{r.mean_diff:>+9.4f} {ci:>21} {r.p:>7.3f} {r.p_ttest:>7.3f} "
                f"{int(r.wins):>2}/{int(r.n_seeds)}"
            )
        return "\n".join(lines)


@dataclasses.dataclass
class ResolvedData:
    """A dataset and the description that seeds its splits."""

    description: dict[str, Any]
    dataset: Dataset


def resolve_data(
    data: Any, *, target: str | None = None, schema: Schema | None = None, test: pd.DataFrame | None = None
) -> ResolvedData:
    """The dataset ``data`` names and its description (which seeds the splits).

    ``data`` is a catalog name, a file (with ``target``), a dataset description (see
    :mod:`tabaugment.experiment.grid`), a :class:`~tabaugment.data.Dataset` or a raw table
    (with ``target`` or ``schema``). A catalog name and a file are described as an experiment
    spec describes them, so both give the spec's splits.
    """
    from tabaugment.experiment.grid import load_described_dataset

    if isinstance(data, ResolvedData):
        return data
    if isinstance(data, Mapping):
        desc = dict(data)
    elif isinstance(data, (str, Path)):
        path = Path(str(data))
        if target is None and not path.suffix and not path.exists():
            desc = {"name": str(data)}
        elif target is None:
            raise ParameterError(f"Give target=: which column of {str(data)!r} holds the labels?")
        else:
            desc = {"path": str(data), "target": target}
    elif isinstance(data, Dataset):
        ds = Dataset(
            name=data.name,
            table=data.table,
            schema=schema or data.schema,
            test=test if test is not None else data.test,
            description=data.description,
        )
        return ResolvedData({"name": data.name}, ds)
    elif isinstance(data, pd.DataFrame):
        if schema is None:
            if target is None:
                raise ParameterError("Give target= (or schema=) when data is a table.")
            schema = infer_schema(data, target)
        return ResolvedData({"name": "table"}, Dataset(name="table", table=data, schema=schema, test=test))
    else:
        raise ParameterError(
            f"data must be a catalog name, a file path, a Dataset or a DataFrame. Got {type(data).__name__}."
        )
    ds = load_described_dataset(desc)
    if schema is not None:
        ds.schema = schema
    if test is not None:
        ds.test = test
    return ResolvedData(desc, ds)


def evaluate_augmentation(
    data: Any,
    *,
    strategies: Any,
    target: str | None = None,
    schema: Schema | None = None,
    test: pd.DataFrame | None = None,
    model: Any = _defaults.MODEL,
    model_params: Mapping[str, Any] | None = None,
    seeds: int | Sequence[int] = _defaults.SEEDS,
    train_size: int | float | None = None,
    test_size: float = _defaults.TEST_SIZE,
    validation_size: float = _defaults.VALIDATION_SIZE,
    unseen_categories: str = _defaults.UNSEEN_CATEGORIES,
    n_jobs: int = 1,
    progress: bool = False,
    strict: bool = False,
) -> EvaluationResult:
    """Compare augmentation strategies against no augmentation over several seeds.

    Parameters
    ----------
    data : a catalog name (``"adult"``), a file (give ``target``), a
        :class:`~tabaugment.data.Dataset`, or a raw table (give ``target`` or ``schema``).
    strategies : an :class:`~tabaugment.Augmenter` or :class:`~tabaugment.experiment.Strategy`,
        or a dict ``{name: Augmenter or Strategy}``.
    model : downstream model name or scikit-learn classifier (see
        :func:`~tabaugment.evaluation.make_model`); ``model_params`` override a named model's defaults.
    seeds : number of seeds (0..n-1) or the seeds themselves.
    train_size : subsample the training rows to this many (int) or this fraction (float).
    n_jobs : cells computed in parallel (local worker processes).
    strict : test rows that equal training rows are an error (otherwise a warning).

    Examples
    --------
    >>> from tabaugment import Augmenter, evaluate_augmentation
    >>> result = evaluate_augmentation("breast_cancer", strategies=Augmenter(generator="smote"), seeds=2)
    >>> sorted(result.comparison.strategy.unique())
    ['augmented']
    """
    resolved = resolve_data(data, target=target, schema=schema, test=test)
    desc, dataset = resolved.description, resolved.dataset
    named = _strategies(strategies)
    seed_list = list(range(seeds)) if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    if not seed_list:
        raise ParameterError("Give at least one seed.")
    spec_model = ModelSpec.of(model, model_params)
    size = "full" if train_size is None else train_size
    config = SplitConfig(test_size=test_size, validation_size=validation_size, unseen_categories=unseen_categories)
    cells = expand_grid([{**desc, "train_size": size}], named, [spec_model], seed_list, config.non_default())
    token = dataset_fingerprint(dataset)  # the loaded dataset travels with the cells: no second load
    if strict:
        from tabaugment.experiment.engine import leakage, leakage_error

        found = leakage(cells, config, token=token, datasets={token: dataset})
        if found:
            raise leakage_error(found)
    started = time.perf_counter()
    parts = [
        out.frame()
        for out in run_cells(
            cells, config, n_jobs=n_jobs, progress=progress, desc="evaluate", token=token, datasets={token: dataset}
        )
    ]
    frame = pd.concat(parts, ignore_index=True)
    scores = frame[["seed", "strategy", "metric", "value"]].reset_index(drop=True)
    runs = frame.drop_duplicates("cell_id").reindex(columns=_RUN_COLUMNS).reset_index(drop=True)
    repeated = runs[runs.strategy == "baseline"]
    if "test_rows_in_train" in repeated and repeated.test_rows_in_train.fillna(0).gt(0).any():
        import warnings

        warnings.warn(
            f"{repeated.test_rows_in_train.mean():,.0f} of {repeated.test_rows.mean():,.0f} test rows (mean over the "
            "seeds) equal a training row: the data holds duplicates, so the test partly measures memory. Drop them "
            "(frame.drop_duplicates()) or pass strict=True to make this an error.",
            stacklevel=2,
        )
    comparison = _compare(frame, [st.name for st in named])
    first = frame.iloc[0]
    schema_used = dataset.schema
    run_config = {
        "data": dataset_label(desc),
        "dataset": desc,
        "target": schema_used.target,
        "positive_label": schema_used.positive_label,
        "classes": list(schema_used.classes),
        "model": spec_model.label,
        "model_params": dict(spec_model.params),
        "seeds": seed_list,
        "train_size": train_size,
        "train_rows": int(first.train_rows),
        "test": "given" if dataset.test is not None else f"{test_size:.0%} stratified split",
        "validation_size": validation_size,
        "strategies": {st.name: st.to_dict() for st in named},
        "unseen_categories": unseen_categories,
        "seconds": round(time.perf_counter() - started, 2),
        "versions": versions(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
    }
    return EvaluationResult(scores=scores, comparison=comparison, runs=runs, config=run_config)


def _strategies(strategies: Any) -> list[Strategy]:
    from tabaugment.augment import Augmenter

    if isinstance(strategies, (Augmenter, Strategy)):
        strategies = {"augmented" if isinstance(strategies, Augmenter) else strategies.name: strategies}
    if not isinstance(strategies, Mapping) or not strategies:
        raise ParameterError("Give at least one augmentation strategy (an Augmenter, a Strategy, or a dict of them).")
    out = []
    for name, value in strategies.items():
        if name == BASELINE:
            raise ParameterError(f"{BASELINE!r} is reserved for the model without augmentation; rename that strategy.")
        if isinstance(value, Strategy):
            out.append(dataclasses.replace(value, name=str(name)))
        elif isinstance(value, Augmenter):
            out.append(Strategy.from_augmenter(str(name), value))
        else:
            raise ParameterError(f"Strategy {name!r} must be an Augmenter or a Strategy. Got {type(value).__name__}.")
    return out


def _compare(frame: pd.DataFrame, strategies: list[str]) -> pd.DataFrame:
    from tabaugment.experiment.analysis import overlap_ratio

    rows = []
    wide = frame.pivot_table(index=["metric", "seed"], columns="strategy", values="value")
    for strategy in strategies:
        ratio = overlap_ratio(frame[frame.strategy == strategy])
        for metric in [
            m
            for m in dict.fromkeys(METRICS + MULTICLASS_METRICS + GROUP_METRICS)
            if m in wide.index.get_level_values(0)
        ]:
            part = wide.loc[metric]
            stats = paired_comparison(part[BASELINE].to_numpy(), part[strategy].to_numpy(), ratio=ratio)
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


def versions() -> dict[str, str]:
    """Versions of tabaugment and the libraries its numbers depend on."""
    import importlib.metadata as md

    out = {"tabaugment": __version__}
    for pkg in ("numpy", "pandas", "scikit-learn", "scipy", "imbalanced-learn", "lightgbm", "xgboost", "torch"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[pkg] = md.version(pkg)
    return out
