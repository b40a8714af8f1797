"""SMOTE, SMOTE-NC and SMOTE-N through imbalanced-learn, as class-conditional generators.

The variant follows the columns: all numerical -> SMOTE, mixed -> SMOTE-NC, all categorical
-> SMOTE-N. New rows of a class interpolate between a row of that class and one of its
``k_neighbors`` nearest neighbours of the same class. A class with fewer than
``k_neighbors + 1`` fitted rows (common in a small hard region) interpolates with all its
other rows instead (``small_classes="adapt"``, logged) or raises (``"error"``); a class of one
row can only be copied.

Missing values: SMOTE cannot interpolate NaN. A missing category is treated as a category of
its own; a missing number is imputed with the class median for the interpolation, and the
new rows then get missing values at the class's missing rate of that column.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError
from tabaugment.generators.base import BaseGenerator, allocate
from tabaugment.params import RANDOM_STATE, Constraints, Options, positive

__all__ = ["SMOTEGenerator"]

logger = logging.getLogger(__name__)


class SMOTEGenerator(BaseGenerator):
    """Synthetic minority oversampling (Chawla et al. 2002) per class, via imbalanced-learn.

    Parameters
    ----------
    k_neighbors : neighbours to interpolate with (imbalanced-learn's default 5).
    kind : ``"auto"`` (by column types), ``"smote"``, ``"smotenc"`` or ``"smoten"``.
    small_classes : ``"adapt"`` lowers ``k_neighbors`` for a class with too few rows (a class
        of one row is copied); ``"error"`` refuses such a class.
    random_state : seed.
    """

    name = "smote"
    conditionable = "target"
    _parameter_constraints: ClassVar[Constraints] = {
        "k_neighbors": [positive(numbers.Integral)],
        "kind": [Options(("auto", "smote", "smotenc", "smoten"))],
        "small_classes": [Options(("adapt", "error"))],
        "random_state": RANDOM_STATE,
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"k_neighbors": 3}

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        kind: str = "auto",
        small_classes: str = "adapt",
        random_state: RandomState = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.kind = kind
        self.small_classes = small_classes
        self.random_state = random_state

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        t = self.target_index
        if t is None:
            raise DataError(
                "SMOTE generates rows of one class from rows of that class; fit it with target=<label column>."
            )
        feats = [j for j in range(codes.shape[1]) if j != t]
        kind = self.kind
        if kind == "auto":
            kind = "smote" if not feats else ("smoten" if num.shape[1] == 0 else "smotenc")
        if kind == "smote" and feats:
            raise DataError("kind='smote' needs numerical columns only; use 'smotenc' or 'auto'.")
        if kind == "smoten" and num.shape[1]:
            raise DataError("kind='smoten' needs categorical columns only; use 'smotenc' or 'auto'.")
        if kind == "smotenc" and (not feats or num.shape[1] == 0):
            raise DataError("kind='smotenc' needs both numerical and categorical columns; use 'auto'.")
        self.kind_ = kind
        self.num_, self.codes_ = num, codes
        labels = codes[:, t]
        counts = np.bincount(labels[labels >= 0], minlength=len(self.label_categories))
        self.class_counts_ = counts
        if self.small_classes == "error" and counts.max() < self.k_neighbors + 1:
            raise DataError(self._too_few_message(int(counts.argmax()), int(counts.max())))

    def _too_few_message(self, code: int, count: int) -> str:
        label = self.label_categories[code]
        return (
            f"Class {label!r} has {count} rows; SMOTE(k_neighbors={self.k_neighbors}) needs at least "
            f"{self.k_neighbors + 1}. Lower k_neighbors, set small_classes='adapt' or choose another generator."
        )

    def _has_rows(self, column: int, code: int) -> bool:
        return bool(self.class_counts_[code] > 0)

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = self.label_index
        if t in conditions:
            plan = {conditions[t]: n}
        else:
            per_class = allocate(n, self.class_counts_)
            plan = {c: int(k) for c, k in enumerate(per_class) if k > 0}
        nums, codes = [], []
        for code, k in plan.items():
            a, b = self._sample_class(code, k, rng)
            nums.append(a)
            codes.append(b)
        num, cod = np.concatenate(nums), np.concatenate(codes)
        if len(plan) > 1:  # interleave classes instead of returning them in blocks
            perm = rng.permutation(len(num))
            num, cod = num[perm], cod[perm]
        return num, cod

    def _sample_class(self, code: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

        t = self.label_index
        count = int(self.class_counts_[code])
        k_neighbors = self.k_neighbors
        rows = np.flatnonzero(self.codes_[:, t] == code)
        if count < k_neighbors + 1:
            if self.small_classes == "error":
                raise DataError(self._too_few_message(code, count))
            k_neighbors = count - 1
            label = self.label_categories[code]
            logger.info("class %r has %d rows: SMOTE uses k_neighbors=%d", label, count, k_neighbors)
            if k_neighbors == 0:  # one row: nothing to interpolate with, so copy it
                out_num = np.repeat(self.num_[rows], n, axis=0)
                return out_num, np.repeat(self.codes_[rows], n, axis=0)
        num = self.num_[rows].copy()
        feats = [j for j in range(self.codes_.shape[1]) if j != t]
        cats = self.codes_[rows][:, feats]
        missing_rate = np.isnan(num).mean(axis=0) if num.shape[1] else np.zeros(0)
        if num.shape[1]:
            med = np.nanmedian(np.where(np.isnan(num).all(axis=0), 0.0, num), axis=0)
            med = np.where(np.isnan(med), 0.0, med)
            num = np.where(np.isnan(num), med, num)
        X = np.hstack([num, cats.astype(np.float64)])
        # imbalanced-learn needs two classes: add one copy of a row as a placeholder second
        # class; it is never interpolated from (neighbours are searched within a class).
        X_fit = np.vstack([X, X[:1]])
        y_fit = np.r_[np.ones(len(X), dtype=np.int64), 0]
        seed = int(rng.integers(0, 2**31 - 1))
        strategy = {1: len(X) + n}
        p = num.shape[1]
        if self.kind_ == "smote":
            sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k_neighbors, random_state=seed)
        elif self.kind_ == "smoten":
            sampler = SMOTEN(sampling_strategy=strategy, k_neighbors=k_neighbors, random_state=seed)
        else:
            sampler = SMOTENC(
                categorical_features=list(range(p, X.shape[1])),
                sampling_strategy=strategy,
                k_neighbors=k_neighbors,
                random_state=seed,
            )
        X_res, _ = sampler.fit_resample(X_fit, y_fit)
        new = np.asarray(X_res[len(X_fit) :], dtype=np.float64)
        if len(new) != n:
            raise AssertionError(f"imbalanced-learn returned {len(new)} rows instead of {n}.")
        out_num = new[:, :p].copy()
        if p and missing_rate.any():
            out_num[rng.random(out_num.shape) < missing_rate] = np.nan
        out_codes = np.empty((n, self.codes_.shape[1]), dtype=np.int64)
        out_codes[:, feats] = np.rint(new[:, p:]).astype(np.int64)
        out_codes[:, t] = code
        return out_num, out_codes

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"kind": self.kind_}, {"num": self.num_, "codes": self.codes_, "class_counts": self.class_counts_}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.kind_ = state["kind"]
        self.num_, self.codes_, self.class_counts_ = arrays["num"], arrays["codes"], arrays["class_counts"]
