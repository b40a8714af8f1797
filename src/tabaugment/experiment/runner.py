"""Run cells on a backend: serially, in local worker processes, on Dask or on Ray.

:func:`run_cells` groups cells into jobs (:mod:`tabaugment.experiment.engine`) and runs them;
:func:`run_experiment` runs a spec's grid into a results folder and resumes it: every finished
cell is stored atomically, a rerun computes only the missing cells, and a finished run
compacts its folder. Jobs run in ``n_jobs`` local worker processes that live for the whole run
(so each loads a dataset once), with ``backend="dask"`` on the current Dask client (or a
local cluster), with ``backend="ray"`` on Ray, or with ``backend="joblib"`` through whatever
``joblib.parallel_config`` sets.

Each run appends a line to ``runs.jsonl`` in the results folder: wall time, the seconds
spent in the cells' own work (hardness, selection, generator fit, sampling, model training
and scoring) and the runner's overhead around them (loading, splitting, seeding, writing),
so the overhead share is on record.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment._progress import progress_bar
from tabaugment._version import __version__
from tabaugment.data.datasets import Dataset
from tabaugment.exceptions import ParameterError
from tabaugment.experiment.engine import JobOutput, SplitConfig, run_job
from tabaugment.experiment.grid import Cell
from tabaugment.experiment.spec import ExperimentSpec, load_spec
from tabaugment.experiment.store import ResultStore

__all__ = ["BACKENDS", "run_cells", "run_experiment"]

#: Parallel backends of :func:`run_experiment`.
BACKENDS = ("processes", "joblib", "dask", "ray")


def group_jobs(cells: list[Cell]) -> list[list[Cell]]:
    """Cells grouped by what they share (one fitted generator), in grid order."""
    jobs: dict[str, list[Cell]] = {}
    for cell in cells:
        jobs.setdefault(cell.job_key, []).append(cell)
    return list(jobs.values())


def run_cells(
    cells: list[Cell],
    config: SplitConfig,
    *,
    store_folder: str | None = None,
    n_jobs: int = 1,
    backend: str = "processes",
    progress: bool = False,
    desc: str = "cells",
    token: str | None = None,
    datasets: Mapping[str, Dataset] | None = None,
) -> Iterator[JobOutput]:
    """Compute ``cells`` job by job on ``backend``; yield each job's output as it finishes.

    ``token`` and ``datasets`` give the cells' dataset in memory (see
    :func:`~tabaugment.experiment.engine.run_job`).
    """
    if backend not in BACKENDS:
        raise ParameterError(f"Unknown backend {backend!r}; choose from {', '.join(BACKENDS)}.")
    if not (isinstance(n_jobs, int) and n_jobs >= 1):
        raise ParameterError(f"The 'n_jobs' parameter must be an int >= 1. Got {n_jobs!r} instead.")
    todo = group_jobs(cells)
    kwargs: dict[str, Any] = {"token": token, "datasets": datasets, "store_folder": store_folder}
    with progress_bar(progress, total=len(cells), desc=desc, unit="cells") as bar:
        if not todo:
            return
        if n_jobs == 1 and backend == "processes":
            outputs: Iterator[JobOutput] = (run_job(job, config, **kwargs) for job in todo)
        elif backend == "processes":
            outputs = _in_processes(todo, config, kwargs, n_jobs)
        elif backend == "ray":
            outputs = _on_ray(todo, config, kwargs, n_jobs)
        else:
            outputs = _on_joblib(todo, config, kwargs, n_jobs, backend)
        for out in outputs:
            bar.update(len(out.cells))
            yield out


def run_experiment(
    spec: Any,
    folder: str | Path,
    *,
    n_jobs: int = 1,
    backend: str = "processes",
    progress: bool = False,
    compact: bool = True,
    strict: bool = False,
) -> pd.DataFrame:
    """Run the cells of ``spec`` that ``folder`` does not hold yet; return every stored row.

    Test rows that equal training rows (duplicates in the data) are recorded per cell
    (``test_rows_in_train``); with ``strict`` they are an error before anything runs.

    ``backend`` is ``"processes"`` (the default: ``n_jobs`` local worker processes),
    ``"joblib"`` (joblib's current ``parallel_config``), ``"dask"`` or ``"ray"``. With
    ``compact`` (the default) a finished run folds its per-cell files into
    ``results.parquet``.
    """
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if backend not in BACKENDS:
        raise ParameterError(f"Unknown backend {backend!r}; choose from {', '.join(BACKENDS)}.")
    if strict:
        from tabaugment.experiment.engine import leakage, leakage_error

        found = leakage(spec.cells(), spec.split)
        if found:
            raise leakage_error(found)
    store = ResultStore(folder)
    with store.lock():
        return _run_locked(spec, store, n_jobs=n_jobs, backend=backend, progress=progress, compact=compact)


def _run_locked(
    spec: ExperimentSpec, store: ResultStore, *, n_jobs: int, backend: str, progress: bool, compact: bool
) -> pd.DataFrame:
    folder = store.folder
    store.write_spec(spec.to_dict())
    done = store.done()
    cells = spec.cells()
    todo = [c for c in cells if c.cell_id not in done]
    t_start = time.perf_counter()
    logs = []
    with progress_bar(progress, total=len(cells), desc=spec.name, unit="cells") as bar:
        bar.update(len(cells) - len(todo))
        for out in run_cells(todo, spec.split, store_folder=str(folder), n_jobs=n_jobs, backend=backend):
            logs.append(out.log())
            bar.update(len(out.cells))
    if logs:
        _log_run(store, logs, time.perf_counter() - t_start, n_jobs, backend)
    if compact:
        store.compact()
    return store.load()


# ---------------------------------------------------------------------- backends
def _in_processes(todo: list[list[Cell]], config: SplitConfig, kwargs: dict, n_jobs: int) -> Iterator[JobOutput]:
    """Jobs in ``n_jobs`` worker processes that persist for the run, yielded as they finish.

    Workers keep their dataset, split and hardness caches between jobs (loky, joblib's
    default, restarts workers whose memory grew, which here meant reloading the data for
    nearly every job).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=_exit_with_parent) as pool:
        # keep a few jobs queued per worker, in grid order, so workers reuse their caches
        queue = iter(todo)
        pending = set()
        for job in queue:
            pending.add(pool.submit(run_job, job, config, **kwargs))
            if len(pending) >= 2 * n_jobs:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(run_job, nxt, config, **kwargs))


def _exit_with_parent() -> None:
    """In a worker: exit as soon as the run that started it is gone (killed, even with SIGKILL),
    instead of finishing its job and writing cells nobody waits for."""
    import os
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.2)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="tabaugment-parent-watch", daemon=True).start()


def _on_ray(todo: list[list[Cell]], config: SplitConfig, kwargs: dict, n_jobs: int) -> Iterator[JobOutput]:
    """Jobs as Ray tasks (on the connected cluster, or a local one of ``n_jobs`` CPUs)."""
    from tabaugment._optional import import_optional

    ray = import_optional("ray", extra="ray", purpose="the Ray backend")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=n_jobs, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1)(run_job)
        pending = [task.remote(job, config, **kwargs) for job in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def _on_joblib(
    todo: list[list[Cell]], config: SplitConfig, kwargs: dict, n_jobs: int, backend: str
) -> Iterator[JobOutput]:
    from joblib import Parallel, delayed

    with _joblib_backend(backend, n_jobs):
        calls = (delayed(run_job)(job, config, **kwargs) for job in todo)
        yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)


@contextlib.contextmanager
def _joblib_backend(name: str, n_jobs: int) -> Iterator[None]:
    from joblib import parallel_config

    if name == "joblib":
        yield
        return
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
