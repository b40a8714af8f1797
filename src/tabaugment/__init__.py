"""tabaugment: targeted synthetic data for tabular classifiers.

Find the hard rows (:mod:`tabaugment.hardness`), generate there
(:mod:`tabaugment.generators`), and prove on real held-out rows whether the model improved
(:mod:`tabaugment.experiment`, measured by :mod:`tabaugment.evaluation`). Public names are
imported lazily, so ``import tabaugment`` loads no heavy dependency.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from tabaugment._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "Augmenter": "tabaugment.augment",
    "AugmentationResult": "tabaugment.augment",
    "TargetedSampler": "tabaugment.augment",
    "LMOversampler": "tabaugment.augment",
    "KNNShapley": "tabaugment.hardness",
    "RandomHardness": "tabaugment.hardness",
    "HardnessResult": "tabaugment.hardness",
    "knn_shapley": "tabaugment.hardness",
    "GaussianCopula": "tabaugment.generators",
    "SMOTEGenerator": "tabaugment.generators",
    "RandomOversampling": "tabaugment.generators",
    "TabularGPT": "tabaugment.generators",
    "GReaT": "tabaugment.generators",
    "HARMONIC": "tabaugment.generators",
    "load_generator": "tabaugment.generators",
    "Schema": "tabaugment.data",
    "Split": "tabaugment.data",
    "infer_schema": "tabaugment.data",
    "read_table": "tabaugment.data",
    "split_table": "tabaugment.data",
    "load_dataset": "tabaugment.data",
    "list_datasets": "tabaugment.data",
    "evaluate_augmentation": "tabaugment.experiment",
    "EvaluationResult": "tabaugment.experiment",
    "Strategy": "tabaugment.experiment",
    "run_experiment": "tabaugment.experiment",
    "recommend": "tabaugment.experiment",
    "register": "tabaugment._registry",
    "available": "tabaugment._registry",
    "Constraints": "tabaugment.data",
    "TabularDiffusion": "tabaugment.generators",
    "TabSyn": "tabaugment.generators",
    "TVAE": "tabaugment.generators",
    "CTGAN": "tabaugment.generators",
    "CTABGANPlus": "tabaugment.generators",
    "AdversarialRandomForest": "tabaugment.generators",
    "make_model": "tabaugment.evaluation",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tabaugment' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
