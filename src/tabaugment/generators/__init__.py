"""Generators: fit on (selected) rows, sample labelled synthetic rows."""

from tabaugment.generators._arf import AdversarialRandomForest
from tabaugment.generators._copula import GaussianCopula
from tabaugment.generators._oversampling import RandomOversampling
from tabaugment.generators._smote import SMOTEGenerator
from tabaugment.generators._table import TableSpec
from tabaugment.generators.base import BaseGenerator, load_generator


def __getattr__(name: str) -> object:  # torch generators load torch only when asked for
    if name == "TVAE":
        from tabaugment.generators._tvae import TVAE

        return TVAE
    if name == "CTGAN":
        from tabaugment.generators._ctgan import CTGAN

        return CTGAN
    if name == "TabularDiffusion":
        from tabaugment.generators._diffusion import TabularDiffusion

        return TabularDiffusion
    if name == "TabularGPT":
        from tabaugment.generators._tabular_gpt import TabularGPT

        return TabularGPT
    if name == "GReaT":
        from tabaugment.generators._great import GReaT

        return GReaT
    if name == "HARMONIC":
        from tabaugment.generators._harmonic import HARMONIC

        return HARMONIC
    raise AttributeError(name)


__all__ = [
    "CTGAN",
    "HARMONIC",
    "TVAE",
    "AdversarialRandomForest",
    "BaseGenerator",
    "GReaT",
    "GaussianCopula",
    "RandomOversampling",
    "SMOTEGenerator",
    "TableSpec",
    "TabularDiffusion",
    "load_generator",
]
