"""Run an experiment grid: each cell is independent, seeded by its own seed streams.

A cell's split and model seeds depend only on (dataset, train size, seed), so a strategy cell
and its baseline share the split and the model seed: their scores pair up. The augmentation
seed depends on the cell without its model and budget, so the cells that differ only in the
downstream model or the synthetic budget share one fitted generator (a *job*): the runner
fits it once, samples each budget from it, and trains every model on the same augmented
table. Budget curves therefore compare more or fewer rows from one generator. Results therefore do not depend on the order or the
parallelism of the jobs. Jobs run in ``n_jobs`` local worker processes that live for the
whole run (so each loads a dataset once), or with ``backend="dask"`` on the current Dask
client (or a local cluster), ``backend="ray"`` on Ray, or ``backend="joblib"`` through
whatever ``joblib.parallel_config`` sets; every worker writes its own finished cells to the
store.

Each run appends a line to ``runs.jsonl`` in the results folder: wall time, the seconds
spent in the cells' own work (hardness, selection, generator fit, sampling, model training
and scoring) and the runner's overhead around them (loading, splitting, seeding, writing),
so the overhead share is on record.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment._progress import progress_bar
from tabaugment._random import spawn_seeds
from tabaugment._version import __version__
from tabaugment.experiment.spec import Cell, ExperimentSpec, load_spec
from tabaugment.experiment.store import ResultStore

__all__ = ["BACKENDS", "run_experiment"]

#: Parallel backends of :func:`run_experiment`.
BACKENDS = ("processes", "joblib", "dask", "ray")
WORK_TIMINGS = ("hardness_s", "selection_s", "generator_fit_s", "sample_s", "model_s")


@functools.lru_cache(maxsize=8)
def _dataset(key: str) -> Any:
    from tabaugment.data import infer_schema, load_dataset, read_table
    from tabaugment.data.datasets import Dataset

    desc = json.loads(key)
    if "path" in desc:
        table = read_table(desc["path"])
        schema = infer_schema(table, desc["target"], positive_label=desc.get("positive_label"))
        test = read_table(desc["test_path"]) if desc.get("test_path") else None
        return Dataset(name=Path(desc["path"]).stem, table=table, schema=schema, test=test)
    return load_dataset(desc["name"], root=desc.get("root"))


@functools.lru_cache(maxsize=4)
def _split(dataset_key: str, train_size: Any, seed: int, test_size: float, validation_size: float) -> Any:
    """The split of one (dataset, train size, seed), kept while consecutive jobs share it."""
    from tabaugment.data import split_table

    ds = _dataset(dataset_key)
    return split_table(
        ds.table,
        ds.schema,
        test=ds.test,
        test_size=test_size,
        validation_size=validation_size,
        train_size=None if train_size == "full" else train_size,
        random_state=seed,
    )


_HARDNESS_CACHE: dict[str, Any] = {}


def _hardness(key: str, st: dict[str, Any], seed: int, split: Any, target: str) -> tuple[Any, float, bool]:
    """The hardness scores of one split, shared by the strategies that use the same method
    (kept for the few most recent splits); returns them, the seconds they took to compute, and
    whether this call computed them."""
    from tabaugment._registry import get_class

    if key in _HARDNESS_CACHE:
        return (*_HARDNESS_CACHE[key], False)
    t0 = time.perf_counter()
    method = get_class("hardness", st.get("hardness", "knn_shapley"))(**st.get("hardness_params", {}))
    if "random_state" in method.get_params() and method.get_params()["random_state"] is None:
        method.set_params(random_state=seed)
    train, val = split.train, split.validation
    X_val = val.drop(columns=[target]) if val is not None else None
    y_val = val[target].to_numpy() if val is not None else None
    method.fit(train.drop(columns=[target]), train[target].to_numpy(), X_val=X_val, y_val=y_val)
    if len(_HARDNESS_CACHE) >= 16:
        _HARDNESS_CACHE.pop(next(iter(_HARDNESS_CACHE)))
    _HARDNESS_CACHE[key] = (method.result_, time.perf_counter() - t0)
    return (*_HARDNESS_CACHE[key], True)


def job_key(cell: Cell) -> str:
    """What the cells of one job share: everything but the downstream model and the budget."""
    desc = cell.describe()
    desc.pop("model")
    desc.pop("budget")
    return json.dumps(desc, sort_keys=True, separators=(",", ":"), default=str)


def run_job(cells: list[Cell], store_folder: str, test_size: float, validation_size: float) -> dict[str, float]:
    """Compute the cells of one job (same augmentation, one cell per model) and store each.

    Returns the job's work and overhead seconds for the run log.
    """
    from tabaugment.augment import Augmenter
    from tabaugment.evaluation import make_model, score_predictions

    t_start = time.perf_counter()
    first = cells[0]
    dataset_key = json.dumps(first.dataset, sort_keys=True)
    ds = _dataset(dataset_key)
    # split and model seeds depend on (dataset, train size, seed) only: a strategy cell and its
    # baseline cell share them, so their scores pair up
    pair = json.dumps({"d": first.dataset, "n": first.train_size}, sort_keys=True, default=str)
    key = job_key(first)
    seeds = spawn_seeds(first.seed, [f"split|{pair}", f"model|{pair}", f"augment|{key}"])
    t_split = time.perf_counter()
    cached = _split.cache_info().hits
    split = _split(dataset_key, first.train_size, seeds[f"split|{pair}"], test_size, validation_size)
    # splitting is the experiment's work (any script needs its split), not the runner's overhead
    split_s = 0.0 if _split.cache_info().hits > cached else time.perf_counter() - t_split
    target = ds.schema.target
    feats = list(ds.schema.features)
    y_test = ds.schema.encode_target(split.test[target])
    by_budget: dict[str, list[Cell]] = {}
    for cell in cells:
        by_budget.setdefault(json.dumps(cell.budget, default=str), []).append(cell)
    fit_timings: dict[str, float] = {}
    aug = None
    if not first.is_baseline:
        st = first.strategy
        from tabaugment._registry import get_class

        # hardness depends only on the split and the method, so strategies share it
        hdesc = json.dumps({"h": st.get("hardness", "knn_shapley"), "p": st.get("hardness_params", {})}, sort_keys=True)
        hseed = spawn_seeds(first.seed, [f"hardness|{pair}|{hdesc}"])[f"hardness|{pair}|{hdesc}"]
        scores, hardness_s, computed = _hardness(f"{pair}|{first.seed}|{hdesc}", st, hseed, split, target)
        aug = Augmenter(
            hardness=scores,
            selector=get_class("selectors", st.get("selector", "hardest"))(**st.get("selector_params", {})),
            generator=get_class("generators", st.get("generator", "gaussian_copula"))(**st.get("generator_params", {})),
            budget=first.budget,
            fit_on=st.get("fit_on", "selected"),
            random_state=seeds[f"augment|{key}"],
            filter_invalid=bool(st.get("filter_invalid", False)),
        )
        t_fit = time.perf_counter()
        aug.fit(split.train, target, validation=split.validation)
        fit_timings = dict(aug.timings_)
        fit_work = time.perf_counter() - t_fit + (hardness_s if computed else 0.0)
        # each cell records the hardness computation's seconds, whether this job computed or reused it
        fit_timings["hardness_s"] = hardness_s
    else:
        fit_work = 0.0
    fit_work += split_s
    work = fit_work
    overhead = time.perf_counter() - t_start - fit_work
    for group in by_budget.values():
        t0 = time.perf_counter()
        train = split.train
        timings = dict(fit_timings)
        extra = {"synthetic_rows": 0, "selected_rows": 0, "selected_positive_share": float("nan")}
        if aug is not None:
            result = aug.plan_budget(group[0].budget).augment(split.train)
            selected_y = ds.schema.encode_target(split.train.loc[result.selected, target])
            train = result.table
            timings["sample_s"] = result.timings["sample_s"]
            extra = {
                "synthetic_rows": int(result.is_synthetic.sum()),
                "selected_rows": len(result.selected),
                "selected_positive_share": float(selected_y.mean()),
            }
        y_train = ds.schema.encode_target(train[target])
        # sampling and building the augmented table (real + synthetic rows, labels) is work
        work += time.perf_counter() - t0
        for cell in group:
            t0 = time.perf_counter()
            clf = make_model(cell.model, random_state=seeds[f"model|{pair}"])
            clf.fit(train[feats], y_train)
            scores = score_predictions(y_test, clf.predict_proba(split.test[feats])[:, 1])
            model_s = time.perf_counter() - t0
            work += model_s
            base = {
                "cell_id": cell.cell_id,
                "dataset": cell.dataset.get("name", cell.dataset.get("path")),
                "train_size": str(cell.train_size),
                "strategy": cell.strategy["name"],
                "budget": str(cell.budget),
                "model": cell.model,
                "seed": cell.seed,
                "train_rows": len(split.train),
                "test_rows": len(split.test),
                **extra,
                # hardness, selection and generator fit are shared by the job's cells; each records them
                **{k: round(v, 4) for k, v in timings.items()},
                "model_s": round(model_s, 4),
                "tabaugment": __version__,
            }
            k = len(scores)
            rows = {name: [value] * k for name, value in base.items()}
            rows["metric"], rows["value"] = list(scores), [float(v) for v in scores.values()]
            t0 = time.perf_counter()
            ResultStore(store_folder).write(cell.cell_id, rows)
            overhead += time.perf_counter() - t0
    return {"work_s": work, "overhead_s": overhead, "cells": len(cells)}


@contextlib.contextmanager
def _backend(name: str, n_jobs: int) -> Iterator[None]:
    from joblib import parallel_config

    if name == "joblib":
        yield
        return
    if name == "dask":
        from tabaugment._optional import import_optional

        distributed = import_optional("distributed", extra="dask", purpose="the Dask backend")
        import os

        try:
            distributed.get_client()
            have_client = True
        except ValueError:
            have_client = False
        address = os.environ.get("DASK_SCHEDULER_ADDRESS")
        if have_client:
            with parallel_config(backend="dask"):
                yield
        elif address:
            with distributed.Client(address), parallel_config(backend="dask"):
                yield
        else:  # no cluster given: a local one for this run
            with (
                distributed.LocalCluster(n_workers=n_jobs, threads_per_worker=1, dashboard_address=None) as cluster,
                distributed.Client(cluster),
                parallel_config(backend="dask"),
            ):
                yield
        return
    raise ValueError(f"Unknown backend {name!r}; choose from {', '.join(BACKENDS)}.")


def run_experiment(
    spec: Any,
    folder: str | Path,
    *,
    n_jobs: int = 1,
    backend: str = "processes",
    progress: bool = False,
    compact: bool = True,
) -> pd.DataFrame:
    """Run the cells of ``spec`` that ``folder`` does not hold yet; return every stored row.

    ``backend`` is ``"processes"`` (the default: ``n_jobs`` local worker processes),
    ``"joblib"`` (joblib's current ``parallel_config``), ``"dask"`` or ``"ray"``. With
    ``compact`` (the default) a finished run folds its per-cell files into
    ``results.parquet``.
    """
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}; choose from {', '.join(BACKENDS)}.")
    store = ResultStore(folder)
    store.write_spec(
        {
            "name": spec.name,
            "seeds": spec.seeds,
            "models": spec.models,
            "datasets": spec.datasets,
            "strategies": spec.strategies,
        }
    )
    cells = spec.cells()
    done = store.done()
    jobs: dict[str, list[Cell]] = {}
    for cell in cells:
        if cell.cell_id not in done:
            jobs.setdefault(job_key(cell), []).append(cell)
    todo = list(jobs.values())
    t_start = time.perf_counter()
    logs: list[dict[str, float]] = []
    with progress_bar(progress, total=len(cells), desc=spec.name, unit="cells") as bar:
        bar.update(len(cells) - sum(len(j) for j in todo))
        if n_jobs == 1 and backend == "processes":
            for job in todo:
                logs.append(run_job(job, str(folder), spec.test_size, spec.validation_size))
                bar.update(len(job))
        elif todo and backend == "processes":
            for log in _run_in_processes(todo, str(folder), spec.test_size, spec.validation_size, n_jobs):
                logs.append(log)
                bar.update(int(log["cells"]))
        elif todo and backend == "ray":
            for log in _run_on_ray(todo, str(folder), spec.test_size, spec.validation_size, n_jobs):
                logs.append(log)
                bar.update(int(log["cells"]))
        elif todo:
            from joblib import Parallel, delayed

            with _backend(backend, n_jobs):
                calls = (delayed(run_job)(j, str(folder), spec.test_size, spec.validation_size) for j in todo)
                for log in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls):
                    logs.append(log)
                    bar.update(int(log["cells"]))
    if logs:
        _log_run(store, logs, time.perf_counter() - t_start, n_jobs, backend)
    if compact:
        store.compact()
    return store.load()


def _run_in_processes(
    todo: list[list[Cell]], folder: str, test_size: float, validation_size: float, n_jobs: int
) -> Iterator[dict[str, float]]:
    """Jobs in ``n_jobs`` worker processes that persist for the run, yielded as they finish.

    Workers keep their dataset, split and hardness caches between jobs (loky, joblib's
    default, restarts workers whose memory grew, which here meant reloading the data for
    nearly every job).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
        # keep a few jobs queued per worker, in grid order, so workers reuse their caches
        queue = iter(todo)
        pending = set()
        for job in queue:
            pending.add(pool.submit(run_job, job, folder, test_size, validation_size))
            if len(pending) >= 2 * n_jobs:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(run_job, nxt, folder, test_size, validation_size))


