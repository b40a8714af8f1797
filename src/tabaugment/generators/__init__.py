"""Generators: fit on (selected) rows, sample labelled synthetic rows."""

from tabaugment.generators._copula import GaussianCopula
from tabaugment.generators._oversampling import RandomOversampling
from tabaugment.generators._smote import SMOTEGenerator
from tabaugment.generators._table import TableSpec
from tabaugment.generators.base import BaseGenerator, load_generator

__all__ = [
    "BaseGenerator",
    "GaussianCopula",
    "RandomOversampling",
    "SMOTEGenerator",
    "TableSpec",
    "load_generator",
]
