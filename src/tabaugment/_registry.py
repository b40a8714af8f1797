"""Registries of components by kind: a name maps to "module:Class", imported on first use.

Third-party packages add components through entry points in the groups
``tabaugment.hardness``, ``tabaugment.selectors``, ``tabaugment.generators`` and
``tabaugment.curators``; they are read the first time a name is looked up, never at import.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from tabaugment.exceptions import ParameterError

__all__ = ["available", "get_class", "register", "registered_name", "resolve"]

KINDS = ("hardness", "selectors", "generators", "curators")

_BUILTIN: dict[str, dict[str, str]] = {
    "hardness": {
        "knn_shapley": "tabaugment.hardness._knn_shapley:KNNShapley",
        "random": "tabaugment.hardness._random:RandomHardness",
        "threshold_knn_shapley": "tabaugment.hardness._threshold:ThresholdKNNShapley",
        "approximate_knn_shapley": "tabaugment.hardness._approximate:ApproximateKNNShapley",
        "data_iq": "tabaugment.hardness._dynamics:DataIQ",
        "data_maps": "tabaugment.hardness._dynamics:DataMaps",
        "forgetting": "tabaugment.hardness._dynamics:ForgettingEvents",
        "oof_loss": "tabaugment.hardness._dynamics:OutOfFoldLoss",
        "data_oob": "tabaugment.hardness._oob:DataOOB",
        "confident_learning": "tabaugment.hardness._confident:ConfidentLearning",
    },
    "selectors": {
        "hardest": "tabaugment.selection._strategies:TopFraction",
        "hardest_per_class": "tabaugment.selection._strategies:TopFractionPerClass",
        "minority": "tabaugment.selection._strategies:MinorityClass",
        "hardest_minority": "tabaugment.selection._strategies:HardestMinority",
        "smallest_group": "tabaugment.selection._groups:SmallestGroup",
        "threshold": "tabaugment.selection._strategies:Threshold",
        "random": "tabaugment.selection._strategies:RandomSelection",
        "all": "tabaugment.selection._strategies:AllRows",
        "ambiguous": "tabaugment.selection._regions:Ambiguous",
        "hardest_denoised": "tabaugment.selection._regions:HardestDenoised",
        "hard_neighbourhood": "tabaugment.selection._regions:HardNeighbourhood",
        "hard_mix": "tabaugment.selection._regions:HardMix",
    },
    "generators": {
        "random_oversampling": "tabaugment.generators._oversampling:RandomOversampling",
        "smote": "tabaugment.generators._smote:SMOTEGenerator",
        "borderline_smote": "tabaugment.generators._smote_family:BorderlineSMOTEGenerator",
        "svm_smote": "tabaugment.generators._smote_family:SVMSMOTEGenerator",
        "adasyn": "tabaugment.generators._smote_family:ADASYNGenerator",
        "kmeans_smote": "tabaugment.generators._smote_family:KMeansSMOTEGenerator",
        "gaussian_copula": "tabaugment.generators._copula:GaussianCopula",
        "arf": "tabaugment.generators._arf:AdversarialRandomForest",
        "tvae": "tabaugment.generators.neural._tvae:TVAE",
        "ctgan": "tabaugment.generators.neural._ctgan:CTGAN",
        "ctabgan_plus": "tabaugment.generators.neural._ctabgan:CTABGANPlus",
        "diffusion": "tabaugment.generators.neural._diffusion:TabularDiffusion",
        "tabsyn": "tabaugment.generators.neural._tabsyn:TabSyn",
        "tabular_gpt": "tabaugment.generators.neural._tabular_gpt:TabularGPT",
        "great": "tabaugment.generators.lm._great:GReaT",
        "harmonic": "tabaugment.generators.lm._harmonic:HARMONIC",
    },
    "curators": {
        "data_iq": "tabaugment.augment._curation:DataIQCurator",
        "knn_shapley": "tabaugment.augment._curation:KNNShapleyCurator",
    },
}

# a name maps to "module:Class" (imported on first use) or to a class registered as an object
_registry: dict[str, dict[str, str | type]] = {k: dict(v) for k, v in _BUILTIN.items()}
_entry_points_loaded: set[str] = set()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ParameterError(f"Unknown component kind {kind!r}; expected one of {', '.join(KINDS)}.")


def _load_entry_points(kind: str) -> None:
    if kind in _entry_points_loaded:
        return
    _entry_points_loaded.add(kind)
    from importlib.metadata import entry_points

    for ep in entry_points(group=f"tabaugment.{kind}"):
        if ":" in ep.value:  # an entry point that names no class is ignored, not imported
            _registry[kind].setdefault(ep.name, ep.value)


def register(kind: str, name: str, target: str | type) -> None:
    """Register ``target`` under ``name``: a class, or a "module:Class" string imported on first use.

    Built-in names cannot be taken over.
    """
    _check_kind(kind)
    if not isinstance(target, type) and (not isinstance(target, str) or ":" not in target):
        raise ParameterError(f"target must be a class or look like 'package.module:Class'. Got {target!r}.")
    if name in _BUILTIN[kind] and _BUILTIN[kind][name] != _path(target):
        raise ParameterError(
            f"{name!r} is a built-in {kind[:-1] if kind.endswith('s') else kind}; register yours under another name."
        )
    _registry[kind][name] = target


def _path(target: str | type) -> str:
    return target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"


def available(kind: str) -> list[str]:
    """Sorted names registered for ``kind`` (built-in and plugins)."""
    _check_kind(kind)
    _load_entry_points(kind)
    return sorted(_registry[kind])


def get_class(kind: str, name: str) -> type:
    """The class registered as ``name``; unknown names get the closest suggestions."""
    _check_kind(kind)
    _load_entry_points(kind)
    try:
        target = _registry[kind][name]
    except KeyError:
        close = difflib.get_close_matches(name, _registry[kind], n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ParameterError(
            f"Unknown {kind[:-1] if kind.endswith('s') else kind} {name!r}.{hint} "
            f"Available: {', '.join(sorted(_registry[kind]))}."
        ) from None
    if isinstance(target, type):
        return target
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def registered_name(kind: str, cls: type) -> str | None:
    """The name ``cls`` is registered under in ``kind`` (built-in or plugin), or None.

    Only the registry's own entries are imported; a class that is not registered is never
    looked up by its module path.
    """
    _check_kind(kind)
    _load_entry_points(kind)
    path = _path(cls)
    for name, target in _registry[kind].items():
        if target is cls or _path(target) == path:
            return name
    return None


def resolve(kind: str, spec: Any, **params: Any) -> Any:
    """An instance from a registry name (with ``params``) or an instance given as is (cloned)."""
    if isinstance(spec, str):
        return get_class(kind, spec)(**params)
    if params:
        raise ParameterError(f"Parameters {sorted(params)} can only be given with a {kind} name.")
    if isinstance(spec, type):
        return spec()
    from sklearn.base import clone

    return clone(spec)