def _run_on_ray(
    todo: list[list[Cell]], folder: str, test_size: float, validation_size: float, n_jobs: int
) -> Iterator[dict[str, float]]:
    """Jobs as Ray tasks (on the connected cluster, or a local one of ``n_jobs`` CPUs), yielded
    as they finish."""
    from tabaugment._optional import import_optional

    ray = import_optional("ray", extra="ray", purpose="the Ray backend")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=n_jobs, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(run_job)
        pending = [task.remote(job, folder, test_size, validation_size) for job in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def _log_run(store: ResultStore, logs: list[dict[str, float]], wall: float, n_jobs: int, backend: str) -> None:
    import os
    import platform
    import statistics

    work = sum(x["work_s"] for x in logs)
    overhead = sum(x["overhead_s"] for x in logs)
    entry = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "jobs": len(logs),
        "cells": int(sum(x["cells"] for x in logs)),
        "n_jobs": n_jobs,
        "backend": backend,
        "wall_s": round(wall, 2),
        "work_s": round(work, 2),
        "in_job_overhead_s": round(overhead, 2),
        "overhead_share": round(overhead / work, 4) if work else None,
        # per job, so one-off costs (imports, loading a dataset) do not dominate a small grid
        "median_job_overhead_share": round(
            float(statistics.median(x["overhead_s"] / x["work_s"] for x in logs if x["work_s"] > 0)), 4
        )
        if any(x["work_s"] > 0 for x in logs)
        else None,
        # with one worker, wall time minus work is everything the runner adds, dispatch included
        "total_overhead_share": round((wall - work) / work, 4) if work and n_jobs == 1 else None,
        "tabaugment": __version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} logical cores, {platform.platform()}",
    }
    store.folder.mkdir(parents=True, exist_ok=True)
    with open(store.folder / "runs.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
