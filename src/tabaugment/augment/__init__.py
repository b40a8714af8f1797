"""Augmentation: the Augmenter (frames), the imbalanced-learn sampler and its LM preset, budgets,
curation, teacher labels, and ``auto``'s calibrated choice."""

from tabaugment.augment._auto import AutoChoice, augmenter_from_dict, choose
from tabaugment.augment._budget import Budget, budget_problem, parse_budget, resolve_budget
from tabaugment.augment._curation import BaseCurator, DataIQCurator, KNNShapleyCurator
from tabaugment.augment._teacher import Teacher
from tabaugment.augment.augmenter import AugmentationResult, Augmenter
from tabaugment.augment.lm_oversampler import LMOversampler
from tabaugment.augment.sampler import TargetedSampler

__all__ = [
    "AugmentationResult",
    "Augmenter",
    "AutoChoice",
    "BaseCurator",
    "Budget",
    "DataIQCurator",
    "KNNShapleyCurator",
    "LMOversampler",
    "TargetedSampler",
    "Teacher",
    "augmenter_from_dict",
    "budget_problem",
    "choose",
    "parse_budget",
    "resolve_budget",
]
