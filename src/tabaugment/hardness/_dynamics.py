"""Hardness from training dynamics: Data-IQ, Data Maps, forgetting events, out-of-fold loss.

All four look at the probability a model gives each training row's true label. The first
three follow it over training checkpoints, either the boosting iterations of a LightGBM
model (one prediction per added tree, accumulated, so T checkpoints cost about one extra
prediction pass over T trees) or the epochs of a small torch MLP (extra ``torch``). The
fourth cross-validates: each row is scored by a model that never saw it.

- Data-IQ (Seedat et al., NeurIPS 2022): confidence = mean p(true label), aleatoric
  uncertainty = mean p(1 - p); easy (confidence >= 0.75 and aleatoric below its median),
  hard (confidence <= 0.25 and aleatoric below its median), else ambiguous.
- Data Maps (Swayamdipta et al., EMNLP 2020): confidence and variability (std over
  checkpoints) and correctness.
- Forgetting events (Toneva et al., ICLR 2019): how often a row goes from correctly to
  wrongly classified; rows never learned rank hardest.
- Out-of-fold loss: -log p(true label) from ``n_folds`` cross-fitted LightGBM models (folds
  by content hash, so the scores do not depend on row order).

Hardness scores: ``1 - confidence`` (Data-IQ, Data Maps), forgetting count (never learned =
checkpoints + 1), out-of-fold log loss.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tabaugment._optional import import_optional
from tabaugment._progress import progress_bar
from tabaugment._random import RandomState, derive_seed
from tabaugment.data.dates import is_datetime, to_days
from tabaugment.data.encoding import FeatureEncoder, split_column_kinds
from tabaugment.exceptions import DataError
from tabaugment.hardness.base import BaseHardness, hash_folds
from tabaugment.params import BOOL, N_JOBS, RANDOM_STATE, Constraints, Interval, Options, positive

__all__ = [
    "CheckpointModel",
    "DataIQ",
    "DataMaps",
    "ForgettingEvents",
    "OutOfFoldLoss",
    "checkpoint_probabilities",
    "checkpoint_probabilities_on",
]


def _label_codes(y: np.ndarray) -> np.ndarray:
    """Labels as 0..k-1 (text labels compared as text, so mixed object arrays sort)."""
    return np.unique(y.astype(str) if y.dtype == object else y, return_inverse=True)[1]


def _lgbm_frame(X: pd.DataFrame) -> pd.DataFrame:
    """``X`` as LightGBM reads it: text as categories, dates as days since 1970."""
    out = X.copy()
    _, num = split_column_kinds(out)
    for col in out.columns:
        if is_datetime(out[col]):
            out[col] = to_days(out[col])
        elif col not in num and not isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object).astype("category")
    return out


def _lgbm(n_estimators: int, learning_rate: float, seed: int, bagging: bool) -> Any:
    lgb = import_optional("lightgbm", extra="lightgbm", purpose="training-dynamics hardness")
    extra = dict(subsample=0.8, subsample_freq=1, colsample_bytree=0.8) if bagging else {}
    return lgb.LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=31,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
        **extra,
    )


def _true_class_probability(raw: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if raw.ndim == 1:  # binary: raw margin of class 1
        p1 = 1.0 / (1.0 + np.exp(-raw))
        return np.where(codes == 1, p1, 1 - p1)
    z = raw - raw.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e[np.arange(len(codes)), codes] / e.sum(axis=1)


def _gbm_run(
    X: pd.DataFrame,
    codes: np.ndarray,
    n_estimators: int,
    learning_rate: float,
    seed: int,
    bagging: bool,
    tick: Callable[[], None] | None = None,
) -> np.ndarray:
    callbacks = [] if tick is None else [lambda env: tick()]
    clf = _lgbm(n_estimators, learning_rate, seed, bagging).fit(X, codes, callbacks=callbacks)
    return _checkpoints(clf, X, codes)


def _checkpoints(clf: Any, X: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """p(the given label) of ``X``'s rows after each boosting iteration of a fitted LightGBM.

    One pass gives every row's leaf in every tree; the raw score after iteration t is the
    running sum of those leaves' outputs (the same numbers as predicting with the first t
    iterations, without T prediction passes).
    """
    booster = clf.booster_
    leaves = np.asarray(booster.predict(X, pred_leaf=True)).reshape(len(X), -1)
    n_iter = booster.current_iteration()
    per_iter = leaves.shape[1] // max(n_iter, 1)  # trees per iteration: 1, or one per class
    outputs = np.empty(leaves.shape)
    for tree in range(leaves.shape[1]):
        used = leaves[:, tree]
        table = np.array([booster.get_leaf_output(tree, int(leaf)) for leaf in range(int(used.max()) + 1)])
        outputs[:, tree] = table[used]
    raw = np.cumsum(outputs.reshape(len(X), n_iter, per_iter), axis=1)  # (rows, iterations, classes)
    out = np.empty((n_iter, len(X)))
    for t in range(n_iter):
        out[t] = _true_class_probability(raw[:, t, 0] if per_iter == 1 else raw[:, t, :], codes)
    return out


class CheckpointModel:
    """A LightGBM fitted on some rows that gives, for other rows, p(their label) after each
    boosting iteration: Data-IQ for rows the model never trained on (what curation of
    synthetic rows needs; Seedat et al. 2024)."""

    def __init__(self, *, n_estimators: int = 100, learning_rate: float = 0.1, random_state: RandomState = 0) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> CheckpointModel:
        y = np.asarray(y)
        self._text = y.dtype == object
        self.classes_ = np.unique(y.astype(str) if self._text else y)
        frame = _lgbm_frame(X)
        self.columns_ = list(X.columns)
        self.model_ = _lgbm(self.n_estimators, self.learning_rate, derive_seed(self.random_state), False).fit(
            frame, _label_codes(y)
        )
        return self

    def probabilities(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        """p(each row's own label) after every iteration: shape (checkpoints, rows)."""
        key = np.asarray(y).astype(str) if self._text else np.asarray(y)
        codes = np.searchsorted(self.classes_, key)
        if (codes >= len(self.classes_)).any() or not np.array_equal(
            self.classes_[np.minimum(codes, len(self.classes_) - 1)], key
        ):
            raise DataError("Every scored row's label must be a label of the training rows.")
        return _checkpoints(self.model_, _lgbm_frame(X[self.columns_]), codes)


def checkpoint_probabilities_on(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_score: pd.DataFrame,
    y_score: np.ndarray,
    *,
    n_estimators: int = 100,
    learning_rate: float = 0.1,
    random_state: RandomState = 0,
) -> np.ndarray:
    """p(each scored row's own label) after every boosting iteration of a LightGBM fitted on
    other rows (``X_train``): shape (checkpoints, scored rows). See :class:`CheckpointModel`."""
    model = CheckpointModel(n_estimators=n_estimators, learning_rate=learning_rate, random_state=random_state)
    return model.fit(X_train, y_train).probabilities(X_score, y_score)


def _mlp_run(
    Z: np.ndarray,
    codes: np.ndarray,
    epochs: int,
    seed: int,
    hidden: int,
    batch_size: int,
    lr: float,
    tick: Callable[[], None] | None = None,
) -> np.ndarray:
    torch = import_optional("torch", extra="torch", purpose="the MLP training dynamics")
    gen = torch.Generator().manual_seed(seed)
    n_classes = int(codes.max()) + 1
    layers = [
        torch.nn.Linear(Z.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_classes),
    ]
    net = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                torch.nn.init.kaiming_uniform_(layer.weight, a=5**0.5, generator=gen)
                bound = 1 / layer.in_features**0.5
                torch.nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    x = torch.as_tensor(Z, dtype=torch.float32)
    t = torch.as_tensor(codes, dtype=torch.long)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    out = np.empty((epochs, len(Z)))
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(Z), generator=gen)
        for lo in range(0, len(Z), batch_size):
            idx = perm[lo : lo + batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[idx]), t[idx])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            prob = torch.softmax(net(x), dim=1)[torch.arange(len(Z)), t]
        out[epoch] = prob.numpy()
        if tick is not None:
            tick()
    return out


