"""Generators: fit on (selected) rows, sample labelled synthetic rows.

The numpy generators import eagerly; the torch generators (:mod:`.neural`) and the
language-model generators (:mod:`.lm`) load torch and transformers only when one of their
names is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from tabaugment.generators._arf import AdversarialRandomForest
from tabaugment.generators._copula import GaussianCopula
from tabaugment.generators._oversampling import RandomOversampling
from tabaugment.generators._smote import SMOTEGenerator
from tabaugment.generators._smote_family import (
    ADASYNGenerator,
    BorderlineSMOTEGenerator,
    KMeansSMOTEGenerator,
    SVMSMOTEGenerator,
)
from tabaugment.generators._table import TableSpec
from tabaugment.generators.base import BaseGenerator, load_generator

_LAZY = {
    "TVAE": "tabaugment.generators.neural._tvae",
    "CTGAN": "tabaugment.generators.neural._ctgan",
    "CTABGANPlus": "tabaugment.generators.neural._ctabgan",
    "TabularDiffusion": "tabaugment.generators.neural._diffusion",
    "TabularGPT": "tabaugment.generators.neural._tabular_gpt",
    "TabSyn": "tabaugment.generators.neural._tabsyn",
    "GReaT": "tabaugment.generators.lm._great",
    "HARMONIC": "tabaugment.generators.lm._harmonic",
    "LMClassifier": "tabaugment.generators.lm._classifier",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tabaugment.generators' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "CTGAN",
    "HARMONIC",
    "TVAE",
    "ADASYNGenerator",
    "AdversarialRandomForest",
    "BaseGenerator",
    "BorderlineSMOTEGenerator",
    "CTABGANPlus",
    "GReaT",
    "GaussianCopula",
    "KMeansSMOTEGenerator",
    "LMClassifier",
    "RandomOversampling",
    "SMOTEGenerator",
    "SVMSMOTEGenerator",
    "TabSyn",
    "TableSpec",
    "TabularDiffusion",
    "load_generator",
]
