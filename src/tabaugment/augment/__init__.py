"""Augmentation: the Augmenter (frames) and the imbalanced-learn compatible sampler."""

from tabaugment.augment._budget import Budget, resolve_budget
from tabaugment.augment.augmenter import AugmentationResult, Augmenter
from tabaugment.augment.lm_oversampler import LMOversampler
from tabaugment.augment.sampler import TargetedSampler

__all__ = ["AugmentationResult", "Augmenter", "Budget", "LMOversampler", "TargetedSampler", "resolve_budget"]