def checkpoint_probabilities(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    model: str = "lightgbm",
    n_estimators: int = 200,
    learning_rate: float = 0.1,
    epochs: int = 20,
    n_repeats: int = 1,
    random_state: RandomState = 0,
    n_jobs: int = 1,
    mlp_hidden: int = 64,
    mlp_batch_size: int = 256,
    mlp_lr: float = 1e-3,
    progress: bool = False,
) -> np.ndarray:
    """p(true label) of every row at every checkpoint: shape (checkpoints, rows).

    ``n_repeats`` > 1 averages independent runs (different seeds; row and feature bagging for
    LightGBM). Runs go through joblib, so ``joblib.parallel_config(backend="dask")`` puts them
    on a Dask cluster. ``progress``: a bar over the checkpoints of every run (with
    ``n_jobs=1``; parallel runs show nothing).
    """
    from joblib import Parallel, delayed

    codes = _label_codes(np.asarray(y))
    seed = derive_seed(random_state)
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(n_repeats)]
    steps = n_estimators if model == "lightgbm" else epochs
    if model == "lightgbm":
        frame = _lgbm_frame(X)

        def run(s: int, tick: Any = None) -> np.ndarray:
            return _gbm_run(frame, codes, n_estimators, learning_rate, s, n_repeats > 1, tick)
    else:
        Z = FeatureEncoder(dtype=np.float32).fit_transform(X)

        def run(s: int, tick: Any = None) -> np.ndarray:
            return _mlp_run(Z, codes, epochs, s, mlp_hidden, mlp_batch_size, mlp_lr, tick)

    if n_jobs == 1:
        with progress_bar(progress, total=steps * n_repeats, desc="training dynamics", unit="checkpoints") as bar:
            runs = [run(s, (lambda: bar.update(1)) if progress else None) for s in seeds]
    else:
        runs = Parallel(n_jobs=n_jobs, prefer="processes")(delayed(run)(s) for s in seeds)
    return np.mean(runs, axis=0)


