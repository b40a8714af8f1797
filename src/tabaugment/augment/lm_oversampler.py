"""Minority oversampling with a language-model generator (Nakada et al.).

The LM is fine-tuned on every training row (so it learns the table from all of it) and then
writes rows of the minority class only, conditioned exactly on its label, until the
requested balance is reached. An imbalanced-learn sampler: ``fit_resample(X, y)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._random import RandomState
from tabaugment.augment.augmenter import Augmenter
from tabaugment.augment.sampler import TargetedSampler

__all__ = ["LMOversampler"]

LM_GENERATORS = ("great", "harmonic", "tabular_gpt")


class LMOversampler(TargetedSampler):
    """Oversample the minority class with an LM generator conditioned on its label.

    Parameters
    ----------
    generator : ``"great"``, ``"harmonic"``, ``"tabular_gpt"`` or an instance of one of them
        (e.g. ``GReaT(model_path="smollm2", epochs=2)``).
    sampling_strategy : ``"auto"`` (the minority class up to the majority's size), a float
        ``r`` (minority rows = ``r`` x majority rows after resampling, as in imbalanced-learn),
        or an int (that many new minority rows).
    fit_on : ``"all"`` fine-tunes on every row (Nakada et al.); ``"minority"`` on the minority
        class only.
    max_synthetic_ratio : refuse budgets above this many times the training rows.
    random_state : seed.

    After ``fit_resample``, ``sampling_strategy_`` holds the rows added per class and
    ``augmenter_.shortfall_`` any rows the generator could not produce within its budget.

    Examples
    --------
    >>> from tabaugment.generators import GReaT
    >>> sampler = LMOversampler(GReaT(model_path="smollm2"), sampling_strategy=0.5, random_state=0)
    """

    def __init__(
        self,
        generator: Any = "great",
        *,
        sampling_strategy: str | float | int = "auto",
        fit_on: str = "all",
        max_synthetic_ratio: float = 10.0,
        random_state: RandomState = None,
    ) -> None:
        self.generator = generator
        self.sampling_strategy = sampling_strategy
        self.fit_on = fit_on
        self.max_synthetic_ratio = max_synthetic_ratio
        self.random_state = random_state

    def _make_augmenter(self, y: np.ndarray) -> Augmenter:
        name = self.generator if isinstance(self.generator, str) else getattr(self.generator, "name", "")
        if name not in LM_GENERATORS:
            raise ValueError(
                f"LMOversampler needs a language-model generator ({', '.join(LM_GENERATORS)}); got {name or self.generator!r}. "
                "For other generators use TargetedSampler(selector='minority', budget='balance')."
            )
        if self.fit_on not in ("all", "minority"):
            raise ValueError(f"fit_on must be 'all' or 'minority'; got {self.fit_on!r}.")
        counts = pd.Series(y).value_counts()
        minority, n_min, n_maj = counts.index[-1], int(counts.iloc[-1]), int(counts.iloc[0])
        strategy = self.sampling_strategy
        if isinstance(strategy, str):
            if strategy not in ("auto", "minority"):
                raise ValueError(f"sampling_strategy must be 'auto', a float ratio or an int; got {strategy!r}.")
            add = n_maj - n_min
        elif isinstance(strategy, (int, np.integer)) and not isinstance(strategy, bool):
            if strategy < 0:
                raise ValueError(f"sampling_strategy as an int is the number of rows to add (>= 0); got {strategy}.")
            add = int(strategy)
        elif isinstance(strategy, float):
            add = math.ceil(strategy * n_maj) - n_min
            if not 0 < strategy <= 1 or add < 0:
                raise ValueError(
                    f"sampling_strategy={strategy} asks for {math.ceil(strategy * n_maj)} minority rows, but the "
                    f"minority class {minority!r} already has {n_min} (majority {n_maj}). Give a ratio in "
                    f"[{n_min / n_maj:.3f}, 1]."
                )
        else:
            raise TypeError(f"sampling_strategy must be 'auto', a float or an int; got {type(strategy).__name__}.")
        return Augmenter(
            selector="all" if self.fit_on == "all" else "minority",
            generator=self.generator,
            budget={minority: add},
            max_synthetic_ratio=self.max_synthetic_ratio,
            random_state=self.random_state,
        )
