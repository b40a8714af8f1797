"""Augmentation: the Augmenter (frames), the imbalanced-learn sampler and its LM preset, budgets."""

from tabaugment.augment._budget import Budget, budget_problem, parse_budget, resolve_budget
from tabaugment.augment.augmenter import AugmentationResult, Augmenter
from tabaugment.augment.lm_oversampler import LMOversampler
from tabaugment.augment.sampler import TargetedSampler

__all__ = [
    "AugmentationResult",
    "Augmenter",
    "Budget",
    "LMOversampler",
    "TargetedSampler",
    "budget_problem",
    "parse_budget",
    "resolve_budget",
]
