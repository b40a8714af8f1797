"""Borderline-SMOTE, SVM-SMOTE, ADASYN and KMeans-SMOTE through imbalanced-learn, as
class-conditional generators.

Unlike plain SMOTE, these variants decide *where* to interpolate from the other classes: rows of
a class whose neighbours belong to other classes (Borderline-SMOTE, Han et al. 2005), support
vectors of an SVM between the classes (SVM-SMOTE, Nguyen et al. 2011), each row weighted by the
share of other classes among its neighbours (ADASYN, He et al. 2008), or k-means clusters where
the class is dense (KMeans-SMOTE, Douzas et al. 2018). So they are fitted on rows of at least
two classes (with :class:`~tabaugment.Augmenter`, ``fit_on="all"``), and sampling ``n`` rows of a
class asks imbalanced-learn for rows of that class against all fitted rows.

Column handling: imbalanced-learn runs these variants on numbers only. Numerical columns are
standardised for the neighbour search (interpolation commutes with it) and missing numbers are
imputed with the class median, then written back missing at the class's rate, as ``smote``
does. A categorical feature is refused (``categorical="error"``, the default, naming the column)
or one-hot encoded (``categorical="onehot"``): its indicator columns are interpolated with the
numbers and each new row takes the category with the largest interpolated weight, i.e. the
category of the nearer of the two rows it was interpolated between.

The variants make about, not exactly, the rows they are asked for (ADASYN and KMeans-SMOTE
round per row or cluster; Borderline-SMOTE and SVM-SMOTE make none where no row is near
another class), so a request is topped up and a random subset of exactly ``n`` kept; a class
where the method finds no row to start from is a clear error.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError
from tabaugment.generators.base import BaseGenerator, allocate
from tabaugment.params import NONE, RANDOM_STATE, Constraints, Interval, Options, positive

__all__ = ["ADASYNGenerator", "BorderlineSMOTEGenerator", "KMeansSMOTEGenerator", "SVMSMOTEGenerator"]

#: Rounds of topping up a request that came back short.
_ATTEMPTS = 6


class _ImblearnVariant(BaseGenerator):
    """Shared fitting, encoding and exact-count sampling of the neighbourhood-aware variants."""

    conditionable = "target"
    min_rows_per_class: ClassVar[int] = 2
    #: What the method needs, for error messages.
    method: ClassVar[str] = ""

    def _sampler(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ fit
    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        t = self.target_index
        if t is None:
            raise DataError(f"{self.method} makes rows of a class; fit it with target=<label column>.")
        feats = [j for j in range(codes.shape[1]) if j != t]
        if feats and self.categorical == "error":
            col = self.spec_.categorical[feats[0]]
            raise DataError(
                f"{self.method} (imbalanced-learn) works on numerical columns only, and {col!r} is categorical. "
                f"Pass categorical='onehot' to interpolate one-hot encoded categories, use 'smote' (SMOTE-NC), "
                "or leave the column out."
            )
        if num.shape[1] == 0 and not feats:
            raise DataError(f"{self.method} needs feature columns besides the label.")
        labels = codes[:, t]
        counts = np.bincount(labels, minlength=len(self.label_categories))
        if np.count_nonzero(counts) < 2:
            only = self.label_categories[int(counts.argmax())]
            raise DataError(
                f"{self.method} finds where to interpolate from the other classes, but it was fitted on rows of "
                f"one class ({only!r}) only. Fit it on rows of every class, e.g. Augmenter(fit_on='all')."
            )
        self.num_, self.codes_, self.class_counts_ = num, codes, counts

    def _has_rows(self, column: int, code: int) -> bool:
        return bool(self.class_counts_[code] > 0)

    def _design(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], list[int]]:
        """``(X, y, missing_rate, feats, widths)``: standardised numbers (class-median imputed)
        and one-hot blocks (missing as its own slot), class codes, per-class missing rates."""
        t = self.label_index
        y = self.codes_[:, t]
        num = self.num_.copy()
        k = len(self.class_counts_)
        rate = np.zeros((k, num.shape[1]))
        for c in np.flatnonzero(self.class_counts_):
            rows = y == c
            part = num[rows]
            rate[c] = np.isnan(part).mean(axis=0)
            med = np.nanmedian(np.where(np.isnan(part).all(axis=0), 0.0, part), axis=0) if part.size else part
            part = np.where(np.isnan(part), np.where(np.isnan(med), 0.0, med), part)
            num[rows] = part
        mean, std = num.mean(axis=0), num.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        self._scale = (mean, std)
        blocks = [(num - mean) / std]
        feats = [j for j in range(self.codes_.shape[1]) if j != t]
        widths = []
        for j in feats:
            width = len(self.spec_.categories[self.spec_.categorical[j]]) + 1  # last slot: missing
            onehot = np.zeros((len(y), width))
            onehot[np.arange(len(y)), np.where(self.codes_[:, j] < 0, width - 1, self.codes_[:, j])] = 1.0
            blocks.append(onehot)
            widths.append(width)
        return np.hstack(blocks), y, rate, feats, widths

    # ------------------------------------------------------------------ sample
    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = self.label_index
        if t in conditions:
            plan = {conditions[t]: n}
        else:
            per_class = allocate(n, self.class_counts_)
            plan = {c: int(k) for c, k in enumerate(per_class) if k > 0}
        X, y, rate, feats, widths = self._design()
        nums, codes = [], []
        for code, k in plan.items():
            new = self._exactly(X, y, code, k, rng)
            a, b = self._decode_rows(new, code, rate, feats, widths, rng)
            nums.append(a)
            codes.append(b)
        num, cod = np.concatenate(nums), np.concatenate(codes)
        if len(plan) > 1:  # interleave classes instead of returning them in blocks
            perm = rng.permutation(len(num))
            num, cod = num[perm], cod[perm]
        return num, cod

    def _exactly(self, X: np.ndarray, y: np.ndarray, code: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Exactly ``n`` new rows of class ``code``: ask, top up if short, keep a random ``n``."""
        count = int(self.class_counts_[code])
        label = self.label_categories[code]
        k = min(self._k(), count - 1)
        if k < 1:
            raise DataError(
                f"Class {label!r} has {count} fitted row(s); {self.method} interpolates between at least two rows "
                "of a class. Fit it on more rows of that class or use 'random_oversampling'."
            )
        ask = n
        got = np.empty((0, X.shape[1]))
        for _ in range(_ATTEMPTS):
            sampler = self._sampler({code: count + ask}, k, int(rng.integers(0, 2**31 - 1)))
            try:
                X_res, y_res = sampler.fit_resample(X, y)
            except ValueError as exc:
                if "No samples will be generated" in str(exc):  # ADASYN rounded every row's share to 0
                    ask *= 4
                    continue
                raise DataError(f"{self.method} could not make rows of class {label!r}: {exc}") from exc
            except RuntimeError as exc:
                raise DataError(f"{self.method} could not make rows of class {label!r}: {exc}") from exc
            new = np.asarray(X_res[len(X) :], dtype=np.float64)[np.asarray(y_res[len(X) :]) == code]
            if len(new) == 0:
                raise DataError(
                    f"{self.method} found no row of class {label!r} to interpolate from ({self._why_none()}); "
                    "use 'smote', or fit on rows where that class meets the others."
                )
            got = np.vstack([got, new])
            if len(got) >= n:
                return got[np.sort(rng.choice(len(got), n, replace=False))]
            ask = math.ceil(1.2 * (n - len(got)) * ask / len(new)) + 1
        raise DataError(
            f"{self.method} made {len(got)} of the {n} rows asked for class {label!r} in {_ATTEMPTS} rounds; "
            "ask for fewer rows or use 'smote'."
        )

    def _k(self) -> int:
        return int(self.k_neighbors)

    def _why_none(self) -> str:
        return "no row of that class has neighbours of other classes"

    def _decode_rows(
        self,
        new: np.ndarray,
        code: int,
        rate: np.ndarray,
        feats: list[int],
        widths: list[int],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self._scale
        p = len(mean)
        out_num = new[:, :p] * std + mean
        if p and rate[code].any():
            out_num[rng.random(out_num.shape) < rate[code]] = np.nan
        out_codes = np.empty((len(new), self.codes_.shape[1]), dtype=np.int64)
        start = p
        for j, width in zip(feats, widths, strict=True):
            slot = new[:, start : start + width].argmax(axis=1)
            out_codes[:, j] = np.where(slot == width - 1, -1, slot)
            start += width
        out_codes[:, self.label_index] = code
        return out_num, out_codes

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"num": self.num_, "codes": self.codes_, "class_counts": self.class_counts_}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.num_, self.codes_, self.class_counts_ = arrays["num"], arrays["codes"], arrays["class_counts"]


