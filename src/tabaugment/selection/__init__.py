"""Selectors: choose the rows a generator is fitted on."""

from tabaugment.selection._strategies import (
    AllRows,
    HardestMinority,
    MinorityClass,
    RandomSelection,
    Threshold,
    TopFraction,
    TopFractionPerClass,
)
from tabaugment.selection.base import BaseSelector

__all__ = [
    "AllRows",
    "BaseSelector",
    "HardestMinority",
    "MinorityClass",
    "RandomSelection",
    "Threshold",
    "TopFraction",
    "TopFractionPerClass",
]
