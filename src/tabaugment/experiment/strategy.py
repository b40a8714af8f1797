"""A strategy: one way to build the training set, named, at one or more budgets.

Experiment specs, :func:`~tabaugment.experiment.evaluate_augmentation` and ``recommend`` all
describe augmentation with :class:`Strategy`: the parameters of an
:class:`~tabaugment.Augmenter` (components by registry name with their ``*_params``, or as
instances when they are not registered), its budgets, and optionally the strategy it is
compared with. What a strategy leaves out has the Augmenter's defaults, so a spec table, an
``Augmenter`` and the command line mean the same thing.

:meth:`Strategy.describe` is its canonical form: only what the numbers depend on (component
names with their non-default parameters, other parameters where they differ from the
defaults, no hardness method when the selector ignores hardness, no pipeline parameters when
``auto`` chooses). Two strategies that compute the same thing have the same description,
whatever their names or spelling, and so the same seeds and the same numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from tabaugment import _defaults
from tabaugment._registry import get_class, registered_name
from tabaugment.exceptions import ParameterError, SpecError, TabAugmentError

__all__ = ["COMPONENTS", "Strategy"]

#: Component parameters of the Augmenter, and their registry kinds.
COMPONENTS = {"hardness": "hardness", "selector": "selectors", "generator": "generators", "curate": "curators"}
#: Parameters that change how a component runs, never what it computes: left out of descriptions.
EXECUTION_ONLY = frozenset({"progress"})
#: Parameters only ``generator="auto"`` reads, and the ones only an explicit strategy reads.
AUTO_ONLY = frozenset({"candidates", "model", "n_splits", "n_repeats", "alpha", "metric"})
_STRATEGY_KEYS = ("name", "budget", "compare_to")


#: Parameters that may be None, written "none" in spec files (TOML has no null).
NULLABLE = ("generator", "curate", "teacher")


def _with_nones(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: None if k in NULLABLE and isinstance(v, str) and v.lower() == "none" else v for k, v in data.items()}


def _augmenter_defaults() -> dict[str, Any]:
    from tabaugment.augment import Augmenter

    return Augmenter().get_params(deep=False)


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _non_default(cls: type, params: Mapping[str, Any]) -> dict[str, Any]:
    defaults = cls().get_params(deep=False)
    return {
        k: v for k, v in params.items() if k not in EXECUTION_ONLY and not (k in defaults and _same(v, defaults[k]))
    }


def _component(kind: str, value: Any, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(registry name or instance, parameters) of a component given by name, class or instance."""
    if value is None or isinstance(value, str):
        return value, dict(params)
    if params:
        raise ParameterError(f"{kind}_params can only be given with a {kind} name, not with an instance.")
    instance = value() if isinstance(value, type) else value
    name = registered_name(COMPONENTS[kind], type(instance))
    if name is None:
        return instance, {}
    return name, instance.get_params(deep=False)


