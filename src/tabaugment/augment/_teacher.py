"""Teacher labels: a model fitted on the real training rows labels other rows.

For the real rows themselves the teacher is cross-fitted: each row's class probabilities come
from a model that did not see it (so they are honest, not memorised). For new rows (synthetic
ones) they come from the model fitted on every real row. Labels are then used as

- ``"hard"``: the most likely class replaces a row's label;
- ``"soft"``: the row enters training once per class, weighted by that class's probability
  (knowledge distillation for any model that takes sample weights).

With soft labels on the real rows and no generator at all, this is self-distillation: the
strongest alternative to augmentation a small-data user has, so every synthetic strategy is
judged against it too (``auto`` has it as a candidate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tabaugment.evaluation.models import make_model, model_frame
from tabaugment.exceptions import DataError

__all__ = ["Teacher", "label_rows"]


class Teacher:
    """A classifier of the real training rows, cross-fitted for those rows.

    Parameters
    ----------
    model : a model name of :func:`~tabaugment.evaluation.make_model` (``"lightgbm_small"`` by
        default: LightGBM set up for small tables) or a scikit-learn classifier.
    n_folds : folds of the cross-fitting (at most the rows of the rarest class).
    random_state : seed of the folds and the model.
    """

    def __init__(self, model: Any = "lightgbm_small", *, n_folds: int = 5, random_state: int = 0) -> None:
        self.model = model
        self.n_folds = n_folds
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any, *, cross_fit: bool = True) -> Teacher:
        """Fit on the real rows; with ``cross_fit``, ``oof_proba_`` holds each row's cross-fitted
        probabilities (what teacher labels of the real rows need; new rows only need the full fit)."""
        from sklearn.model_selection import StratifiedKFold

        X, self.categories_ = model_frame(X)
        labels = pd.Series(np.asarray(y), dtype=object)
        self.classes_ = list(pd.unique(labels))
        codes = np.array([self.classes_.index(v) for v in labels], dtype=np.int64)
        counts = np.bincount(codes, minlength=len(self.classes_))
        if len(self.classes_) < 2:
            raise DataError("A teacher needs rows of at least two classes.")
        folds = int(min(self.n_folds, counts.min()))
        self.oof_proba_: np.ndarray | None = None
        if cross_fit:
            oof = np.zeros((len(X), len(self.classes_)))
            if folds >= 2:
                splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
                for train, test in splitter.split(np.zeros(len(codes)), codes):
                    oof[test] = self._proba(self._fit(X.iloc[train], codes[train]), X.iloc[test])
            else:  # a class of one row: no honest cross-fit; the rows keep their own labels
                oof[np.arange(len(codes)), codes] = 1.0
            self.oof_proba_ = oof
        self.model_ = self._fit(X, codes)
        return self

    def _fit(self, X: pd.DataFrame, codes: np.ndarray) -> Any:
        clf = make_model(self.model, random_state=self.random_state)
        clf.fit(X, codes)
        return clf

    def _proba(self, clf: Any, X: pd.DataFrame) -> np.ndarray:
        """Probabilities of every class of ``classes_`` (a class absent from a fold gets 0)."""
        raw = clf.predict_proba(X)
        seen = list(clf.classes_) if not hasattr(clf, "steps") else list(clf.steps[-1][1].classes_)
        out = np.zeros((len(X), len(self.classes_)))
        for j, code in enumerate(seen):
            out[:, int(code)] = raw[:, j]
        return out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities of new rows, in the order of ``classes_``."""
        return self._proba(self.model_, model_frame(X, self.categories_)[0])


def label_rows(
    rows: pd.DataFrame,
    target: str,
    proba: np.ndarray,
    classes: list[Any],
    *,
    kind: str,
    weight: float,
    resample: bool,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """``rows`` relabelled by a teacher's ``proba`` (rows x classes), and their weights.

    ``kind="hard"``: the most likely class; ``"soft"``: one copy per class weighted by its
    probability (copies under 0.1% are left out), or with ``resample`` one copy whose label is
    drawn from the probabilities. ``weight`` multiplies every row's weight.
    """
    if kind == "hard" or (kind == "soft" and resample):
        if kind == "hard":
            picks = proba.argmax(axis=1)
        else:
            cum = np.cumsum(proba, axis=1)
            picks = np.minimum((cum < rng.random(len(rows))[:, None] * cum[:, -1:]).sum(axis=1), len(classes) - 1)
        out = rows.copy()
        out[target] = _labels(out[target], [classes[i] for i in picks])
        return out, np.full(len(out), float(weight))
    parts, weights = [], []
    for j, label in enumerate(classes):
        keep = proba[:, j] >= 1e-3
        if not keep.any():
            continue
        part = rows.loc[keep].copy()
        part[target] = _labels(part[target], [label] * int(keep.sum()))
        parts.append(part)
        weights.append(proba[keep, j] * weight)
    return pd.concat(parts, ignore_index=True), np.concatenate(weights)


def _labels(column: pd.Series, values: list[Any]) -> pd.Series:
    """``values`` as a label column of ``column``'s dtype."""
    out = pd.Series(values, index=column.index, dtype=object)
    try:
        return out.astype(column.dtype)
    except (TypeError, ValueError):
        return out
