"""A strategy: one way to augment (hardness -> selector -> generator, budgets, options).

Experiment specs, :func:`~tabaugment.experiment.evaluate_augmentation` and ``recommend`` all
describe augmentation with :class:`Strategy`, whose defaults are the pipeline's
(:mod:`tabaugment._defaults`). :meth:`Strategy.describe` is its canonical form: component
names with only their non-default parameters, options only where they differ from the
defaults, and no hardness method when the selector ignores hardness. Two strategies that would
compute the same thing have the same description, whatever their names or spelling, and so
the same seeds and the same numbers.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any

from tabaugment import _defaults
from tabaugment._registry import available, get_class, registered_name
from tabaugment.exceptions import ParameterError, TabAugmentError

__all__ = ["COMPONENTS", "STRATEGY_KEYS", "Strategy"]

#: Component kinds of a strategy, and their registry kinds.
COMPONENTS = {"hardness": "hardness", "selector": "selectors", "generator": "generators"}
#: Keys a strategy table of a spec may have.
STRATEGY_KEYS = (
    "name",
    "hardness",
    "hardness_params",
    "selector",
    "selector_params",
    "generator",
    "generator_params",
    "budget",
    "fit_on",
    "filter_invalid",
    "rules",
    "max_rounds",
    "max_synthetic_ratio",
    "random_state",
    "compare_to",
)


#: Parameters that change how a component runs, never what it computes: left out of descriptions.
EXECUTION_ONLY = frozenset({"progress"})


def _non_default(cls: type, params: Mapping[str, Any]) -> dict[str, Any]:
    defaults = cls().get_params(deep=False)
    out = {}
    for key, value in params.items():
        if key in EXECUTION_ONLY:
            continue
        try:
            same = key in defaults and type(value) is type(defaults[key]) and bool(value == defaults[key])
        except (TypeError, ValueError):
            same = False
        if not same:
            out[key] = value
    return out


def _component(kind: str, value: Any, params: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(registry name or instance, parameters) of a component given by name, class or instance."""
    registry = COMPONENTS[kind]
    if isinstance(value, str):
        return value, dict(params)
    if params:
        raise ParameterError(f"{kind}_params can only be given with a {kind} name, not with an instance.")
    instance = value() if isinstance(value, type) else value
    name = registered_name(registry, type(instance))
    if name is None:
        return instance, {}
    return name, instance.get_params(deep=False)