@dataclasses.dataclass(frozen=True)
class Strategy:
    """One augmentation strategy, at one or more budgets.

    Attributes
    ----------
    name : how results and comparisons call it (never part of its seeds).
    params : :class:`~tabaugment.Augmenter` parameters it sets (without ``budget``);
        components as registry names or instances.
    component_params : per component given by name, its parameters.
    budgets : the synthetic budgets it is tried at (each its own grid cell).
    compare_to : another strategy of the same spec to compare it with, paired by seed.
    """

    name: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    component_params: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    budgets: tuple[Any, ...] = (_defaults.BUDGET,)
    compare_to: str | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "strategy") -> Strategy:
        """A strategy from a spec table; raises :class:`SpecError` listing every problem.
        ``"none"`` stands for None where a parameter may be None (TOML has no null)."""
        data = _with_nones(data)
        problems = cls.problems(data, where)
        if problems:
            raise SpecError(problems)
        budgets = data.get("budget", _defaults.BUDGET)
        params = {k: v for k, v in data.items() if k not in _STRATEGY_KEYS and not k.endswith("_params")}
        if "rules" in params and isinstance(params["rules"], list):
            params["rules"] = tuple(params["rules"])
        return cls(
            name=str(data["name"]),
            params=params,
            component_params={k[: -len("_params")]: dict(v) for k, v in data.items() if k.endswith("_params")},
            budgets=tuple(budgets) if isinstance(budgets, list) else (budgets,),
            compare_to=data.get("compare_to"),
        )

    @staticmethod
    def problems(data: Any, where: str = "strategy") -> list[str]:
        """Every problem of a spec's strategy table (empty when it is valid)."""
        from tabaugment.augment import budget_problem

        if not isinstance(data, Mapping):
            return [f"{where}: a strategy must be a table; got {type(data).__name__}."]
        data = _with_nones(data)
        defaults = _augmenter_defaults()
        known = [*_STRATEGY_KEYS, *(k for k in defaults if k not in ("budget", *EXECUTION_ONLY, "random_state"))]
        known += ["random_state", *(f"{k}_params" for k in COMPONENTS)]
        out: list[str] = []
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                out.append(f"{where}: unknown key {key!r}.{hint} Known keys: {', '.join(known)}.")
        if not data.get("name"):
            out.append(f"{where}: every strategy needs a name.")
        for kind, registry in COMPONENTS.items():
            value = data.get(kind, defaults[kind])
            params = data.get(f"{kind}_params", {})
            if value is None or (kind == "generator" and value == "auto"):
                if params:
                    out.append(f"{where}.{kind}_params: {kind} {value!r} takes no parameters.")
                continue
            if not isinstance(value, str) or value not in get_available(registry):
                out.append(
                    f"{where}.{kind}: unknown {kind} {value!r}; choose from {', '.join(get_available(registry))}."
                )
                continue
            if not isinstance(params, Mapping):
                out.append(f"{where}.{kind}_params must be a table; got {params!r}.")
                continue
            comp = get_class(registry, value)
            valid = comp().get_params(deep=False)
            unknown = [p for p in params if p not in valid]
            for p in unknown:
                out.append(f"{where}.{kind}_params: {value} has no parameter {p!r}; it has {sorted(valid)}.")
            if not unknown:
                try:
                    comp(**params)._validate_params()
                except TabAugmentError as exc:
                    out.append(f"{where}.{kind}_params: {exc}")
        budgets = data.get("budget", _defaults.BUDGET)
        for budget in budgets if isinstance(budgets, list) else [budgets]:
            problem = budget_problem(budget)
            if problem:
                out.append(f"{where}.budget: {problem}")
        rules = data.get("rules", [])
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            out.append(f"{where}.rules must be a list of rule strings; got {rules!r}.")
        from tabaugment.augment import Augmenter
        from tabaugment.params import check_param

        plain = {k: v for k, v in data.items() if k in defaults and k not in (*COMPONENTS, "rules", "budget")}
        constraints = Augmenter._all_parameter_constraints()
        before = len(out)
        for key, value in plain.items():
            try:
                check_param(value, key, "Augmenter", *constraints[key])
            except TabAugmentError as exc:
                out.append(f"{where}.{key}: {exc}")
        if len(out) == before:
            try:
                Augmenter(**{**plain, **{k: data[k] for k in COMPONENTS if k in data}})._check_params()
            except TabAugmentError as exc:
                out.append(f"{where}: {exc}")
            if data.get("generator") == "auto" and data.get("candidates") is not None:
                from tabaugment.augment import augmenter_from_dict

                for i, cand in enumerate(data["candidates"]):
                    try:
                        augmenter_from_dict(cand)._validate_params()
                    except TabAugmentError as exc:
                        out.append(f"{where}.candidates[{i}]: {exc}")
        return out

    @classmethod
    def from_augmenter(cls, name: str, augmenter: Any) -> Strategy:
        """The strategy an :class:`~tabaugment.Augmenter` applies (components as names where
        they are registered)."""
        from tabaugment.hardness.base import HardnessResult

        given = augmenter.get_params(deep=False)
        if isinstance(given["hardness"], HardnessResult):
            raise ParameterError(
                f"Strategy {name!r} gives precomputed hardness scores; an evaluation scores every split anew, "
                "so give a hardness method (a name or an instance) instead."
            )
        params: dict[str, Any] = {}
        component_params: dict[str, dict[str, Any]] = {}
        for key, value in given.items():
            if key in ("budget", *EXECUTION_ONLY):
                continue
            if key in COMPONENTS:
                value, kparams = _component(key, value, {})
                if kparams:
                    component_params[key] = kparams
            params[key] = tuple(value) if key == "rules" and isinstance(value, list) else value
        return cls(name=name, params=params, component_params=component_params, budgets=(given["budget"],))

    # ------------------------------------------------------------------ use
    def get(self, key: str) -> Any:
        """The value of Augmenter parameter ``key`` in this strategy (its default when unset)."""
        return self.params[key] if key in self.params else _augmenter_defaults()[key]

    @property
    def is_auto(self) -> bool:
        """Whether ``auto`` chooses the augmentation."""
        return isinstance(self.get("generator"), str) and self.get("generator") == "auto"

    @property
    def uses_model(self) -> bool:
        """Whether the augmentation depends on the downstream model (``auto`` judging with it)."""
        return self.is_auto and self.get("model") is None

    @property
    def uses_scores(self) -> bool:
        """Whether hardness scores are computed (a generator, and a selector that looks at them)."""
        if self.is_auto or self.get("generator") is None:
            return False
        selector = self.get("selector")
        cls = get_class("selectors", selector) if isinstance(selector, str) else type(selector)
        return bool(getattr(cls, "uses_scores", True))

    def component(self, kind: str) -> Any:
        """A fresh instance of component ``kind`` ("hardness", "selector", "generator", "curate")."""
        from sklearn.base import clone

        value = self.get(kind)
        if value is None or (kind == "generator" and value == "auto"):
            return value
        if isinstance(value, str):
            return get_class(COMPONENTS[kind], value)(**dict(self.component_params.get(kind, {})))
        return clone(value)

    def augmenter(self, budget: Any, *, random_state: int, hardness: Any = None, model: Any = None) -> Any:
        """An unfitted :class:`~tabaugment.Augmenter` for ``budget``; ``hardness`` may be a
        precomputed :class:`~tabaugment.hardness.HardnessResult` of the rows it will fit on,
        ``model`` the downstream model ``auto`` judges with when the strategy leaves it open."""
        from tabaugment.augment import Augmenter

        # the strategy's own random_state is a salt of the seed the engine derives (see describe)
        params = {k: v for k, v in self.params.items() if k not in (*COMPONENTS, "random_state")}
        if isinstance(params.get("rules"), tuple):
            params["rules"] = list(params["rules"])
        if self.is_auto:  # auto reads only its own parameters
            params = {k: v for k, v in params.items() if k in AUTO_ONLY or k in ("weights", "max_synthetic_ratio")}
            params["generator"] = "auto"
            if self.uses_model and model is not None:
                params["model"] = model
            return Augmenter(**params, random_state=random_state)
        for kind in COMPONENTS:
            params[kind] = self.component(kind)
        if hardness is not None:
            params["hardness"] = hardness
        if self.uses_model and model is not None:
            params["model"] = model
        return Augmenter(**params, budget=budget, random_state=random_state)

    # ------------------------------------------------------------------ describe
    def describe_component(self, kind: str) -> Any:
        """A component's canonical form: its name, or name and non-default parameters."""
        value = self.get(kind)
        if value is None or isinstance(value, str):
            if value is None or (kind == "generator" and value == "auto"):
                return value
            params = _non_default(get_class(COMPONENTS[kind], value), self.component_params.get(kind, {}))
            return value if not params else {"name": value, "params": params}
        cls = type(value)
        return {
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "params": _non_default(cls, value.get_params(deep=False)),
        }

    def describe(self) -> dict[str, Any]:
        """The canonical description: everything the numbers depend on, and nothing else."""
        defaults = _augmenter_defaults()
        if self.is_auto:
            out: dict[str, Any] = {"generator": "auto", "candidates": self._candidates()}
            for key in [*sorted(AUTO_ONLY - {"candidates"}), "weights", "random_state"]:
                value = self.get(key)
                if key == "model" and value is not None and not isinstance(value, (str, Mapping)):
                    value = {
                        "class": f"{type(value).__module__}:{type(value).__qualname__}",
                        "params": value.get_params(),
                    }
                if not _same(value, defaults[key]):
                    out[key] = value
            return out
        out = {}
        if self.uses_scores:
            out["hardness"] = self.describe_component("hardness")
        if self.get("generator") is not None:
            out["selector"] = self.describe_component("selector")
        out["generator"] = self.describe_component("generator")
        if self.get("curate") is not None:
            out["curate"] = self.describe_component("curate")
        relevant = [
            k
            for k in defaults
            if k not in (*COMPONENTS, "budget", *EXECUTION_ONLY, *AUTO_ONLY)
            and not (k == "oversample" and self.get("curate") is None)
            and not (k == "teacher_model" and self.get("teacher") is None)
            and not (k == "max_rounds" and not (self.get("filter_invalid") or self.get("curate") is not None))
            and not (k == "fit_on" and self.get("generator") is None)
        ]
        for key in relevant:
            value = self.get(key)
            if isinstance(value, tuple):
                value = list(value)
            if not _same(value, defaults[key]) and not (key == "rules" and not value):
                out[key] = value
        return out

    def _candidates(self) -> list[dict[str, Any]]:
        """``auto``'s candidates in canonical form (names kept: they name the choice)."""
        from tabaugment.augment import augmenter_from_dict

        raw = self.get("candidates")
        out = []
        for i, cand in enumerate(_defaults.AUTO_CANDIDATES if raw is None else raw):
            name = str(cand.get("name", f"candidate_{i}"))
            budget = cand.get("budget", _defaults.BUDGET)
            inner = Strategy.from_augmenter(name, augmenter_from_dict(cand))  # components as names or instances
            out.append({"name": name, **inner.describe(), "budget": budget})
        return out

    def to_dict(self) -> dict[str, Any]:
        """A spec table of this strategy (instances written as their description)."""
        out: dict[str, Any] = {"name": self.name}
        for key, value in self.params.items():
            if key in COMPONENTS and value is not None and not isinstance(value, str):
                out[key] = self.describe_component(key)
            else:
                out[key] = list(value) if isinstance(value, tuple) else value
        for kind, params in self.component_params.items():
            if params:
                out[f"{kind}_params"] = dict(params)
        out["budget"] = list(self.budgets) if len(self.budgets) > 1 else self.budgets[0]
        if self.compare_to:
            out["compare_to"] = self.compare_to
        return out


def get_available(kind: str) -> list[str]:
    from tabaugment._registry import available

    return available(kind)
