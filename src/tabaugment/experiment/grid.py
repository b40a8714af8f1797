"""The grid's vocabulary: datasets, models and cells.

A *cell* is one unit of work: a dataset at a training size, a strategy (or no augmentation,
the baseline) at one budget, a downstream model and a seed. Its ``cell_id`` is a hash of its
canonical description, so the same work has the same id in every spec and every run; the
seeds of a cell are derived from the parts of that description they depend on (see
:mod:`tabaugment.experiment.engine`).

A dataset is described by a dict: ``{"name": <catalog name>}`` (plus ``root``), or
``{"path": <file>, "target": <label column>}`` with optional ``test_path``, ``positive_label``,
``categorical``, ``numerical``, ``exclude``, ``missing_values`` and ``sep``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tabaugment import _defaults
from tabaugment.data.datasets import Dataset
from tabaugment.exceptions import ParameterError
from tabaugment.experiment.strategy import Strategy

__all__ = ["BASELINE", "DATASET_KEYS", "Cell", "ModelSpec", "dataset_label", "expand_grid", "load_described_dataset"]

#: The name of the cells without augmentation.
BASELINE = "baseline"
#: Keys a dataset description may have.
DATASET_KEYS = (
    "name",
    "root",
    "path",
    "target",
    "test_path",
    "positive_label",
    "categorical",
    "numerical",
    "exclude",
    "missing_values",
    "sep",
    "group",
)


def canonical_json(value: Any) -> str:
    """Sorted, compact JSON (non-JSON values as their text): the text hashed into ids and seeds."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def dataset_identity(desc: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies a dataset in ids and seeds: its description without where it lies (the
    catalog's ``root``; a file's folder), so moving the data changes no number."""
    out = {k: v for k, v in desc.items() if k != "root"}
    for key in ("path", "test_path"):
        if key in out and out[key] is not None:
            out[key] = Path(str(out[key])).name
    return out


def dataset_label(desc: Mapping[str, Any]) -> str:
    """The name a dataset goes by in results: its catalog name, else its file's stem."""
    if "name" in desc:
        return str(desc["name"])
    return Path(str(desc["path"])).stem


def load_described_dataset(desc: Mapping[str, Any]) -> Dataset:
    """Load the dataset a description names: a catalog entry or a file, with its schema options
    (``target``, ``positive_label``, ``categorical``, ``numerical``, ``exclude``,
    ``missing_values``, ``group``) overriding what the catalog or the inference would choose."""
    from tabaugment.data import infer_schema, load_dataset, read_table

    options = {
        k: desc[k]
        for k in ("categorical", "numerical", "exclude", "missing_values", "group")
        if desc.get(k) is not None
    }
    if "path" in desc:
        table = read_table(desc["path"], sep=desc.get("sep"))
        schema = infer_schema(table, desc["target"], positive_label=desc.get("positive_label"), **options)
        test = read_table(desc["test_path"], sep=desc.get("sep")) if desc.get("test_path") else None
        return Dataset(name=dataset_label(desc), table=table, schema=schema, test=test)
    ds = load_dataset(str(desc["name"]), root=desc.get("root"))
    if desc.get("test_path"):
        ds.test = read_table(desc["test_path"], sep=desc.get("sep"))
    target = desc.get("target") or ds.schema.target
    if options or target != ds.schema.target or desc.get("positive_label") is not None:
        s = ds.schema
        same = target == s.target
        ds.schema = infer_schema(
            ds.table,
            target,
            positive_label=desc.get("positive_label", s.positive_label if same else None),
            categorical=options.get("categorical", list(s.categorical) if same else None),
            numerical=options.get("numerical", list(s.numerical) if same else None),
            exclude=options.get("exclude", list(s.excluded)),
            missing_values=options.get("missing_values", list(s.missing_values)),
            column_missing_values=s.column_missing_values,
            group=options.get("group"),
        )
    return ds


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A downstream model: a built-in name with parameter overrides, or a scikit-learn classifier.

    ``label`` names it in results ("lightgbm", "xgboost(max_depth=4)", "LogisticRegression").
    """

    name: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    estimator: Any = None

    @classmethod
    def of(cls, model: Any, params: Mapping[str, Any] | None = None) -> ModelSpec:
        """From a name, a ``{"name": ..., "params": {...}}`` dict, an estimator or a ModelSpec."""
        if isinstance(model, ModelSpec):
            return model
        if isinstance(model, str):
            return cls(name=model, params=dict(params or {}))
        if isinstance(model, Mapping):
            unknown = set(model) - {"name", "params"}
            if "name" not in model or unknown:
                raise ParameterError(f"A model table needs 'name' (and optionally 'params'); got keys {sorted(model)}.")
            return cls(name=str(model["name"]), params={**dict(model.get("params", {})), **dict(params or {})})
        if params:
            raise ParameterError("model_params can only be given with a model name, not with an estimator.")
        return cls(name=type(model).__name__, estimator=model)

    @property
    def label(self) -> str:
        if not self.params or self.estimator is not None:
            return self.name
        inner = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.name}({inner})"

    def describe(self) -> Any:
        """What the model's numbers depend on (hashed into cell ids)."""
        if self.estimator is not None:
            est = self.estimator
            return {"estimator": f"{type(est).__module__}:{type(est).__qualname__}", "params": est.get_params()}
        return self.name if not self.params else {"name": self.name, "params": dict(self.params)}

    def as_param(self) -> Any:
        """The model as an Augmenter's ``model`` parameter (what ``auto`` judges with)."""
        if self.estimator is not None:
            return self.estimator
        return self.name if not self.params else {"name": self.name, "params": dict(self.params)}

    def build(self, random_state: int) -> Any:
        """A fresh, seeded classifier."""
        from tabaugment.evaluation.models import make_model

        if self.estimator is not None:
            return make_model(self.estimator, random_state=random_state)
        return make_model(self.name, random_state=random_state, **dict(self.params))


