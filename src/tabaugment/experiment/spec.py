"""Experiment specs in TOML, validated up front with every problem listed at once.

```toml
[experiment]
name = "targeted-vs-not"
seeds = [0, 1, 2, 3, 4]
models = ["lightgbm"]                 # or model = "lightgbm"

[[datasets]]
name = "adult"                        # a catalog name; or path = "data.csv" with target = "..."
train_size = [500, 2000]              # rows (int), fraction (float) or "full"; one or a list

[[strategies]]
name = "hardest20+copula"
hardness = "knn_shapley"
selector = "hardest"
selector_params = { fraction = 0.2 }
generator = "gaussian_copula"
generator_params = {}
budget = ["1x", 0.1]                  # one or a list; each value is its own grid cell
fit_on = "selected"                   # or "all": fit on every row, sample the selected region
compare_to = "all+copula"             # optional: also compare with this strategy, paired by seed
```

Every dataset x train size x model x seed also gets a ``baseline`` cell (no augmentation), so
each augmented cell has a paired baseline with the same split and model seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from tabaugment.exceptions import SchemaError

__all__ = ["Cell", "ExperimentSpec", "load_spec", "references"]

BASELINE = "baseline"


@dataclasses.dataclass(frozen=True)
class Cell:
    """One unit of work: a dataset, a training size, a strategy (or the baseline), a budget,
    a model and a seed. ``cell_id`` is a hash of its canonical description."""

    dataset: dict[str, Any]
    train_size: Any
    strategy: dict[str, Any]
    budget: Any
    model: str
    seed: int

    def describe(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "train_size": self.train_size,
            "strategy": self.strategy,
            "budget": self.budget,
            "model": self.model,
            "seed": self.seed,
        }

    @property
    def cell_id(self) -> str:
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]

    @property
    def is_baseline(self) -> bool:
        return self.strategy["name"] == BASELINE


def references(strategies: list[dict[str, Any]]) -> dict[str, str]:
    """``{strategy: the strategy it is compared with}`` from the strategies' ``compare_to``
    (a spec's strategies, or those stored in a results folder's ``spec.json``)."""
    return {st["name"]: st["compare_to"] for st in strategies if st.get("compare_to")}


@dataclasses.dataclass
class ExperimentSpec:
    """A validated experiment: ``cells()`` expands the grid."""

    name: str
    seeds: list[int]
    models: list[str]
    datasets: list[dict[str, Any]]
    strategies: list[dict[str, Any]]
    test_size: float = 0.2
    validation_size: float = 0.2

    @property
    def references(self) -> dict[str, str]:
        """``{strategy: the strategy it is compared with}`` from the strategies' ``compare_to``."""
        return references(self.strategies)

    def cells(self) -> list[Cell]:
        out = []
        for ds in self.datasets:
            sizes = ds.get("train_size", ["full"])
            sizes = sizes if isinstance(sizes, list) else [sizes]
            desc = {k: v for k, v in ds.items() if k != "train_size"}
            for size in sizes:
                for model in self.models:
                    for seed in self.seeds:
                        out.append(Cell(desc, size, {"name": BASELINE}, None, model, seed))
                        for st in self.strategies:
                            budgets = st.get("budget", "1x")
                            for budget in budgets if isinstance(budgets, list) else [budgets]:
                                sdesc = {k: v for k, v in st.items() if k != "budget"}
                                out.append(Cell(desc, size, sdesc, budget, model, seed))
        return out


def load_spec(source: str | Path | dict[str, Any]) -> ExperimentSpec:
    """Read and validate a spec (a TOML path or an already parsed dict)."""
    if isinstance(source, dict):
        data = source
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        path = Path(source)
        if not path.is_file():
            raise SchemaError(f"No experiment spec at {str(path)!r}.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SchemaError(f"{str(path)!r} is not valid TOML: {exc}") from exc
    return _validate(data)


def _validate(data: dict[str, Any]) -> ExperimentSpec:
    from tabaugment._registry import available
    from tabaugment.evaluation.models import MODELS

    problems: list[str] = []
    exp = data.get("experiment", {})
    known_top = {"experiment", "datasets", "strategies"}
    for key in set(data) - known_top:
        problems.append(f"Unknown section [{key}]; expected {sorted(known_top)}.")
    seeds = exp.get("seeds", [0, 1, 2, 3, 4])
    if isinstance(seeds, int):
        seeds = list(range(seeds))
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds)):
        problems.append(f"experiment.seeds must be a count or a list of non-negative ints; got {seeds!r}.")
        seeds = [0]
    models = exp.get("models", exp.get("model", "lightgbm"))
    models = models if isinstance(models, list) else [models]
    for m in models:
        if m not in MODELS:
            problems.append(f"experiment.models: unknown model {m!r}; choose from {', '.join(MODELS)}.")
    datasets = data.get("datasets", [])
    if not datasets:
        problems.append("Give at least one [[datasets]] entry.")
    for i, ds in enumerate(datasets):
        where = f"datasets[{i}]"
        if "name" not in ds and "path" not in ds:
            problems.append(f"{where}: give name = <catalog name> or path = <file>.")
        if "path" in ds and "target" not in ds:
            problems.append(f"{where}: a dataset given by path needs target = <label column>.")
        sizes = ds.get("train_size", ["full"])
        for size in sizes if isinstance(sizes, list) else [sizes]:
            ok = size == "full" or (isinstance(size, int) and size > 3) or (isinstance(size, float) and 0 < size <= 1)
            if not ok:
                problems.append(f"{where}.train_size: {size!r} is not a row count, a fraction in (0, 1] or 'full'.")
    strategies = data.get("strategies", [])
    if not strategies:
        problems.append("Give at least one [[strategies]] entry.")
    names = [st.get("name") for st in strategies]
    for i, st in enumerate(strategies):
        where = f"strategies[{i}]"
        if not st.get("name"):
            problems.append(f"{where}: every strategy needs a name.")
        elif st["name"] == BASELINE:
            problems.append(f"{where}: 'baseline' is reserved for the cells without augmentation.")
        elif names.count(st["name"]) > 1:
            problems.append(f"{where}: the name {st['name']!r} is used more than once.")
        for kind, key, default in (
            ("hardness", "hardness", "knn_shapley"),
            ("selectors", "selector", "hardest"),
            ("generators", "generator", "gaussian_copula"),
        ):
            value = st.get(key, default)
            if value not in available(kind):
                problems.append(f"{where}.{key}: unknown {key} {value!r}; choose from {', '.join(available(kind))}.")
            params = st.get(f"{key}_params", {})
            if not isinstance(params, dict):
                problems.append(f"{where}.{key}_params must be a table.")
            elif value in available(kind):
                from tabaugment._registry import get_class

                valid = get_class(kind, value)().get_params()
                for p in params:
                    if p not in valid:
                        problems.append(
                            f"{where}.{key}_params: {value} has no parameter {p!r}; it has {sorted(valid)}."
                        )
        if st.get("fit_on", "selected") not in ("selected", "all"):
            problems.append(f"{where}.fit_on: {st['fit_on']!r} is not 'selected' or 'all'.")
        ref = st.get("compare_to")
        if ref is not None and (ref not in names or ref == st.get("name")):
            problems.append(f"{where}.compare_to: {ref!r} is not the name of another strategy of this spec.")
    if problems:
        raise SchemaError(problems)
    return ExperimentSpec(
        name=str(exp.get("name", "experiment")),
        seeds=seeds,
        models=models,
        datasets=list(datasets),
        strategies=list(strategies),
        test_size=float(exp.get("test_size", 0.2)),
        validation_size=float(exp.get("validation_size", 0.2)),
    )
