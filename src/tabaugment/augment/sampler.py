"""An imbalanced-learn sampler: targeted augmentation inside an imblearn ``Pipeline``.

``TargetedSampler.fit_resample(X, y)`` returns the real rows followed by synthetic rows.
In an imblearn ``Pipeline`` it runs only during ``fit``; ``predict`` and ``score`` see the
real rows untouched. Arrays, lists and DataFrames come back in the type they went in
(numpy dtypes, column names and pandas dtypes preserved).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from imblearn.base import BaseSampler
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import type_of_target

from tabaugment import _defaults
from tabaugment._random import RandomState
from tabaugment.augment._budget import Budget
from tabaugment.augment.augmenter import PIPELINE_CONSTRAINTS, Augmenter
from tabaugment.exceptions import DataError
from tabaugment.params import Constraints, Options, ParamsMixin

__all__ = ["TargetedSampler"]

_TARGET = "__tabaugment_target__"


class TargetedSampler(ParamsMixin, BaseSampler):
    """Over-sample with a generator: hardness -> selection -> generator.

    Parameters are those of :class:`~tabaugment.Augmenter`, with the same defaults
    (:mod:`tabaugment._defaults`): ``generator="auto"`` chooses a strategy for the rows it is
    fitted on, or none, by cross-validation on them (set ``model`` to the classifier that
    follows the sampler, so ``auto`` judges with it). Name a generator to run a strategy:
    ``selector="minority", generator="smote", budget="balance"`` is classic oversampling. A
    sampler returns rows without weights, so teacher soft labels and ``synthetic_weight`` are
    realised by sampling (a drawn label; a row kept with probability w). After ``fit_resample``,
    ``sampling_strategy_`` holds the synthetic rows added per class (imbalanced-learn's
    meaning for over-samplers) and ``selected_`` the positions of the rows the generator was
    fitted on.

    Examples
    --------
    >>> from imblearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = make_pipeline(TargetedSampler(model="logistic_regression", random_state=0), LogisticRegression())
    """

    _sampling_type = "over-sampling"
    _parameter_constraints: ClassVar[Constraints] = {
        k: v for k, v in {**PIPELINE_CONSTRAINTS, "fit_on": [Options(("selected", "all"))]}.items() if k != "weights"
    }

    def __init__(
        self,
        *,
        generator: Any = _defaults.GENERATOR,
        hardness: Any = _defaults.HARDNESS,
        selector: Any = _defaults.SELECTOR,
        budget: Budget = _defaults.BUDGET,
        fit_on: str = _defaults.FIT_ON,
        max_synthetic_ratio: float = _defaults.MAX_SYNTHETIC_RATIO,
        curate: Any = None,
        oversample: float = _defaults.OVERSAMPLE,
        teacher: str | None = None,
        teacher_model: Any = _defaults.TEACHER_MODEL,
        teach_real: bool = False,
        synthetic_weight: float = 1.0,
        candidates: list[dict[str, Any]] | None = None,
        model: Any = None,
        n_splits: int = _defaults.AUTO_SPLITS,
        n_repeats: int = _defaults.AUTO_REPEATS,
        alpha: float = _defaults.ALPHA,
        metric: str = _defaults.METRIC,
        random_state: RandomState = None,
    ) -> None:
        self.generator = generator
        self.hardness = hardness
        self.selector = selector
        self.budget = budget
        self.fit_on = fit_on
        self.max_synthetic_ratio = max_synthetic_ratio
        self.curate = curate
        self.oversample = oversample
        self.teacher = teacher
        self.teacher_model = teacher_model
        self.teach_real = teach_real
        self.synthetic_weight = synthetic_weight
        self.candidates = candidates
        self.model = model
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.alpha = alpha
        self.metric = metric
        self.random_state = random_state

    def fit(self, X: Any, y: Any, **params: Any) -> TargetedSampler:
        """Run the resampling once to learn ``sampling_strategy_``; use ``fit_resample``."""
        self.fit_resample(X, y, **params)
        return self

    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """The real rows of ``X``/``y`` followed by the synthetic rows."""
        self._validate_params()
        if y is None:
            raise DataError(
                "TargetedSampler requires y to be passed, but the target y is None: hardness and "
                "class-conditional generation need the labels."
            )
        y_kind = type_of_target(y)
        if y_kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise DataError(f"Unknown label type: {y_kind!r}. TargetedSampler needs class labels.")
        y_arr = np.asarray(y)
        ova = False
        if y_kind == "multilabel-indicator":
            if not np.all(y_arr.sum(axis=1) == 1):
                raise DataError("Multilabel and multioutput targets are not supported.")
            ova = True
            classes_ova = np.arange(y_arr.shape[1])
            y_flat = y_arr.argmax(axis=1)
        else:
            y_flat = y_arr.reshape(-1) if y_arr.ndim == 2 and y_arr.shape[1] == 1 else y_arr
            if y_flat.ndim != 1:
                raise DataError("Multilabel and multioutput targets are not supported.")

        frame, restore = _to_frame(X)
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if len(frame) != len(y_flat):
            raise DataError(f"X has {len(frame)} rows but y has {len(y_flat)} labels.")
        if len(np.unique(y_flat)) < 2:
            raise DataError(
                f"The target has only one class ({y_flat[0]!r}); TargetedSampler needs at least two classes."
            )
        work = frame.reset_index(drop=True)
        work[_TARGET] = pd.Series(y_flat, dtype=object)
        augmenter = self._make_augmenter(y_flat)
        result = augmenter.fit_augment(work, target=_TARGET)
        origin = result.origin if result.origin is not None else np.where(result.is_synthetic, "synthetic", "real")
        added = result.table.loc[origin != "real"].reset_index(drop=True)  # synthetic rows and teacher copies
        counts = pd.Series(added[_TARGET].to_numpy(), dtype=object).value_counts()
        self.sampling_strategy_ = {_plain(k): int(counts.get(k, 0)) for k in pd.unique(pd.Series(y_flat))}
        fitted = augmenter.delegate_ if augmenter.is_auto else augmenter
        self.selected_ = fitted.selected_positions_ if fitted is not None else np.empty(0, dtype=np.int64)
        self.augmenter_ = augmenter

        y_new = added[_TARGET].to_numpy()
        X_res = restore(frame, added.drop(columns=[_TARGET]))
        y_res_flat = np.concatenate([y_flat, np.asarray(y_new, dtype=y_flat.dtype)])
        if ova:
            y_res: Any = label_binarize(y_res_flat, classes=classes_ova)
        else:
            y_res = _restore_y(y, y_res_flat)
        return X_res, y_res

    def _make_augmenter(self, y: np.ndarray) -> Augmenter:
        params = self.get_params(deep=False)
        # a sampler returns rows without weights: weights and soft labels are realised by sampling
        return Augmenter(**params, weights="resample")

    def _fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:  # pragma: no cover - unused
        return self.fit_resample(X, y)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.sampler_tags.sample_indices = False
        return tags


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _to_frame(X: Any) -> tuple[pd.DataFrame, Any]:
    """A DataFrame view of ``X`` and a function that converts results back to ``X``'s type."""
    from sklearn.utils import check_array

    if isinstance(X, pd.DataFrame):
        dtypes = X.dtypes
        frame = X.copy()
        sparse_cols = [c for c in X.columns if isinstance(X[c].dtype, pd.SparseDtype)]
        for col in sparse_cols:
            frame[col] = X[col].sparse.to_dense()
        check_array(frame, dtype=None, ensure_all_finite="allow-nan")
        _check_finite(frame.select_dtypes("number").to_numpy(dtype=np.float64))

        def restore_frame(real: pd.DataFrame, synth: pd.DataFrame) -> pd.DataFrame:
            synth = synth.astype({c: real[c].dtype for c in real.columns}, errors="ignore")
            synth.index = pd.RangeIndex(len(real), len(real) + len(synth))
            out = pd.concat([real.reset_index(drop=True), synth], axis=0)
            return out.astype(dtypes.to_dict()) if sparse_cols else out

        return frame, restore_frame
    was_list = isinstance(X, list)
    arr = check_array(X, accept_sparse=False, dtype=None, ensure_all_finite="allow-nan")
    if arr.dtype.kind in "iufb":
        _check_finite(arr.astype(np.float64))
    elif arr.dtype.kind != "O":
        arr = arr.astype(object)
    frame = pd.DataFrame({f"x{j}": arr[:, j] for j in range(arr.shape[1])})
    if arr.dtype.kind == "O":
        frame = frame.astype(object)

    def restore_array(real: pd.DataFrame, synth: pd.DataFrame) -> Any:
        new = synth.to_numpy(dtype=arr.dtype) if arr.dtype.kind != "O" else synth.astype(object).to_numpy()
        out = np.vstack([arr, new.astype(arr.dtype)]) if len(new) else arr.copy()
        return out.tolist() if was_list else out

    return frame, restore_array


def _check_finite(values: np.ndarray) -> None:
    if np.isinf(values).any():
        raise DataError("Input X contains infinity; replace it (missing values as NaN are accepted).")


def _restore_y(y: Any, flat: np.ndarray) -> Any:
    if isinstance(y, pd.Series):  # pandas casts to extension dtypes (str, Int64, category) too
        return pd.Series(flat, name=y.name).astype(y.dtype)
    if isinstance(y, pd.DataFrame):
        return pd.DataFrame(flat.reshape(-1, 1), columns=y.columns).astype(y.dtypes.iloc[0])
    if isinstance(y, list):
        return flat.tolist()
    arr = np.asarray(y)
    out = flat.astype(arr.dtype, copy=False)
    return out.reshape(-1, 1) if arr.ndim == 2 else out
