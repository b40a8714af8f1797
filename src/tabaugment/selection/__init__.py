"""Selectors: choose the rows a generator is fitted on."""

from tabaugment.selection._groups import SmallestGroup
from tabaugment.selection._regions import Ambiguous, HardestDenoised, HardMix, HardNeighbourhood
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
    "Ambiguous",
    "BaseSelector",
    "HardMix",
    "HardNeighbourhood",
    "HardestDenoised",
    "HardestMinority",
    "MinorityClass",
    "RandomSelection",
    "SmallestGroup",
    "Threshold",
    "TopFraction",
    "TopFractionPerClass",
]