class _CheckpointHardness(BaseHardness):
    deterministic = True
    _parameter_constraints: ClassVar[Constraints] = {
        "model": [Options(("lightgbm", "mlp"))],
        "n_estimators": [positive(numbers.Integral)],
        "learning_rate": [positive()],
        "epochs": [positive(numbers.Integral)],
        "n_repeats": [positive(numbers.Integral)],
        "random_state": RANDOM_STATE,
        "n_jobs": N_JOBS,
        "progress": [BOOL],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 15}

    def __init__(
        self,
        *,
        model: str = "lightgbm",
        n_estimators: int = 200,
        learning_rate: float = 0.1,
        epochs: int = 20,
        n_repeats: int = 1,
        random_state: RandomState = 0,
        n_jobs: int = 1,
        progress: bool = False,
    ) -> None:
        self.model = model
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def _probabilities(self, X: Any, y: np.ndarray) -> np.ndarray:
        return checkpoint_probabilities(
            X,
            y,
            model=self.model,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            epochs=self.epochs,
            n_repeats=self.n_repeats,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            progress=self.progress,
        )


class DataIQ(_CheckpointHardness):
    """Data-IQ: confidence and aleatoric uncertainty over training checkpoints.

    ``values``: ``confidence``, ``aleatoric``, ``group`` ("easy", "ambiguous", "hard").
    Score = 1 - confidence. Parameters: ``model`` ("lightgbm" iterations or "mlp" epochs),
    ``n_estimators``/``learning_rate`` (LightGBM), ``epochs`` (MLP), ``n_repeats`` (averaged
    runs), ``random_state``, ``n_jobs`` (runs in parallel; a Dask backend plugs in),
    ``progress`` (a bar over the checkpoints).
    """

    name = "data_iq"

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        P = self._probabilities(X, y)
        conf = P.mean(axis=0)
        alea = (P * (1 - P)).mean(axis=0)
        cut = np.percentile(alea, 50)
        group = np.full(len(conf), "ambiguous", dtype=object)
        group[(conf >= 0.75) & (alea < cut)] = "easy"
        group[(conf <= 0.25) & (alea < cut)] = "hard"
        return 1 - conf, {"confidence": conf, "aleatoric": alea, "group": group}


