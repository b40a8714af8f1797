"""Hardness methods: score how hard each training row is (higher = harder)."""

from tabaugment.hardness._approximate import ApproximateKNNShapley, approximate_knn_shapley
from tabaugment.hardness._compare import HardnessComparison, compare_hardness
from tabaugment.hardness._confident import ConfidentLearning
from tabaugment.hardness._dynamics import (
    CheckpointModel,
    DataIQ,
    DataMaps,
    ForgettingEvents,
    OutOfFoldLoss,
    checkpoint_probabilities_on,
)
from tabaugment.hardness._ground_truth import NOISE_KINDS, flip_labels, label_noise_study, rank_noise_methods
from tabaugment.hardness._knn_shapley import KNNShapley, knn_shapley
from tabaugment.hardness._oob import DataOOB
from tabaugment.hardness._random import RandomHardness
from tabaugment.hardness._threshold import ThresholdKNNShapley, threshold_knn_shapley
from tabaugment.hardness.base import BaseHardness, HardnessResult

__all__ = [
    "NOISE_KINDS",
    "ApproximateKNNShapley",
    "BaseHardness",
    "CheckpointModel",
    "ConfidentLearning",
    "DataIQ",
    "DataMaps",
    "DataOOB",
    "ForgettingEvents",
    "HardnessComparison",
    "HardnessResult",
    "KNNShapley",
    "OutOfFoldLoss",
    "RandomHardness",
    "ThresholdKNNShapley",
    "approximate_knn_shapley",
    "checkpoint_probabilities_on",
    "compare_hardness",
    "flip_labels",
    "knn_shapley",
    "label_noise_study",
    "rank_noise_methods",
    "threshold_knn_shapley",
]
