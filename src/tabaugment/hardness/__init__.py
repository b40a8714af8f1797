"""Hardness methods: score how hard each training row is (higher = harder)."""

from tabaugment.hardness._knn_shapley import KNNShapley, knn_shapley
from tabaugment.hardness._random import RandomHardness
from tabaugment.hardness.base import BaseHardness, HardnessResult

__all__ = ["BaseHardness", "HardnessResult", "KNNShapley", "RandomHardness", "knn_shapley"]