class DataMaps(_CheckpointHardness):
    """Data Maps: confidence, variability and correctness over training checkpoints.

    Score = 1 - confidence ("hard to learn" rows first; high variability marks ambiguous rows).
    """

    name = "data_maps"

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        P = self._probabilities(X, y)
        n_classes = int(_label_codes(y).max()) + 1
        correct = 1.0 / max(n_classes, 2) < P if n_classes == 2 else P >= 0.5
        return 1 - P.mean(axis=0), {
            "confidence": P.mean(axis=0),
            "variability": P.std(axis=0),
            "correctness": correct.mean(axis=0),
        }


class ForgettingEvents(_CheckpointHardness):
    """Forgetting events: correct at one checkpoint, wrong at the next; never learned = hardest.

    A row counts as correctly classified when its true label gets probability > 0.5.
    """

    name = "forgetting"

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        P = self._probabilities(X, y)
        correct = P > 0.5
        events = (correct[:-1] & ~correct[1:]).sum(axis=0).astype(np.float64)
        never = ~correct.any(axis=0)
        first = np.where(never, np.nan, correct.argmax(axis=0).astype(np.float64))
        score = np.where(never, len(P) + 1.0, events)
        return score, {"forgetting_events": events, "never_learned": never.astype(np.float64), "first_learned": first}


class OutOfFoldHardness(BaseHardness):
    """Base of the methods that read a LightGBM model's out-of-fold class probabilities.

    Parameters
    ----------
    n_folds : folds (assigned by content hash: independent of row order).
    n_estimators, learning_rate : LightGBM settings.
    random_state : LightGBM seed.
    """

    deterministic = True
    _parameter_constraints: ClassVar[Constraints] = {
        "n_folds": [Interval(numbers.Integral, 2, None)],
        "n_estimators": [positive(numbers.Integral)],
        "learning_rate": [positive()],
        "random_state": RANDOM_STATE,
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_estimators": 15, "n_folds": 3}

    def __init__(
        self, *, n_folds: int = 5, n_estimators: int = 200, learning_rate: float = 0.05, random_state: RandomState = 0
    ) -> None:
        self.n_folds = n_folds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _probabilities(self, X: Any, codes: np.ndarray) -> np.ndarray:
        """Out-of-fold probabilities of every class, shape (rows, classes)."""
        return oof_probabilities(
            X, codes, self._row_hashes, self.n_folds, self.n_estimators, self.learning_rate, self.random_state
        )


class OutOfFoldLoss(OutOfFoldHardness):
    """Out-of-fold log loss: -log p(true label) from a LightGBM model that did not see the row.

    Parameters: those of :class:`OutOfFoldHardness` (``n_folds``, ``n_estimators``,
    ``learning_rate``, ``random_state``).
    """

    name = "oof_loss"

    def _score(self, X: Any, y: np.ndarray, X_val: Any, y_val: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        codes = _label_codes(y)
        p_true = self._probabilities(X, codes)[np.arange(len(codes)), codes]
        return -np.log(np.clip(p_true, 1e-12, 1.0)), {"p_true": p_true}


def oof_probabilities(
    X: pd.DataFrame,
    codes: np.ndarray,
    hashes: np.ndarray,
    n_folds: int,
    n_estimators: int,
    learning_rate: float,
    random_state: RandomState,
) -> np.ndarray:
    """Out-of-fold class probabilities of a LightGBM model, folds by content hash: shape
    (rows, classes). A fold whose complement lacks a class gets uniform probabilities."""
    frame = _lgbm_frame(X)
    k = int(codes.max()) + 1
    proba = np.full((len(codes), k), 1.0 / k)
    fold = hash_folds(hashes, n_folds)
    seed = derive_seed(random_state)
    for f in range(n_folds):
        test = fold == f
        if not test.any() or len(np.unique(codes[~test])) < k:
            continue
        clf = _lgbm(n_estimators, learning_rate, seed, False).fit(frame[~test], codes[~test])
        proba[test] = clf.predict_proba(frame[test])
    return proba