_COMMON: Constraints = {
    "k_neighbors": [positive(numbers.Integral)],
    "categorical": [Options(("error", "onehot"))],
    "random_state": RANDOM_STATE,
}


class BorderlineSMOTEGenerator(_ImblearnVariant):
    """Borderline-SMOTE (Han et al. 2005) per class, via imbalanced-learn.

    Interpolates only from rows "in danger": at least half, but not all, of their
    ``m_neighbors`` nearest rows belong to other classes.

    Parameters
    ----------
    k_neighbors : neighbours of the same class to interpolate with (lowered for a small class).
    m_neighbors : neighbours (any class) that decide whether a row is in danger.
    kind : ``"borderline-1"`` (interpolate within the class) or ``"borderline-2"`` (also toward
        other classes' rows, at most halfway).
    categorical : ``"error"`` or ``"onehot"`` (see the module notes).
    random_state : seed.
    """

    name = "borderline_smote"
    method = "Borderline-SMOTE"
    _parameter_constraints: ClassVar[Constraints] = {
        **_COMMON,
        "m_neighbors": [positive(numbers.Integral)],
        "kind": [Options(("borderline-1", "borderline-2"))],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"k_neighbors": 3, "categorical": "onehot"}

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        kind: str = "borderline-1",
        categorical: str = "error",
        random_state: RandomState = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.kind = kind
        self.categorical = categorical
        self.random_state = random_state

    def _sampler(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        from imblearn.over_sampling import BorderlineSMOTE

        m = min(self.m_neighbors, len(self.codes_) - 1)
        return BorderlineSMOTE(
            sampling_strategy=strategy, k_neighbors=k, m_neighbors=m, kind=self.kind, random_state=seed
        )

    def _why_none(self) -> str:
        return "none of its rows is in danger: at least half, but not all, of its neighbours of other classes"


class SVMSMOTEGenerator(_ImblearnVariant):
    """SVM-SMOTE (Nguyen et al. 2011) per class, via imbalanced-learn: interpolates from the
    class's support vectors of a linear-kernel-free SVC (scikit-learn's default RBF SVC).

    Parameters
    ----------
    k_neighbors : neighbours of the same class to interpolate with (lowered for a small class).
    m_neighbors : neighbours that decide whether a support vector is in danger.
    out_step : step size when extrapolating from safe support vectors.
    categorical : ``"error"`` or ``"onehot"`` (see the module notes).
    random_state : seed (also of the SVC).
    """

    name = "svm_smote"
    method = "SVM-SMOTE"
    _parameter_constraints: ClassVar[Constraints] = {
        **_COMMON,
        "m_neighbors": [positive(numbers.Integral)],
        "out_step": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"k_neighbors": 3, "categorical": "onehot"}

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        out_step: float = 0.5,
        categorical: str = "error",
        random_state: RandomState = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.out_step = out_step
        self.categorical = categorical
        self.random_state = random_state

    def _sampler(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        from imblearn.over_sampling import SVMSMOTE
        from sklearn.svm import SVC

        m = min(self.m_neighbors, len(self.codes_) - 1)
        return SVMSMOTE(
            sampling_strategy=strategy,
            k_neighbors=k,
            m_neighbors=m,
            out_step=self.out_step,
            svm_estimator=SVC(random_state=seed),
            random_state=seed,
        )

    def _why_none(self) -> str:
        return "the SVM kept none of its rows as support vectors"


class ADASYNGenerator(_ImblearnVariant):
    """ADASYN (He et al. 2008) per class, via imbalanced-learn: more new rows from the rows whose
    ``k_neighbors`` nearest rows hold more of the other classes.

    Parameters
    ----------
    k_neighbors : neighbours (imbalanced-learn's ``n_neighbors``), lowered for a small class.
    categorical : ``"error"`` or ``"onehot"`` (see the module notes).
    random_state : seed.
    """

    name = "adasyn"
    method = "ADASYN"
    _parameter_constraints: ClassVar[Constraints] = dict(_COMMON)

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"k_neighbors": 3, "categorical": "onehot"}

    def __init__(self, *, k_neighbors: int = 5, categorical: str = "error", random_state: RandomState = None) -> None:
        self.k_neighbors = k_neighbors
        self.categorical = categorical
        self.random_state = random_state

    def _sampler(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        from imblearn.over_sampling import ADASYN

        return ADASYN(sampling_strategy=strategy, n_neighbors=k, random_state=seed)


class KMeansSMOTEGenerator(_ImblearnVariant):
    """KMeans-SMOTE (Douzas et al. 2018) per class, via imbalanced-learn: k-means clusters of all
    fitted rows, SMOTE inside the clusters where the class is dense enough, more rows in the
    sparser of those.

    Parameters
    ----------
    k_neighbors : neighbours of the same class within a cluster (imbalanced-learn's default 2).
    n_clusters : k-means clusters (scikit-learn's MiniBatchKMeans); ``None``: one per 50 fitted
        rows, between 2 and 50.
    cluster_balance_threshold : the class's least share of a cluster for it to be used;
        ``"auto"`` is imbalanced-learn's rule, which for one class at a time is 0.5: the class
        must be the majority of a cluster (the paper's filter with an imbalance-ratio
        threshold of 1).
    categorical : ``"error"`` or ``"onehot"`` (see the module notes).
    random_state : seed (also of k-means).
    """

    name = "kmeans_smote"
    method = "KMeans-SMOTE"
    _parameter_constraints: ClassVar[Constraints] = {
        **_COMMON,
        "n_clusters": [NONE, positive(numbers.Integral)],
        "cluster_balance_threshold": [Options(("auto",)), Interval(numbers.Real, 0, 1, closed="both")],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"categorical": "onehot", "n_clusters": 3, "cluster_balance_threshold": 0.02}

    def __init__(
        self,
        *,
        k_neighbors: int = 2,
        n_clusters: int | None = None,
        cluster_balance_threshold: float | str = "auto",
        categorical: str = "error",
        random_state: RandomState = None,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.n_clusters = n_clusters
        self.cluster_balance_threshold = cluster_balance_threshold
        self.categorical = categorical
        self.random_state = random_state

    def _sampler(self, strategy: dict[int, int], k: int, seed: int) -> Any:
        from imblearn.over_sampling import KMeansSMOTE
        from sklearn.cluster import MiniBatchKMeans

        clusters = self.n_clusters or int(np.clip(len(self.codes_) // 50, 2, 50))
        return KMeansSMOTE(
            sampling_strategy=strategy,
            k_neighbors=k,
            kmeans_estimator=MiniBatchKMeans(n_clusters=clusters, n_init=3, random_state=seed),
            cluster_balance_threshold=self.cluster_balance_threshold,
            random_state=seed,
        )

    def _why_none(self) -> str:
        return "no k-means cluster holds enough of its rows; lower cluster_balance_threshold or n_clusters"
