"""The one engine that judges strategies against a paired baseline over seeds.

Both ``tabaugment run`` (:func:`~tabaugment.experiment.run_experiment`) and ``tabaugment
evaluate`` (:func:`~tabaugment.experiment.evaluate_augmentation`) compute cells here, so the
same strategy on the same data and seeds gives the same numbers through either.

Seeds. A cell's split and model seeds depend only on (dataset, training size, seed), so a
strategy cell and its baseline share the split and the model seed and their scores pair up.
The augmentation seed depends on the cell's augmentation (:meth:`Strategy.describe`), not on
the strategy's name, its budget or the model. Hardness scores depend on the split and the
hardness method only, so strategies share them. Results therefore do not depend on the order
or the parallelism of the work.

Jobs. Cells that differ only in the downstream model or the budget share one fitted generator
(a *job*): it is fitted once, sampled at each budget, and every model trains on the same
augmented table.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tabaugment import _defaults
from tabaugment._random import spawn_seeds
from tabaugment._version import __version__
from tabaugment.data.datasets import Dataset
from tabaugment.experiment.grid import Cell, dataset_label, load_described_dataset

__all__ = ["JobOutput", "SplitConfig", "dataset_fingerprint", "leakage", "run_job"]

#: Timings that count as the cells' own work (the rest of a job's time is the runner's overhead).
WORK_TIMINGS = ("hardness_s", "selection_s", "generator_fit_s", "sample_s", "model_s")


@dataclasses.dataclass(frozen=True)
class SplitConfig:
    """How every table is split: test and validation shares, and unseen categories."""

    test_size: float = _defaults.TEST_SIZE
    validation_size: float = _defaults.VALIDATION_SIZE
    unseen_categories: str = _defaults.UNSEEN_CATEGORIES

    def non_default(self) -> dict[str, Any]:
        """The settings that differ from the defaults (part of every cell's id: a cell computed
        on other splits is another cell)."""
        default = SplitConfig()
        return {k: v for k, v in dataclasses.asdict(self).items() if v != getattr(default, k)}


@dataclasses.dataclass
class JobOutput:
    """The rows of a job's cells (per cell: columns of one row per metric) and the job's work
    and overhead seconds."""

    cells: list[dict[str, list[Any]]]
    work_s: float
    overhead_s: float

    def log(self) -> dict[str, float]:
        return {"work_s": self.work_s, "overhead_s": self.overhead_s, "cells": len(self.cells)}

    def frame(self) -> pd.DataFrame:
        """All rows as one frame (columns a cell lacks, such as a baseline's timings, are NaN)."""
        return pd.concat([pd.DataFrame(c) for c in self.cells], ignore_index=True)


def dataset_fingerprint(ds: Dataset) -> str:
    """A hash of a dataset's rows and schema: the cache key of a dataset given in memory."""
    digest = hashlib.sha256(json.dumps(ds.schema.to_dict(), sort_keys=True, default=str).encode())
    for frame in (ds.table, ds.test):
        if frame is not None:
            digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------- caches
# Per process: workers keep their datasets, splits and hardness scores between jobs of a run.
_PROVIDED: dict[str, Dataset] = {}


@functools.lru_cache(maxsize=8)
def _dataset(key: str, token: str | None) -> Dataset:
    if token is not None:
        return _PROVIDED[token]
    return load_described_dataset(json.loads(key))


@functools.lru_cache(maxsize=4)
def _split(key: str, token: str | None, train_size: Any, seed: int, config: SplitConfig) -> Any:
    """The split of one (dataset, training size, seed), kept while consecutive jobs share it."""
    from tabaugment.data import split_table

    ds = _dataset(key, token)
    return split_table(
        ds.table,
        ds.schema,
        test=ds.test,
        test_size=config.test_size,
        validation_size=config.validation_size,
        train_size=None if train_size == "full" else train_size,
        random_state=seed,
        unseen_categories=config.unseen_categories,  # type: ignore[arg-type]
    )


_HARDNESS: dict[str, tuple[Any, float]] = {}


def _hardness(key: str, cell: Cell, seed: int, split: Any, target: str) -> tuple[Any, float, bool]:
    """The hardness scores of one split, shared by the strategies that use the same method (kept
    for the most recent splits); returns them, the seconds they took, and whether this call
    computed them."""
    if key in _HARDNESS:
        return (*_HARDNESS[key], False)
    assert cell.strategy is not None
    t0 = time.perf_counter()
    method = cell.strategy.component("hardness")
    if "random_state" in method.get_params() and method.get_params()["random_state"] is None:
        method.set_params(random_state=seed)
    train, val = split.train, split.validation
    method.fit(  # without validation rows (validation_size=0) the methods cross-fit
        train.drop(columns=[target]),
        train[target].to_numpy(),
        X_val=val.drop(columns=[target]) if len(val) else None,
        y_val=val[target].to_numpy() if len(val) else None,
    )
    if len(_HARDNESS) >= 16:
        _HARDNESS.pop(next(iter(_HARDNESS)))
    _HARDNESS[key] = (method.result_, time.perf_counter() - t0)
    return (*_HARDNESS[key], True)


def _register(datasets: Mapping[str, Dataset] | None) -> None:
    for token, ds in (datasets or {}).items():
        _PROVIDED.pop(token, None)
        _PROVIDED[token] = ds
    while len(_PROVIDED) > 8:  # the oldest first; the split cache keeps what it still needs
        _PROVIDED.pop(next(iter(_PROVIDED)))


def leakage_error(found: list[dict[str, Any]]) -> Any:
    """The :class:`DataLeakageError` of :func:`leakage`'s findings (``--strict``)."""
    from tabaugment.exceptions import DataLeakageError

    shown = "; ".join(
        f"{f['dataset']} (train_size {f['train_size']}, seed {f['seed']}): {f['test_rows_in_train']:,} of "
        f"{f['test_rows']:,} test rows"
        for f in found[:5]
    )
    return DataLeakageError(
        f"Test rows equal training rows in {len(found)} split(s): {shown}. The data holds duplicate rows; drop "
        "them (frame.drop_duplicates()) before evaluating, or run without --strict to only be warned."
    )


def leakage(
    cells: list[Cell], config: SplitConfig, *, token: str | None = None, datasets: Mapping[str, Dataset] | None = None
) -> list[dict[str, Any]]:
    """Per split of ``cells`` (dataset, training size, seed) whose test rows repeat training
    rows: how many, of how many. Computed from the splits alone, before any model is fitted."""
    _register(datasets)
    out, seen = [], set()
    for cell in cells:
        key = json.dumps(dict(cell.dataset), sort_keys=True)
        pair = cell.pair_key
        seed = spawn_seeds(cell.seed, [f"split|{pair}"])[f"split|{pair}"]
        if (key, str(cell.train_size), seed) in seen:
            continue
        seen.add((key, str(cell.train_size), seed))
        split = _split(key, token, cell.train_size, seed, config)
        if split.test_in_train:
            out.append(
                {
                    "dataset": dataset_label(cell.dataset),
                    "train_size": cell.train_size,
                    "seed": cell.seed,
                    "test_rows_in_train": split.test_in_train,
                    "test_rows": len(split.test),
                }
            )
    return out


# ---------------------------------------------------------------------- one job
def run_job(
    cells: list[Cell],
    config: SplitConfig,
    *,
    token: str | None = None,
    datasets: Mapping[str, Dataset] | None = None,
    store_folder: str | None = None,
) -> JobOutput:
    """Compute the cells of one job and return their rows (and store each cell when
    ``store_folder`` is given).

    ``token`` names the in-memory dataset of these cells among ``datasets`` (a dataset given
    to :func:`evaluate_augmentation` as a frame); without it the cells' dataset description is
    loaded (a catalog entry or a file).
    """
    from tabaugment.experiment.store import ResultStore

    _register(datasets)
    t_start = time.perf_counter()
    first = cells[0]
    key = json.dumps(dict(first.dataset), sort_keys=True)
    ds = _dataset(key, token)
    pair = first.pair_key
    seeds = spawn_seeds(first.seed, [f"split|{pair}", f"model|{pair}", f"augment|{first.job_key}"])
    t_split = time.perf_counter()
    cached = _split.cache_info().hits
    split = _split(key, token, first.train_size, seeds[f"split|{pair}"], config)
    # splitting is the experiment's work (any script needs its split), not the runner's overhead
    split_s = 0.0 if _split.cache_info().hits > cached else time.perf_counter() - t_split
    schema = ds.schema
    target = schema.target
    feats = list(schema.features)
    y_test = schema.encode_target(split.test[target])
    by_budget: dict[str, list[Cell]] = {}
    for cell in cells:
        by_budget.setdefault(json.dumps(cell.budget, default=str), []).append(cell)
    fit_timings: dict[str, float] = {}
    aug = None
    fit_work = split_s
    st = first.strategy
    if st is not None:
        hardness = None
        if st.uses_scores:
            # hardness depends only on the split and the method, so strategies share it
            hdesc = json.dumps(st.describe()["hardness"], sort_keys=True, default=str)
            hkey = f"hardness|{pair}|{hdesc}"
            hseed = spawn_seeds(first.seed, [hkey])[hkey]
            hardness, hardness_s, computed = _hardness(f"{token}|{first.seed}|{hkey}", first, hseed, split, target)
            fit_work += hardness_s if computed else 0.0
            fit_timings["hardness_s"] = hardness_s  # every cell records it, whether computed or reused
        aug = st.augmenter(
            first.budget,
            random_state=seeds[f"augment|{first.job_key}"],
            hardness=hardness,
            model=first.model.as_param() if st.uses_model else None,
        )
        t_fit = time.perf_counter()
        aug.fit(split.train, target, validation=split.validation)
        fit_work += time.perf_counter() - t_fit
        fit_timings = {**dict(aug.timings_), **fit_timings}
    work = fit_work
    overhead = time.perf_counter() - t_start - fit_work
    rows: list[dict[str, list[Any]]] = []
    store = ResultStore(store_folder) if store_folder is not None else None
    for group in by_budget.values():
        t0 = time.perf_counter()
        train = split.train
        timings = dict(fit_timings)
        extra: dict[str, Any] = {"synthetic_rows": 0, "selected_rows": 0, "selected_positive_share": float("nan")}
        weight = None
        if aug is not None:
            result = aug.plan_budget(group[0].budget).augment(split.train)
            selected_y = schema.rare_flags(split.train.loc[result.selected, target], split.train[target])
            train, weight = result.table, result.sample_weight
            timings["sample_s"] = result.timings.get("sample_s", 0.0)
            extra = {
                "synthetic_rows": int(result.is_synthetic.sum()),
                "teacher_rows": int((result.origin == "teacher").sum()) if result.origin is not None else 0,
                "selected_rows": len(result.selected),
                "selected_positive_share": float(selected_y.mean()) if len(selected_y) else float("nan"),
                "weighted": weight is not None,
            }
            if result.choice is not None:
                extra["auto_choice"] = result.choice.chosen
                extra["auto_evidence"] = _evidence_json(result.choice.evidence)
            if result.curation is not None:
                extra["curation_kept_share"] = result.curation["kept"] / max(result.curation["drawn"], 1)
        y_train = schema.encode_target(train[target])
        # sampling and building the augmented table (real + synthetic rows, labels) is work
        work += time.perf_counter() - t0
        for cell in group:
            t0 = time.perf_counter()
            groups = None if schema.group is None else split.test[schema.group]
            scores = _fit_and_score(
                cell, seeds[f"model|{pair}"], train[feats], y_train, split.test[feats], y_test, weight, schema.n_classes,
                groups,
            )  # fmt: skip
            model_s = time.perf_counter() - t0
            work += model_s
            base = {
                "cell_id": cell.cell_id,
                "dataset": dataset_label(cell.dataset),
                "train_size": str(cell.train_size),
                "strategy": cell.strategy_name,
                "budget": str(cell.budget),
                "model": cell.model.label,
                "seed": cell.seed,
                "train_rows": len(split.train),
                "validation_rows": len(split.validation),
                "test_rows": len(split.test),
                "pool_rows": int(split.pool_rows or len(split.train)),
                "test_rows_in_train": int(split.test_in_train),
                "unseen_category_values": int(sum(split.unseen.values())),
                **extra,
                # hardness, selection and generator fit are shared by the job's cells; each records them
                **{k: round(v, 4) for k, v in timings.items()},
                "model_s": round(model_s, 4),
                "tabaugment": __version__,
            }
            k = len(scores)
            cell_rows = {name: [value] * k for name, value in base.items()}
            cell_rows["metric"], cell_rows["value"] = list(scores), [float(v) for v in scores.values()]
            rows.append(cell_rows)
            if store is not None:
                t0 = time.perf_counter()
                store.write(cell.cell_id, cell_rows)
                overhead += time.perf_counter() - t0
    return JobOutput(cells=rows, work_s=work, overhead_s=overhead)


def _evidence_json(evidence: Any) -> str:
    """auto's evidence per candidate, as one JSON text (a cell row holds scalars)."""
    keep = ["mean_diff", "p", "p_plain", "p_adjusted", "wins", "verdict"]
    table = {
        str(row["candidate"]): {k: row[k] for k in keep if k in row and row[k] == row[k]}
        for row in evidence.to_dict("records")
    }
    return json.dumps(table, default=float, sort_keys=True)


def _fit_and_score(
    cell: Cell,
    seed: int,
    X: Any,
    y: Any,
    X_test: Any,
    y_test: Any,
    weight: Any = None,
    n_classes: int = 2,
    groups: Any = None,
) -> dict[str, float]:
    from tabaugment.evaluation.metrics import score_predictions, worst_group_scores
    from tabaugment.evaluation.models import class_proba, fit_model

    clf = cell.model.build(random_state=seed)
    fit_model(clf, X, y, weight)
    proba = class_proba(clf, X_test, n_classes)
    scores = score_predictions(y_test, proba)
    if groups is not None:
        scores.update(worst_group_scores(y_test, proba, groups))
    return scores
