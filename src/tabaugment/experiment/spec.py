"""Experiment specs in TOML, validated up front with every problem listed at once.

```toml
[experiment]
name = "targeted-vs-not"
seeds = [0, 1, 2, 3, 4]               # or a count: seeds = 5
models = ["lightgbm"]                 # names, or tables: { name = "xgboost", params = { max_depth = 4 } }
test_size = 0.2                       # shares of each table cut off as test and validation rows
validation_size = 0.2

[[datasets]]
name = "adult"                        # a catalog name; or path = "data.csv" with target = "..."
train_size = [500, 2000]              # rows (int), fraction (float) or "full"; one or a list

[[strategies]]
name = "hardest20+copula"
hardness = "knn_shapley"              # every key but name has the pipeline's default
selector = "hardest"
selector_params = { fraction = 0.2 }
generator = "gaussian_copula"
generator_params = {}
budget = ["1x", 0.1]                  # one or a list; each value is its own grid cell
fit_on = "selected"                   # or "all": fit on every row, sample the selected region
compare_to = "all+copula"             # optional: also compare with this strategy, paired by seed
```

A strategy's missing keys take the defaults of :mod:`tabaugment._defaults` (all rows, the
Gaussian copula, 20% synthetic rows), the same as :class:`~tabaugment.Augmenter`'s. Every
dataset x train size x model x seed also gets a ``baseline`` cell (no augmentation), so each
augmented cell has a paired baseline with the same split and model seed.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tabaugment import _defaults
from tabaugment.exceptions import SpecError, TabAugmentError
from tabaugment.experiment.engine import SplitConfig
from tabaugment.experiment.grid import BASELINE, DATASET_KEYS, Cell, ModelSpec, expand_grid
from tabaugment.experiment.strategy import Strategy

__all__ = ["ExperimentSpec", "load_spec", "references", "stored_spec"]

_EXPERIMENT_KEYS = ("name", "seeds", "models", "model", "test_size", "validation_size", "unseen_categories")


def references(strategies: list[dict[str, Any]]) -> dict[str, str]:
    """``{strategy: the strategy it is compared with}`` from the strategies' ``compare_to``
    (a spec's strategies, or those stored in a results folder's ``spec.json``)."""
    return {st["name"]: st["compare_to"] for st in strategies if st.get("compare_to")}


@dataclasses.dataclass
class ExperimentSpec:
    """A validated experiment: ``cells()`` expands the grid."""

    name: str
    seeds: list[int]
    models: list[ModelSpec]
    datasets: list[dict[str, Any]]
    strategies: list[Strategy]
    split: SplitConfig = dataclasses.field(default_factory=SplitConfig)

    @property
    def references(self) -> dict[str, str]:
        """``{strategy: the strategy it is compared with}`` from the strategies' ``compare_to``."""
        return {st.name: st.compare_to for st in self.strategies if st.compare_to}

    def cells(self) -> list[Cell]:
        """Every cell of the grid, baselines included."""
        return expand_grid(self.datasets, self.strategies, self.models, self.seeds, self.split.non_default())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (written to a results folder's ``spec.json``)."""
        return {
            "name": self.name,
            "seeds": self.seeds,
            "models": [m.describe() for m in self.models],
            "datasets": self.datasets,
            "strategies": [st.to_dict() for st in self.strategies],
            "split": dataclasses.asdict(self.split),
        }


def stored_spec(folder: str | Path) -> ExperimentSpec:
    """The spec a results folder was run with (its ``spec.json``, as :meth:`ExperimentSpec.to_dict` wrote it)."""
    path = Path(folder) / "spec.json"
    if not path.is_file():
        raise SpecError(f"{str(folder)!r} is not a results folder (no spec.json in it).")
    data = json.loads(path.read_text(encoding="utf-8"))
    experiment = {k: data[k] for k in ("name", "seeds", "models") if k in data}
    return load_spec(
        {
            "experiment": {**experiment, **data.get("split", {})},
            "datasets": data["datasets"],
            "strategies": data["strategies"],
        }
    )


def load_spec(source: str | Path | Mapping[str, Any]) -> ExperimentSpec:
    """Read and validate a spec (a TOML path or an already parsed dict). In a file, relative
    dataset paths are relative to the file."""
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        path = Path(source)
        if not path.is_file():
            raise SpecError(f"No experiment spec at {str(path)!r}.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{str(path)!r} is not valid TOML: {exc}") from exc
        data = _relative_to(data, path.parent)
    return _validate(data)


def _relative_to(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A spec file's relative dataset paths (``path``, ``test_path``, ``root``) taken relative to
    the file's folder, wherever the command runs."""
    datasets = data.get("datasets")
    if not isinstance(datasets, list):
        return data
    fixed = []
    for ds in datasets:
        if isinstance(ds, Mapping):
            ds = dict(ds)
            for key in ("path", "test_path", "root"):
                if isinstance(ds.get(key), str) and not Path(ds[key]).expanduser().is_absolute():
                    ds[key] = str(folder / ds[key])
        fixed.append(ds)
    return {**data, "datasets": fixed}


def _unknown(keys: Any, known: tuple[str, ...], where: str) -> list[str]:
    out = []
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            out.append(f"{where}: unknown key {key!r}.{hint} Known keys: {', '.join(known)}.")
    return out


def _validate(data: dict[str, Any]) -> ExperimentSpec:
    from tabaugment.evaluation.models import MODELS

    problems: list[str] = []
    known_top = ("experiment", "datasets", "strategies")
    for key in set(data) - set(known_top):
        close = difflib.get_close_matches(str(key), list(known_top), n=1)
        hint = f" Did you mean [{close[0]}]?" if close else ""
        problems.append(f"Unknown section [{key}].{hint} Expected {list(known_top)}.")
    exp = data.get("experiment", {})
    problems += _unknown(exp, _EXPERIMENT_KEYS, "experiment")
    seeds = exp.get("seeds", _defaults.SEEDS)
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds > 0:
        seeds = list(range(seeds))
    if not (isinstance(seeds, list) and seeds and all(isinstance(s, int) and s >= 0 for s in seeds)):
        problems.append(f"experiment.seeds must be a count or a list of non-negative ints; got {seeds!r}.")
        seeds = [0]
    raw_models = exp.get("models", exp.get("model", _defaults.MODEL))
    models: list[ModelSpec] = []
    for m in raw_models if isinstance(raw_models, list) else [raw_models]:
        try:
            spec = ModelSpec.of(m)
        except TabAugmentError as exc:
            problems.append(f"experiment.models: {exc}")
            continue
        if spec.name not in MODELS:
            close = difflib.get_close_matches(spec.name, MODELS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"experiment.models: unknown model {spec.name!r}.{hint} Choose from {', '.join(MODELS)}.")
        models.append(spec)
    split = SplitConfig(
        test_size=exp.get("test_size", _defaults.TEST_SIZE),
        validation_size=exp.get("validation_size", _defaults.VALIDATION_SIZE),
        unseen_categories=exp.get("unseen_categories", _defaults.UNSEEN_CATEGORIES),
    )
    if not (isinstance(split.test_size, float) and 0 < split.test_size < 1):
        problems.append(f"experiment.test_size must be a float in (0, 1); got {split.test_size!r}.")
    val = split.validation_size
    if not (isinstance(val, (int, float)) and not isinstance(val, bool) and 0 <= val < 1):
        problems.append(f"experiment.validation_size must be a float in [0, 1) (0: no validation rows); got {val!r}.")
    if split.unseen_categories not in ("auto", "error", "missing"):
        problems.append(
            f"experiment.unseen_categories must be 'auto', 'error' or 'missing'; got {split.unseen_categories!r}."
        )
    datasets = data.get("datasets", [])
    if not datasets:
        problems.append("Give at least one [[datasets]] entry.")
    for i, ds in enumerate(datasets):
        where = f"datasets[{i}]"
        problems += _unknown(ds, (*DATASET_KEYS, "train_size"), where)
        if "name" not in ds and "path" not in ds:
            problems.append(f"{where}: give name = <catalog name> or path = <file>.")
        if "path" in ds and "target" not in ds:
            problems.append(f"{where}: a dataset given by path needs target = <label column>.")
        sizes = ds.get("train_size", ["full"])
        for size in sizes if isinstance(sizes, list) else [sizes]:
            ok = size == "full" or (isinstance(size, int) and size > 3) or (isinstance(size, float) and 0 < size <= 1)
            if not ok:
                problems.append(f"{where}.train_size: {size!r} is not a row count, a fraction in (0, 1] or 'full'.")
    raw = data.get("strategies", [])
    if not raw:
        problems.append("Give at least one [[strategies]] entry.")
    names = [st.get("name") for st in raw if isinstance(st, Mapping)]
    strategies: list[Strategy] = []
    for i, st in enumerate(raw):
        where = f"strategies[{i}]"
        found = Strategy.problems(st, where)
        if isinstance(st, Mapping):
            if st.get("name") == BASELINE:
                found.append(f"{where}: 'baseline' is reserved for the cells without augmentation.")
            elif st.get("name") and names.count(st["name"]) > 1:
                found.append(f"{where}: the name {st['name']!r} is used more than once.")
            ref = st.get("compare_to")
            if ref is not None and (ref not in names or ref == st.get("name")):
                found.append(f"{where}.compare_to: {ref!r} is not the name of another strategy of this spec.")
        problems += found
        if not found:
            strategies.append(Strategy.from_dict(st, where))
    if problems:
        raise SpecError(problems)
    return ExperimentSpec(
        name=str(exp.get("name", "experiment")),
        seeds=seeds,
        models=models,
        datasets=[dict(ds) for ds in datasets],
        strategies=strategies,
        split=split,
    )
