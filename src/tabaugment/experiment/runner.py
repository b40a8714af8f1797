"""Run an experiment grid: each cell is independent, seeded by its own seed streams.

A cell's split and model seeds depend only on (dataset, train size, seed), so a strategy cell
and its baseline share the split and the model seed: their scores pair up. The augmentation
seed depends on the cell itself. Results therefore do not depend on the order or the
parallelism of the cells. Cells run through joblib (``n_jobs``), so
``joblib.parallel_config(backend="dask")`` runs them on a Dask cluster; every worker writes
its own finished cell to the store.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import pandas as pd

from tabaugment._progress import progress_bar
from tabaugment._random import spawn_seeds
from tabaugment._version import __version__
from tabaugment.experiment.spec import Cell, ExperimentSpec, load_spec
from tabaugment.experiment.store import ResultStore

__all__ = ["run_experiment"]


@functools.lru_cache(maxsize=8)
def _dataset(key: str) -> Any:
    import json

    from tabaugment.data import infer_schema, load_dataset, read_table
    from tabaugment.data.datasets import Dataset

    desc = json.loads(key)
    if "path" in desc:
        table = read_table(desc["path"])
        schema = infer_schema(table, desc["target"], positive_label=desc.get("positive_label"))
        test = read_table(desc["test_path"]) if desc.get("test_path") else None
        return Dataset(name=Path(desc["path"]).stem, table=table, schema=schema, test=test)
    return load_dataset(desc["name"], root=desc.get("root"))


def run_cell(cell: Cell, store_folder: str, test_size: float, validation_size: float) -> str:
    """Compute one cell and store its rows; returns the cell id."""
    import json

    from tabaugment.augment import Augmenter
    from tabaugment.data import split_table
    from tabaugment.evaluation import make_model, score_predictions

    t_start = time.perf_counter()
    ds = _dataset(json.dumps(cell.dataset, sort_keys=True))
    # split and model seeds depend on (dataset, train size, seed) only: a strategy cell and its
    # baseline cell share them, so their scores pair up
    pair = json.dumps({"d": cell.dataset, "n": cell.train_size}, sort_keys=True, default=str)
    split_seed = spawn_seeds(cell.seed, [f"split|{pair}"])[f"split|{pair}"]
    model_seed = spawn_seeds(cell.seed, [f"model|{pair}"])[f"model|{pair}"]
    aug_seed = spawn_seeds(cell.seed, [f"augment|{cell.cell_id}"])[f"augment|{cell.cell_id}"]
    size = None if cell.train_size == "full" else cell.train_size
    split = split_table(
        ds.table,
        ds.schema,
        test=ds.test,
        test_size=test_size,
        validation_size=validation_size,
        train_size=size,
        random_state=split_seed,
    )
    target = ds.schema.target
    train = split.train
    timings: dict[str, float] = {}
    extra = {"synthetic_rows": 0, "selected_rows": 0}
    if not cell.is_baseline:
        st = cell.strategy
        from tabaugment._registry import get_class

        aug = Augmenter(
            hardness=get_class("hardness", st.get("hardness", "knn_shapley"))(**st.get("hardness_params", {})),
            selector=get_class("selectors", st.get("selector", "hardest"))(**st.get("selector_params", {})),
            generator=get_class("generators", st.get("generator", "gaussian_copula"))(**st.get("generator_params", {})),
            budget=cell.budget,
            random_state=aug_seed,
            filter_invalid=bool(st.get("filter_invalid", False)),
        )
        result = aug.fit_augment(train, target, validation=split.validation)
        train = result.table
        timings.update(result.timings)
        extra = {"synthetic_rows": int(result.is_synthetic.sum()), "selected_rows": len(result.selected)}
    t0 = time.perf_counter()
    feats = list(ds.schema.features)
    clf = make_model(cell.model, random_state=model_seed)
    clf.fit(train[feats], ds.schema.encode_target(train[target]))
    scores = score_predictions(ds.schema.encode_target(split.test[target]), clf.predict_proba(split.test[feats])[:, 1])
    timings["model_s"] = time.perf_counter() - t0
    timings["cell_s"] = time.perf_counter() - t_start
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
        **{k: round(v, 4) for k, v in timings.items()},
        "tabaugment": __version__,
    }
    rows = pd.DataFrame([{**base, "metric": m, "value": v} for m, v in scores.items()])
    ResultStore(store_folder).write(cell.cell_id, rows)
    return cell.cell_id


def run_experiment(spec: Any, folder: str | Path, *, n_jobs: int = 1, progress: bool = False) -> pd.DataFrame:
    """Run the cells of ``spec`` that ``folder`` does not hold yet; return every stored row."""
    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
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
    todo = [c for c in cells if c.cell_id not in done]
    with progress_bar(progress, total=len(cells), desc=spec.name, unit="cells") as bar:
        bar.update(len(cells) - len(todo))
        if n_jobs == 1:
            for cell in todo:
                run_cell(cell, str(folder), spec.test_size, spec.validation_size)
                bar.update(1)
        else:
            from joblib import Parallel, delayed

            jobs = (delayed(run_cell)(c, str(folder), spec.test_size, spec.validation_size) for c in todo)
            for _ in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
                bar.update(1)
    return store.load()