@dataclasses.dataclass(frozen=True)
class Strategy:
    """One augmentation strategy, at one or more budgets.

    ``hardness``, ``selector`` and ``generator`` are registry names (with their ``*_params``)
    or, for components that are not registered, instances. ``budgets`` lists the synthetic
    budgets it is tried at (see :func:`~tabaugment.augment.resolve_budget`).
    """

    name: str
    hardness: Any = _defaults.HARDNESS
    hardness_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    selector: Any = _defaults.SELECTOR
    selector_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    generator: Any = _defaults.GENERATOR
    generator_params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    budgets: tuple[Any, ...] = (_defaults.BUDGET,)
    fit_on: str = _defaults.FIT_ON
    filter_invalid: bool = False
    rules: tuple[str, ...] = ()
    max_rounds: int = _defaults.MAX_ROUNDS
    max_synthetic_ratio: float = _defaults.MAX_SYNTHETIC_RATIO
    random_state: int | None = None
    compare_to: str | None = None

    # ------------------------------------------------------------------ build
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "strategy") -> Strategy:
        """A strategy from a spec table; raises :class:`SpecError` listing every problem."""
        from tabaugment.exceptions import SpecError

        problems = cls.problems(data, where)
        if problems:
            raise SpecError(problems)
        budgets = data.get("budget", _defaults.BUDGET)
        return cls(
            name=str(data["name"]),
            hardness=data.get("hardness", _defaults.HARDNESS),
            hardness_params=dict(data.get("hardness_params", {})),
            selector=data.get("selector", _defaults.SELECTOR),
            selector_params=dict(data.get("selector_params", {})),
            generator=data.get("generator", _defaults.GENERATOR),
            generator_params=dict(data.get("generator_params", {})),
            budgets=tuple(budgets) if isinstance(budgets, list) else (budgets,),
            fit_on=data.get("fit_on", _defaults.FIT_ON),
            filter_invalid=bool(data.get("filter_invalid", False)),
            rules=tuple(data.get("rules", ())),
            max_rounds=int(data.get("max_rounds", _defaults.MAX_ROUNDS)),
            max_synthetic_ratio=float(data.get("max_synthetic_ratio", _defaults.MAX_SYNTHETIC_RATIO)),
            random_state=data.get("random_state"),
            compare_to=data.get("compare_to"),
        )

    @staticmethod
    def problems(data: Mapping[str, Any], where: str = "strategy") -> list[str]:
        """Every problem of a spec's strategy table (empty when it is valid)."""
        from tabaugment.augment import budget_problem

        out: list[str] = []
        if not isinstance(data, Mapping):
            return [f"{where}: a strategy must be a table; got {type(data).__name__}."]
        for key in data:
            if key not in STRATEGY_KEYS:
                close = difflib.get_close_matches(str(key), STRATEGY_KEYS, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                out.append(f"{where}: unknown key {key!r}.{hint} Known keys: {', '.join(STRATEGY_KEYS)}.")
        if not data.get("name"):
            out.append(f"{where}: every strategy needs a name.")
        for kind, registry in COMPONENTS.items():
            value = data.get(kind, getattr(_defaults, kind.upper()))
            params = data.get(f"{kind}_params", {})
            if not isinstance(value, str) or value not in available(registry):
                out.append(f"{where}.{kind}: unknown {kind} {value!r}; choose from {', '.join(available(registry))}.")
                continue
            if not isinstance(params, Mapping):
                out.append(f"{where}.{kind}_params must be a table; got {params!r}.")
                continue
            cls = get_class(registry, value)
            valid = cls().get_params(deep=False)
            unknown = [p for p in params if p not in valid]
            for p in unknown:
                out.append(f"{where}.{kind}_params: {value} has no parameter {p!r}; it has {sorted(valid)}.")
            if not unknown:
                try:
                    cls(**params)._validate_params()
                except TabAugmentError as exc:
                    out.append(f"{where}.{kind}_params: {exc}")
        budgets = data.get("budget", _defaults.BUDGET)
        for budget in budgets if isinstance(budgets, list) else [budgets]:
            problem = budget_problem(budget)
            if problem:
                out.append(f"{where}.budget: {problem}")
        if data.get("fit_on", _defaults.FIT_ON) not in ("selected", "all"):
            out.append(f"{where}.fit_on: {data['fit_on']!r} is not 'selected' or 'all'.")
        rules = data.get("rules", [])
        if not (isinstance(rules, list) and all(isinstance(r, str) for r in rules)):
            out.append(f"{where}.rules must be a list of rule strings; got {rules!r}.")
        for key, ok in (
            ("filter_invalid", lambda v: isinstance(v, bool)),
            ("max_rounds", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
            ("max_synthetic_ratio", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0),
            ("random_state", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)),
        ):
            if key in data and not ok(data[key]):
                out.append(f"{where}.{key}: {data[key]!r} is not allowed.")
        return out

    @classmethod
    def from_augmenter(cls, name: str, augmenter: Any) -> Strategy:
        """The strategy an :class:`~tabaugment.Augmenter` applies (components as names where
        they are registered)."""
        from tabaugment.hardness.base import HardnessResult

        params = augmenter.get_params(deep=False)
        if isinstance(params["hardness"], HardnessResult):
            raise ParameterError(
                f"Strategy {name!r} gives precomputed hardness scores; an evaluation scores every split anew, "
                "so give a hardness method (a name or an instance) instead."
            )
        parts: dict[str, Any] = {}
        for kind in COMPONENTS:
            value, kparams = _component(kind, params[kind], {})
            parts[kind], parts[f"{kind}_params"] = value, kparams
        rules = params.get("rules")
        return cls(
            name=name,
            budgets=(params["budget"],),
            fit_on=params["fit_on"],
            filter_invalid=bool(params["filter_invalid"]),
            rules=() if rules is None else ((rules,) if isinstance(rules, str) else tuple(rules)),
            max_rounds=int(params["max_rounds"]),
            max_synthetic_ratio=float(params["max_synthetic_ratio"]),
            random_state=params["random_state"],
            **parts,
        )

    # ------------------------------------------------------------------ use
    @property
    def uses_scores(self) -> bool:
        """Whether the selector looks at hardness scores (else no hardness is computed)."""
        if isinstance(self.selector, str):
            return bool(getattr(get_class("selectors", self.selector), "uses_scores", True))
        return bool(getattr(self.selector, "uses_scores", True))

    def component(self, kind: str) -> Any:
        """A fresh instance of component ``kind`` ("hardness", "selector" or "generator")."""
        from sklearn.base import clone

        value = getattr(self, kind)
        if isinstance(value, str):
            return get_class(COMPONENTS[kind], value)(**dict(getattr(self, f"{kind}_params")))
        return clone(value)

    def augmenter(self, budget: Any, *, random_state: int, hardness: Any = None) -> Any:
        """An unfitted :class:`~tabaugment.Augmenter` for ``budget``; ``hardness`` may be a
        precomputed :class:`~tabaugment.hardness.HardnessResult` of the rows it will fit on."""
        from tabaugment.augment import Augmenter

        return Augmenter(
            hardness=hardness if hardness is not None else self.component("hardness"),
            selector=self.component("selector"),
            generator=self.component("generator"),
            budget=budget,
            fit_on=self.fit_on,
            filter_invalid=self.filter_invalid,
            rules=list(self.rules) or None,
            max_rounds=self.max_rounds,
            max_synthetic_ratio=self.max_synthetic_ratio,
            random_state=random_state,
        )

    # ------------------------------------------------------------------ describe
    def describe_component(self, kind: str) -> Any:
        """A component's canonical form: its name, or name and non-default parameters."""
        value = getattr(self, kind)
        if isinstance(value, str):
            params = _non_default(get_class(COMPONENTS[kind], value), getattr(self, f"{kind}_params"))
            return value if not params else {"name": value, "params": params}
        cls = type(value)
        return {
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "params": _non_default(cls, value.get_params(deep=False)),
        }

    def describe(self) -> dict[str, Any]:
        """The canonical description: everything the numbers depend on, and nothing else."""
        out: dict[str, Any] = {}
        if self.uses_scores:
            out["hardness"] = self.describe_component("hardness")
        out["selector"] = self.describe_component("selector")
        out["generator"] = self.describe_component("generator")
        if self.fit_on != _defaults.FIT_ON:
            out["fit_on"] = self.fit_on
        if self.filter_invalid:
            out["filter_invalid"] = True
            if self.max_rounds != _defaults.MAX_ROUNDS:
                out["max_rounds"] = self.max_rounds
        if self.rules:
            out["rules"] = list(self.rules)
        if self.max_synthetic_ratio != _defaults.MAX_SYNTHETIC_RATIO:
            out["max_synthetic_ratio"] = self.max_synthetic_ratio
        if self.random_state is not None:
            out["random_state"] = self.random_state
        return out

    def to_dict(self) -> dict[str, Any]:
        """A spec table of this strategy (instances written as their description)."""
        out: dict[str, Any] = {"name": self.name}
        for kind in COMPONENTS:
            value = getattr(self, kind)
            out[kind] = value if isinstance(value, str) else self.describe_component(kind)
            if isinstance(value, str) and getattr(self, f"{kind}_params"):
                out[f"{kind}_params"] = dict(getattr(self, f"{kind}_params"))
        out["budget"] = list(self.budgets) if len(self.budgets) > 1 else self.budgets[0]
        out.update({k: v for k, v in self.describe().items() if k not in COMPONENTS})
        if self.compare_to:
            out["compare_to"] = self.compare_to
        return out