@dataclasses.dataclass(frozen=True)
class Cell:
    """One dataset x training size x strategy (None: the baseline) x budget x model x seed."""

    dataset: Mapping[str, Any]
    train_size: Any
    strategy: Strategy | None
    budget: Any
    model: ModelSpec
    seed: int
    #: split settings that differ from the defaults, as sorted (name, value) pairs
    split: tuple[tuple[str, Any], ...] = ()

    @property
    def strategy_name(self) -> str:
        return BASELINE if self.strategy is None else self.strategy.name

    @property
    def is_baseline(self) -> bool:
        return self.strategy is None

    def describe(self) -> dict[str, Any]:
        """The canonical description; ``cell_id`` is its hash."""
        return {
            "dataset": dataset_identity(self.dataset),
            "train_size": self.train_size,
            "strategy": self.strategy_name,
            "augmentation": None if self.strategy is None else self.strategy.describe(),
            "budget": self.budget,
            "model": self.model.describe(),
            "seed": self.seed,
            **({"split": dict(self.split)} if self.split else {}),
        }

    @property
    def cell_id(self) -> str:
        return hashlib.sha256(canonical_json(self.describe()).encode("utf-8")).hexdigest()[:20]

    @property
    def pair_key(self) -> str:
        """What a strategy cell shares with its baseline: the split and the model seed. (Spelled
        as in earlier versions, so their splits and baselines are reproduced exactly.)"""
        return json.dumps({"d": dataset_identity(self.dataset), "n": self.train_size}, sort_keys=True, default=str)

    @property
    def job_key(self) -> str:
        """What the cells of one job share (one fitted generator, sampled at each budget and
        scored with each model): the split and the augmentation, not its name. When the
        augmentation depends on the model (``auto`` judging with it), the model too."""
        aug = None if self.strategy is None else self.strategy.describe()
        key: dict[str, Any] = {"d": dataset_identity(self.dataset), "n": self.train_size, "a": aug, "seed": self.seed}
        if self.split:
            key["split"] = dict(self.split)
        if self.strategy is not None and self.strategy.uses_model:
            key["m"] = self.model.describe()
        return canonical_json(key)


def expand_grid(
    datasets: Iterable[Mapping[str, Any]],
    strategies: Iterable[Strategy],
    models: Iterable[ModelSpec],
    seeds: Iterable[int],
    split: Mapping[str, Any] | None = None,
) -> list[Cell]:
    """Every dataset x training size x model x seed, with a baseline cell and one cell per
    strategy and budget. A dataset's ``train_size`` may be one value or a list ("full" = all
    remaining rows). ``split``: the split settings that differ from the defaults."""
    split_key = tuple(sorted((split or {}).items()))
    strategies = list(strategies)
    models = list(models)
    seeds = list(seeds)
    out = []
    for ds in datasets:
        sizes = ds.get("train_size", ["full"])
        sizes = sizes if isinstance(sizes, list) else [sizes]
        desc = {k: v for k, v in ds.items() if k != "train_size"}
        for size in sizes:
            for model in models:
                for seed in seeds:
                    out.append(Cell(desc, size, None, None, model, seed, split_key))
                    for st in strategies:
                        for budget in st.budgets:
                            out.append(Cell(desc, size, st, budget, model, seed, split_key))
    return out


def default_model() -> ModelSpec:
    """The default downstream model."""
    return ModelSpec(name=_defaults.MODEL)
