"""A guard for users: which augmentation to use on this table, or none.

:func:`recommend` asks what ``auto`` would do with all the rows of a table: its candidates
(by default the Augmenter's, :data:`tabaugment._defaults.AUTO_CANDIDATES`) against no
augmentation, by repeated stratified k-fold cross-validation with the model the user will
train, a one-sided corrected resampled t-test (Nadeau & Bengio; the folds overlap), the
candidates tested in a fixed sequence. It recommends the candidate with the largest gain among those
significantly better, otherwise no augmentation, and says why, with the evidence.
``benchmarks/results/utility`` measures how often this rule chooses a candidate that does not
help on unseen rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment import _defaults
from tabaugment.exceptions import ParameterError

__all__ = ["Recommendation", "recommend"]


@dataclasses.dataclass
class Recommendation:
    """The advice, the reason, and the comparison it rests on.

    Attributes
    ----------
    strategy : the recommended candidate (Augmenter parameters with its ``"name"``), or None.
    reason : one sentence.
    evidence : one row per candidate (see :class:`~tabaugment.augment.AutoChoice`).
    choice : the full :class:`~tabaugment.augment.AutoChoice`.
    rows : the rows it was decided on.
    """

    strategy: dict[str, Any] | None
    reason: str
    evidence: pd.DataFrame
    choice: Any
    rows: int

    def __str__(self) -> str:
        return self.reason

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.choice.to_dict(), "rows": self.rows}


def recommend(
    data: Any,
    *,
    target: str | None = None,
    candidates: Sequence[Mapping[str, Any]] | None = None,
    model: Any = _defaults.MODEL,
    metric: str = _defaults.METRIC,
    alpha: float = _defaults.ALPHA,
    n_splits: int = _defaults.AUTO_SPLITS,
    n_repeats: int = _defaults.AUTO_REPEATS,
    train_size: int | float | str = "full",
    random_state: int = 0,
    progress: bool = False,
) -> Recommendation:
    """Try ``candidates`` against no augmentation on ``data``; recommend one only if it is
    significantly better.

    ``data`` is a catalog name, a file (give ``target``), a :class:`~tabaugment.data.Dataset`
    or a frame (give ``target``). Only training rows are used: a catalog table's separate test
    rows never. ``train_size`` subsamples them (stratified): N rows, a fraction, or ``"full"``.

    Examples
    --------
    >>> from tabaugment.experiment import recommend
    >>> rec = recommend("breast_cancer", candidates=[{"name": "smote", "generator": "smote"}], n_repeats=1)
    >>> rec.strategy is None or rec.strategy["name"] == "smote"
    True
    """
    from tabaugment.augment import choose
    from tabaugment.experiment.evaluate import resolve_data

    dataset = resolve_data(data, target=target).dataset
    frame = dataset.schema.prepare(dataset.table)
    frame = _subsample(frame, dataset.schema.target, train_size, random_state)
    choice = choose(
        frame,
        dataset.schema.target,
        candidates=candidates,
        model=model,
        n_splits=n_splits,
        n_repeats=n_repeats,
        alpha=alpha,
        metric=metric,
        random_state=random_state,
        progress=progress,
    )
    strategy = None if choice.params is None else {"name": choice.chosen, **choice.params}
    reason = choice.reason.replace("auto chose no augmentation", "Do not augment", 1)
    if strategy is not None:
        reason = reason.replace(f"auto chose {choice.chosen}", f"Use {choice.chosen}", 1)
    return Recommendation(strategy, reason, choice.evidence, choice, len(frame))


def _subsample(frame: pd.DataFrame, target: str, size: int | float | str, random_state: int) -> pd.DataFrame:
    if isinstance(size, str):
        if size != "full":
            raise ParameterError(f"train_size must be a number of rows, a fraction or 'full'; got {size!r}.")
        return frame
    n = round(size * len(frame)) if isinstance(size, float) and size <= 1 else int(size)
    if n >= len(frame):
        return frame
    if n < 4:
        raise ParameterError(f"train_size={size!r} leaves {n} rows; give at least 4.")
    from sklearn.model_selection import train_test_split

    labels = frame[target].astype(str)
    stratify = labels if labels.value_counts().min() >= 2 else None
    keep, _ = train_test_split(
        np.arange(len(frame)), train_size=n, random_state=random_state % (2**32), stratify=stratify
    )
    return frame.iloc[np.sort(keep)]
