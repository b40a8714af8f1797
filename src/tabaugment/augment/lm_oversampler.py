"""Minority oversampling with a language-model generator (Nakada et al.): a preset of the sampler.

The LM is fine-tuned on every training row (so it learns the table from all of it) and then
writes rows of the minority class only, conditioned exactly on its label, until the requested
balance is reached. It is :class:`~tabaugment.TargetedSampler` with an LM generator, all rows
selected and the budget ``"balance"``; the budget grammar is the sampler's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from tabaugment import _defaults
from tabaugment._random import RandomState
from tabaugment.augment._budget import Budget
from tabaugment.augment.augmenter import Augmenter
from tabaugment.augment.sampler import TargetedSampler
from tabaugment.exceptions import ParameterError
from tabaugment.generators.base import BaseGenerator
from tabaugment.params import Constraints, InstanceOf, Options

__all__ = ["LM_GENERATORS", "LMOversampler"]

#: Registry names of the generators an LMOversampler accepts.
LM_GENERATORS = ("great", "harmonic", "tabular_gpt")


class LMOversampler(TargetedSampler):
    """Oversample the minority class with an LM generator conditioned on its label.

    Parameters
    ----------
    generator : ``"great"``, ``"harmonic"``, ``"tabular_gpt"`` or an instance of one of them
        (e.g. ``GReaT(model_path="smollm2", epochs=2)``).
    selector : ``"all"`` fine-tunes on every row (Nakada et al.); ``"minority"`` on the
        minority class only.
    budget : ``"balance"`` (the minority class up to the majority's size; imbalanced-learn's
        ``"auto"``), ``"balance=0.5"`` (up to half the majority's size; imbalanced-learn's float
        ``0.5``), ``{label: rows}``, or any other form of :func:`~tabaugment.augment.resolve_budget`.
    max_synthetic_ratio : refuse budgets above this many times the training rows.
    random_state : seed.

    After ``fit_resample``, ``sampling_strategy_`` holds the rows added per class and
    ``augmenter_.shortfall_`` any rows the generator could not produce within its budget.

    Examples
    --------
    >>> from tabaugment.generators import GReaT
    >>> sampler = LMOversampler(GReaT(model_path="smollm2"), budget="balance=0.5", random_state=0)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "generator": [InstanceOf(str, BaseGenerator, what="an LM generator name or instance")],
        "selector": [Options(("all", "minority"))],
    }

    def __init__(
        self,
        generator: Any = "great",
        *,
        selector: str = "all",
        budget: Budget = "balance",
        max_synthetic_ratio: float = _defaults.MAX_SYNTHETIC_RATIO,
        random_state: RandomState = None,
    ) -> None:
        self.generator = generator
        self.selector = selector
        self.budget = budget
        self.max_synthetic_ratio = max_synthetic_ratio
        self.random_state = random_state

    def _check_params(self) -> None:
        name = self.generator if isinstance(self.generator, str) else getattr(self.generator, "name", "")
        if name not in LM_GENERATORS:
            raise ParameterError(
                f"LMOversampler needs a language-model generator ({', '.join(LM_GENERATORS)}); got "
                f"{name or self.generator!r}. For other generators use TargetedSampler(selector='minority', "
                "budget='balance')."
            )

    def _make_augmenter(self, y: np.ndarray) -> Augmenter:
        return Augmenter(
            hardness="random",  # neither selector looks at hardness
            selector=self.selector,
            generator=self.generator,
            budget=self.budget,
            max_synthetic_ratio=self.max_synthetic_ratio,
            random_state=self.random_state,
            weights="resample",
        )
