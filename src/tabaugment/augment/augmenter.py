"""The Augmenter: build a training set from real rows, with synthetic rows where they help.

Explicit strategies run the pipeline: score hardness, select rows, fit a generator on them,
draw synthetic rows (over-drawn and curated when ``curate`` is set), label them by a teacher
model of the real rows (``teacher``) and weigh them (``synthetic_weight``). The default,
``generator="auto"``, chooses among candidate strategies, always including no augmentation,
by repeated cross-validation on the training rows with a corrected test (:mod:`._auto`), and
adds rows only when a candidate is significantly better.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import numbers
import time
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from tabaugment import _defaults
from tabaugment._random import RandomState, derive_seed, spawn_seeds
from tabaugment._registry import resolve
from tabaugment.augment._budget import BUDGET, Budget, resolve_budget
from tabaugment.augment._teacher import Teacher, label_rows
from tabaugment.data.io import to_pandas
from tabaugment.data.rules import parse_rule
from tabaugment.data.schema import check_column_names
from tabaugment.data.splits import check_not_test
from tabaugment.exceptions import DataError, NotFittedError, ParameterError, SchemaError
from tabaugment.generators.base import BaseGenerator
from tabaugment.hardness.base import BaseHardness, HardnessResult
from tabaugment.params import (
    BOOL,
    NONE,
    RANDOM_STATE,
    Constraints,
    InstanceOf,
    Interval,
    Options,
    ParamsMixin,
    positive,
)
from tabaugment.selection.base import BaseSelector

__all__ = ["AUTO", "AugmentationResult", "Augmenter"]

logger = logging.getLogger(__name__)

#: The ``generator`` value that chooses among candidate strategies.
AUTO = "auto"


@dataclasses.dataclass
class AugmentationResult:
    """A training set: the real rows, rows a teacher added, synthetic rows, and how.

    Attributes
    ----------
    table : the real rows (unchanged, in their order; less ``dropped``), then the teacher's
        copies of real rows (``teach_real``), then the synthetic rows.
    synthetic : the synthetic rows alone, as they entered ``table``.
    is_synthetic : boolean mask over ``table``.
    origin : per row of ``table``: ``"real"``, ``"teacher"`` (a real row's copy with a teacher
        label) or ``"synthetic"``.
    sample_weight : per row of ``table``, or None when every row weighs 1.
    selected : row ids (index labels) of the rows the generator was fitted on.
    hardness : the hardness scores of every training row.
    budget : synthetic rows per label.
    timings : seconds spent in hardness, selection, generator fit and sampling.
    validity, curation, privacy : what the validity filter, the curator and the privacy filter
        drew, kept and dropped.
    choice : with ``generator="auto"``, the candidates' evidence and the choice made.
    """

    table: pd.DataFrame
    synthetic: pd.DataFrame
    is_synthetic: np.ndarray
    selected: pd.Index
    hardness: HardnessResult
    budget: dict[Any, int]
    timings: dict[str, float]
    validity: dict[str, Any] | None = None
    dropped: pd.Index = dataclasses.field(default_factory=lambda: pd.Index([]))
    """Row ids of real rows removed as suspected label noise (selectors with ``drop_noise``)."""
    sample_weight: np.ndarray | None = None
    origin: np.ndarray | None = None
    curation: dict[str, Any] | None = None
    choice: Any = None
    privacy: dict[str, Any] | None = None

    def selection_frame(self) -> pd.DataFrame:
        """Hardness of every row with a ``selected`` flag (for reports and files)."""
        frame = self.hardness.to_frame()
        frame["selected"] = frame.index.isin(self.selected)
        return frame


#: The constraints of the parameters the Augmenter and the sampler share.
PIPELINE_CONSTRAINTS: Constraints = {
    "hardness": [InstanceOf(str, BaseHardness, HardnessResult, what="a hardness name, method or HardnessResult")],
    "selector": [InstanceOf(str, BaseSelector, what="a selector name or instance")],
    "generator": [NONE, InstanceOf(str, BaseGenerator, what="a generator name or instance, 'auto' or None")],
    "budget": [BUDGET],
    "max_synthetic_ratio": [positive()],
    "random_state": RANDOM_STATE,
    "curate": [NONE, InstanceOf(str, BaseEstimator, what="a curator name or instance")],
    "oversample": [Interval(numbers.Real, 1, 100)],
    "teacher": [NONE, Options(("hard", "soft"))],
    "teacher_model": [InstanceOf(str, BaseEstimator, what="a model name or a scikit-learn classifier")],
    "teach_real": [BOOL],
    "synthetic_weight": [Interval(numbers.Real, 0, 1, closed="right")],
    "weights": [Options(("sample_weight", "resample"))],
    "candidates": [NONE, InstanceOf(list, tuple, what="a list of candidate strategies (dicts)")],
    "model": [NONE, InstanceOf(str, dict, BaseEstimator, what="a model name, {'name', 'params'} or a classifier")],
    "n_splits": [Interval(numbers.Integral, 2, None)],
    "n_repeats": [positive(numbers.Integral)],
    "alpha": [Interval(numbers.Real, 0, 1, closed="neither")],
    "metric": [InstanceOf(str, what="a metric name")],
}


class Augmenter(ParamsMixin, BaseEstimator):
    """A training set with synthetic rows where they help: frame in, frame out.

    Parameters
    ----------
    generator : ``"auto"`` (the default) chooses a strategy for this table (see below); a
        generator name (``"gaussian_copula"``, ``"smote"``, ``"arf"``, ``"tvae"``...) or
        instance runs that strategy; None adds no synthetic rows (with ``teach_real``: teacher
        labels on the real rows only, i.e. self-distillation).
    hardness : a hardness method name (``"knn_shapley"``, ``"random"``) or instance, or the
        :class:`~tabaugment.hardness.HardnessResult` of an earlier scoring of the same rows
        (score once, then try several selectors or generators). Only used by selectors that
        look at hardness.
    selector : a selector name (``"all"``, ``"hardest"``, ``"hardest_per_class"``,
        ``"ambiguous"``, ``"hardest_denoised"``, ``"hard_neighbourhood"``, ``"hard_mix"``,
        ``"minority"``, ``"hardest_minority"``, ``"threshold"``, ``"random"``) or instance.
    budget : synthetic rows (see :func:`~tabaugment.augment.resolve_budget`): ``0.2`` = 20%
        of the training rows (the default), ``"1x"`` = one new row per selected row.
    max_synthetic_ratio : refuse budgets larger than this multiple of the training rows.
    curate : a curator name (``"data_iq"``, ``"knn_shapley"``) or instance: draw
        ``oversample`` times the budget and keep the rows a model of the real rows finds easy
        (Data-IQ) or that have positive KNN-Shapley value among the real rows, best first
        (``curation_`` says how many were drawn and kept).
    oversample : with ``curate``, the pool drawn per requested row.
    teacher : None, ``"hard"`` (a model of the real rows relabels the synthetic rows) or
        ``"soft"`` (each synthetic row enters once per class, weighted by the teacher's
        probability of that class).
    teacher_model : the teacher, a model name of :func:`~tabaugment.evaluation.make_model` or a
        classifier (default ``"lightgbm_small"``).
    teach_real : also add a copy of every real row labelled by the cross-fitted teacher (each
        row's label from a model that did not see it); the real rows themselves stay as they are.
    synthetic_weight : the sample weight of a synthetic row (1 = as much as a real row).
    weights : ``"sample_weight"`` (rows carry weights, ``AugmentationResult.sample_weight``;
        for models that take them) or ``"resample"`` (weights realised by sampling: a soft
        label becomes one label drawn from the teacher's probabilities, a weight w < 1 keeps a
        synthetic row with probability w; every row then weighs 1).
    candidates : with ``generator="auto"``: the strategies to choose from, as dicts of these
        parameters plus ``"name"`` (components may come as ``"generator": "arf"`` with
        ``"generator_params": {...}``); None = :data:`tabaugment._defaults.AUTO_CANDIDATES`.
        No augmentation is always a candidate.
    model : with ``generator="auto"``: the downstream model the candidates are judged with (a
        name or a classifier; None = LightGBM). Choose the model you will train.
    n_splits, n_repeats : with ``generator="auto"``: the repeated stratified k-fold
        cross-validation on the training rows.
    alpha : with ``generator="auto"``: a candidate is used only if it beats no augmentation
        with a p-value below ``alpha`` (one-sided corrected resampled t-test; the candidates in
        their order, stopping at the first that fails: the fixed-sequence procedure).
    metric : with ``generator="auto"``: the metric it compares (``"roc_auc"``, ``"log_loss"``...).
    random_state : one seed; every component and stream gets an independent seed from it.
    progress : show progress bars.
    filter_invalid : drop synthetic rows that break a validity rule learned from the
        training rows (see :class:`~tabaugment.data.Constraints`) or one of
        ``rules``, and draw again to fill the budget (at most ``max_rounds`` rounds; any
        shortfall is reported in ``validity_``, never hidden).
    rules : user validity rules that a valid row satisfies; used when ``filter_invalid`` is on.
    max_rounds : sampling rounds allowed to replace rows the filter or the curator dropped.
    fit_on : ``"selected"`` fits the generator on the selected rows only (the targeted
        augmentation paper's recipe). ``"all"`` fits it on every training row with the
        region (selected or not) joined to the label, and samples conditioned on
        (label, selected).
    drop_copies : the privacy filter: drop synthetic rows whose features copy a training row's,
        and draw again to fill the budget (``privacy_`` says how many); the command line turns
        it on when it writes rows.
    min_distance : with it, also drop rows closer than this to a training row (Euclidean, on
        standardised numbers and one-hot categories: the privacy report's DCR scale).

    Examples
    --------
    >>> from tabaugment import Augmenter, load_dataset
    >>> ds = load_dataset("breast_cancer")
    >>> result = Augmenter(generator="gaussian_copula", random_state=0).fit_augment(ds.table, target="diagnosis")
    >>> int(result.is_synthetic.sum()) > 0
    True
    """

    _parameter_constraints: ClassVar[Constraints] = {
        **PIPELINE_CONSTRAINTS,
        "progress": [BOOL],
        "filter_invalid": [BOOL],
        "rules": [NONE, InstanceOf(str, list, tuple, dict, what="a rule string or a list (or dict) of rules")],
        "max_rounds": [positive(numbers.Integral)],
        "fit_on": [Options(("selected", "all"))],
        "drop_copies": [BOOL],
        "min_distance": [Interval(numbers.Real, 0, None)],
    }

    def __init__(
        self,
        *,
        generator: Any = _defaults.GENERATOR,
        hardness: Any = _defaults.HARDNESS,
        selector: Any = _defaults.SELECTOR,
        budget: Budget = _defaults.BUDGET,
        max_synthetic_ratio: float = _defaults.MAX_SYNTHETIC_RATIO,
        curate: Any = None,
        oversample: float = _defaults.OVERSAMPLE,
        teacher: str | None = None,
        teacher_model: Any = _defaults.TEACHER_MODEL,
        teach_real: bool = False,
        synthetic_weight: float = 1.0,
        weights: str = "sample_weight",
        candidates: list[dict[str, Any]] | None = None,
        model: Any = None,
        n_splits: int = _defaults.AUTO_SPLITS,
        n_repeats: int = _defaults.AUTO_REPEATS,
        alpha: float = _defaults.ALPHA,
        metric: str = _defaults.METRIC,
        random_state: RandomState = None,
        progress: bool = False,
        filter_invalid: bool = False,
        rules: Any = None,
        max_rounds: int = _defaults.MAX_ROUNDS,
        fit_on: str = _defaults.FIT_ON,
        drop_copies: bool = False,
        min_distance: float = 0.0,
    ) -> None:
        self.generator = generator
        self.hardness = hardness
        self.selector = selector
        self.budget = budget
        self.max_synthetic_ratio = max_synthetic_ratio
        self.curate = curate
        self.oversample = oversample
        self.teacher = teacher
        self.teacher_model = teacher_model
        self.teach_real = teach_real
        self.synthetic_weight = synthetic_weight
        self.weights = weights
        self.candidates = candidates
        self.model = model
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.alpha = alpha
        self.metric = metric
        self.random_state = random_state
        self.progress = progress
        self.filter_invalid = filter_invalid
        self.rules = rules
        self.max_rounds = max_rounds
        self.fit_on = fit_on
        self.drop_copies = drop_copies
        self.min_distance = min_distance

    def _check_params(self) -> None:
        if self.is_auto:
            defaults = Augmenter().get_params(deep=False)
            pipeline = [k for k in ("hardness", "selector", "budget", "curate", "teacher", "teach_real", "fit_on")]
            pipeline += ["synthetic_weight", "filter_invalid", "rules", "oversample", "teacher_model"]
            changed = [k for k in pipeline if not _same(getattr(self, k), defaults[k])]
            if changed:
                shown = ", ".join(f"{k}={_short(getattr(self, k))}" for k in changed)
                raise ParameterError(
                    f"{shown} has no effect with generator='auto', which chooses among its candidates; name a "
                    "generator to run that strategy, or give candidates."
                )
        if isinstance(self.generator, str) and self.generator != AUTO:
            from tabaugment._registry import get_class

            get_class("generators", self.generator)  # an unknown name fails here, with suggestions
        for query in self._rule_texts():  # a bad rule fails before any work
            parse_rule(query)
        if (self.drop_copies or self.min_distance > 0) and getattr(
            _generator_class(self.generator), "copies_rows", False
        ):
            raise ParameterError(
                f"The generator {_short(self.generator)} copies training rows by design; the privacy filter "
                "(drop_copies, min_distance) would drop every row it makes. Choose another generator, or turn the filter off."
            )
        if self.teach_real and self.teacher is None:
            raise ParameterError("teach_real=True needs a teacher: set teacher='soft' (or 'hard').")
        if self.generator is None and not self.teach_real:
            raise ParameterError(
                "generator=None adds no rows; give a generator, 'auto', or teach_real=True with a teacher."
            )

    def _rule_texts(self) -> list[str]:
        from tabaugment.data.constraints import user_rule_items

        return [query for _, query in user_rule_items(self.rules)]

    @property
    def is_auto(self) -> bool:
        """Whether this Augmenter chooses its strategy (``generator="auto"``)."""
        return isinstance(self.generator, str) and self.generator == AUTO

    # ------------------------------------------------------------------ fit
    def fit(self, table: Any, target: Any, *, validation: Any = None) -> Augmenter:
        """Prepare the augmentation of ``table`` (a frame with the label column ``target``).

        As in scikit-learn, ``target`` may instead be the labels themselves (a Series or array
        with one label per row of ``table``): they become a column named after the Series (or
        ``"target"``), and the augmented table has it.

        ``validation`` (optional; an empty table counts as none) is a table of real rows with the
        same columns that serves as the hardness and curation reference (e.g. KNN-Shapley's
        validation set); never the test rows.
        """
        self._validate_params()
        check_not_test(table, "Augmenter.fit")
        check_not_test(validation, "Augmenter.fit (as validation rows)")
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        frame, target = _with_target(frame, target)
        check_column_names(frame)
        _check_target(frame, target)
        for query in self._rule_texts():
            parse_rule(query).check_columns(frame.columns)
        vframe = None
        if validation is not None:
            vframe = to_pandas(validation) if not isinstance(validation, pd.DataFrame) else validation
            if len(vframe) == 0:  # no validation rows (validation_size=0): as if none were given
                vframe = None
            else:
                _check_target(vframe, target, min_classes=1)
        self.target_ = target
        self.columns_ = list(frame.columns)
        self._y = frame[target].to_numpy()
        self._y_given = frame[target]
        self._empty = frame.iloc[:0].copy()
        self.choice_: Any = None
        if self.is_auto:
            return self._fit_auto(frame, target, vframe)
        self._fit_strategy(frame, target, vframe)
        return self

    def _fit_auto(self, frame: pd.DataFrame, target: str, vframe: pd.DataFrame | None) -> Augmenter:
        from tabaugment.augment._auto import augmenter_from_dict, choose

        seeds = spawn_seeds(derive_seed(self.random_state), ["auto", "chosen"])
        t0 = time.perf_counter()
        self.choice_ = choose(
            frame,
            target,
            candidates=self.candidates,
            model=self.model,
            n_splits=self.n_splits,
            n_repeats=self.n_repeats,
            alpha=self.alpha,
            metric=self.metric,
            random_state=seeds["auto"],
            progress=self.progress,
        )
        self.delegate_: Any = None
        if self.choice_.params is not None:
            privacy = {"drop_copies": self.drop_copies, "min_distance": self.min_distance}
            chosen = augmenter_from_dict({**self.choice_.params, "weights": self.weights, **privacy})
            chosen.set_params(random_state=seeds["chosen"], progress=self.progress)
            self.delegate_ = chosen.fit(frame, target, validation=vframe)
        self.timings_ = {"auto_s": time.perf_counter() - t0}
        logger.info("auto: %s", self.choice_.reason)
        return self

    def _fit_strategy(self, frame: pd.DataFrame, target: str, vframe: pd.DataFrame | None) -> None:
        names = ["hardness", "selector", "generator", "sample", "teacher", "curator", "weights"]
        seeds = spawn_seeds(derive_seed(self.random_state), names)
        timings: dict[str, float] = {}
        X, y = frame.drop(columns=[target]), frame[target].to_numpy()
        X_val = y_val = None
        if vframe is not None:
            X_val, y_val = vframe[X.columns], vframe[target].to_numpy()

        selector = _with_seed(resolve("selectors", self.selector), seeds["selector"], self.progress)
        t0 = time.perf_counter()
        if self.generator is None or (
            not getattr(selector, "uses_scores", True) and not isinstance(self.hardness, HardnessResult)
        ):
            # no generator, or a selector that ignores hardness: do not spend time scoring
            hardness, result = None, HardnessResult(np.zeros(len(frame)), frame.index, "not scored")
        elif isinstance(self.hardness, HardnessResult):
            hardness, result = None, self.hardness
            if len(result) != len(frame) or not result.index.equals(frame.index):
                raise DataError(
                    f"The given HardnessResult scores {len(result)} rows that are not the {len(frame)} rows of this "
                    "table (row ids differ); score this table, or pass a hardness method instead."
                )
        else:
            hardness = _with_seed(resolve("hardness", self.hardness), seeds["hardness"], self.progress)
            hardness.fit(X, y, X_val=X_val, y_val=y_val)
            result = hardness.result_
        timings["hardness_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        positions = selector.select(result, y, X) if self.generator is not None else np.arange(len(frame))
        timings["selection_s"] = time.perf_counter() - t0
        if self.generator is None:
            plan = {label: 0 for label in pd.unique(pd.Series(y))}
        else:
            plan = resolve_budget(self.budget, y, positions, max_synthetic_ratio=self.max_synthetic_ratio)

        t0 = time.perf_counter()
        generator: Any = None
        self._conditions: dict[Any, Any] | None = None
        if self.generator is not None:
            generator = _with_seed(resolve("generators", self.generator), seeds["generator"], self.progress)
            if self.fit_on == "all":
                region_frame, self._conditions = _region_frame(frame, target, positions)
                generator.fit(region_frame, target=target)
            else:
                generator.fit(frame.iloc[positions], target=target)
        timings["generator_fit_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.teacher_ = None
        if self.teacher is not None:
            # auto fits one teacher per fold and shares it among its candidates
            prefit = self.__dict__.pop("_prefit_teacher", None)
            if prefit is not None and (prefit.oof_proba_ is not None or not self.teach_real):
                self.teacher_ = prefit
            else:
                teacher = Teacher(self.teacher_model, random_state=seeds["teacher"])
                self.teacher_ = teacher.fit(X, y, cross_fit=self.teach_real)
        self.curator_: Any = None
        if self.curate is not None:
            self.curator_ = _with_seed(resolve("curators", self.curate), seeds["curator"], False)
            self.curator_.fit(X, y, X_val=X_val, y_val=y_val)
        timings["teacher_curator_fit_s"] = time.perf_counter() - t0

        self.hardness_ = hardness
        self.hardness_result_ = result
        self.selector_ = selector
        self.selected_positions_ = positions
        self.selected_ = frame.index[positions]
        self.generator_ = generator
        self.budget_ = plan
        self.timings_ = timings
        self._sample_seed = seeds["sample"]
        self._weights_seed = seeds["weights"]
        self.constraints_ = None
        if self.filter_invalid or self.rules:
            from tabaugment.data import Constraints

            self.constraints_ = Constraints.learn(frame, user_rules=self.rules)
        self.validity_: dict[str, Any] | None = None
        self.curation_: dict[str, Any] | None = None
        self.privacy_: dict[str, Any] | None = None
        self._guard = None
        if self.drop_copies or self.min_distance > 0:
            from tabaugment.augment._privacy import CopyGuard

            self._guard = CopyGuard(frame.drop(columns=[target]), min_distance=float(self.min_distance))
        logger.info(
            "selected %d of %d rows; budget %s", len(positions), len(frame), {str(k): v for k, v in plan.items()}
        )

    # ------------------------------------------------------------------ sample
    def _check_fitted(self) -> None:
        if not hasattr(self, "target_"):
            raise NotFittedError("This Augmenter is not fitted yet; call fit first.")

    def sample(self, *, random_state: RandomState = None) -> pd.DataFrame:
        """The synthetic rows of the planned budget (class by class, conditioned exactly),
        curated when ``curate`` is set, with the labels they were generated for.

        With ``filter_invalid``, rows that break a rule are dropped and replaced by new
        draws, for at most ``max_rounds`` rounds; ``validity_`` then says how many rows each
        rule dropped. With ``curate``, ``oversample`` times the rows still needed are drawn and
        the curator's best accepted rows kept; ``curation_`` says how many. ``shortfall_``
        always says how many rows of each class are missing.
        """
        self._check_fitted()
        if self.is_auto:
            if self.delegate_ is None:
                self.shortfall_: dict[str, int] = {}
                return self._empty_rows()
            return self.delegate_.sample(random_state=random_state)
        if self.generator_ is None:
            self.shortfall_ = {}
            return self._empty_rows()
        seed = self._sample_seed if random_state is None else derive_seed(random_state)
        rng = np.random.default_rng(seed)
        filtering = self.constraints_ is not None and self.filter_invalid
        curating = self.curator_ is not None
        guarding = self._guard is not None
        private = {"drawn": 0, "copies": 0, "too_close": 0}
        parts = []
        dropped: dict[str, int] = {}
        drawn = kept = 0
        cur = {"drawn": 0, "accepted": 0, "kept": 0}
        shortfall: dict[str, int] = {}
        for label, n in self.budget_.items():
            if n <= 0:
                continue
            if not filtering and not curating and not guarding:
                parts.append(self._draw(label, n, rng))
                if len(parts[-1]) < n:  # a generator with a sampling budget (the LM generators) fell short
                    shortfall[str(label)] = n - len(parts[-1])
                continue
            got: list[pd.DataFrame] = []
            need, rate = n, 1.0
            pool = float(self.oversample) if curating else 1.0
            for _ in range(max(1, int(self.max_rounds))):
                k = int(min(20 * pool * need, math.ceil(pool * need / max(rate, 0.05))))
                rows = self._draw(label, k, rng)
                accepted = rows
                if filtering:
                    assert self.constraints_ is not None
                    check = self.constraints_.check(rows)
                    for rule, count in zip(check.rules["rule"], check.rules["violations"]):
                        if count:
                            dropped[rule] = dropped.get(rule, 0) + int(count)
                    accepted = rows.loc[check.valid]
                    drawn += len(rows)
                if guarding and len(accepted):
                    assert self._guard is not None
                    copies, close = self._guard.flags(accepted)
                    private["drawn"] += len(accepted)
                    private["copies"] += int(copies.sum())
                    private["too_close"] += int((close & ~copies).sum())
                    accepted = accepted.loc[~close]
                if curating and len(accepted):
                    keep, rank = self.curator_.score(accepted.drop(columns=[self.target_]), accepted[self.target_])
                    cur["drawn"] += len(rows)
                    cur["accepted"] += int(keep.sum())
                    order = np.argsort(-rank[keep], kind="stable")
                    accepted = accepted.loc[keep].iloc[order]
                elif curating:
                    cur["drawn"] += len(rows)
                rate = max(len(accepted) / max(len(rows), 1) / pool, 1e-3)
                got.append(accepted.iloc[:need])
                need -= len(got[-1])
                if need == 0:
                    break
            if need:
                shortfall[str(label)] = need
            part = pd.concat(got, ignore_index=True)
            kept += len(part)
            cur["kept"] += len(part)
            parts.append(part)
        if filtering:
            self.validity_ = {
                "drawn": drawn,
                "kept": kept,
                "dropped": drawn - kept,
                "dropped_by_rule": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
                "shortfall": shortfall,
            }
        if guarding:
            self.privacy_ = {**private, "min_distance": float(self.min_distance), "shortfall": shortfall}
        if curating:
            self.curation_ = {**cur, "curator": getattr(self.curator_, "name", type(self.curator_).__name__)}
            self.curation_["shortfall"] = shortfall
        if shortfall:
            logger.warning("the budget could not be filled: short by %s rows", shortfall)
        self.shortfall_ = shortfall
        if not parts:
            return self.generator_.sample(0)[self.columns_]
        return pd.concat(parts, ignore_index=True)[self.columns_]

    def _empty_rows(self) -> pd.DataFrame:
        return self._empty.reset_index(drop=True)

    def _draw(self, label: Any, n: int, rng: np.random.Generator) -> pd.DataFrame:
        if self._conditions is None:
            return self.generator_.sample(n, conditions={self.target_: label}, random_state=rng)
        rows = self.generator_.sample(n, conditions={self.target_: self._conditions[label]}, random_state=rng)
        rows[self.target_] = pd.Series([label] * len(rows), index=rows.index, dtype=object)
        return rows

    def plan_budget(self, budget: Budget) -> Augmenter:
        """Change the synthetic budget of a fitted augmenter without refitting anything (for
        curves of utility against the number of synthetic rows). With ``generator="auto"`` it
        applies to the chosen strategy (no augmentation stays none)."""
        self._check_fitted()
        if self.is_auto:
            if self.delegate_ is not None:
                self.delegate_.plan_budget(budget)
            return self
        if self.generator_ is not None:
            self.budget_ = resolve_budget(
                budget, self._y, self.selected_positions_, max_synthetic_ratio=self.max_synthetic_ratio
            )
        return self

    # ------------------------------------------------------------------ augment
    def augment(self, table: Any, *, random_state: RandomState = None) -> AugmentationResult:
        """The fitted ``table``'s real rows plus the rows the strategy adds (without its label
        column when the labels were given separately: they are put back)."""
        self._check_fitted()
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        if self.target_ not in frame.columns and len(frame) == len(self._y):
            frame = frame.assign(**{self.target_: self._y_given})
        if len(frame) != len(self._y):
            raise DataError(f"augment needs the {len(self._y)} rows the Augmenter was fitted on; got {len(frame)}.")
        if self.is_auto:
            return self._augment_auto(frame, random_state)
        t0 = time.perf_counter()
        synthetic = self.sample(random_state=random_state)
        self.timings_["sample_s"] = time.perf_counter() - t0
        synthetic = _match_dtypes(synthetic, frame)
        dropped = frame.index[:0]
        real = frame
        if getattr(self.selector_, "drop_noise", False):
            dropped = frame.index[self.selector_.noise_positions_]
            real = frame.drop(index=dropped)
        rng = np.random.default_rng(self._weights_seed if random_state is None else derive_seed(random_state) + 1)
        resample = self.weights == "resample"
        parts, weights, origin = [real], [np.ones(len(real))], [np.full(len(real), "real", dtype=object)]
        if self.teach_real and self.teacher_ is not None and self.teacher_.oof_proba_ is not None:
            keep = ~frame.index.isin(dropped)
            copies, w = label_rows(
                real,
                self.target_,
                self.teacher_.oof_proba_[keep],
                self.teacher_.classes_,
                kind=str(self.teacher),
                weight=1.0,
                resample=resample,
                rng=rng,
            )
            parts.append(_match_dtypes(copies, frame))
            weights.append(w)
            origin.append(np.full(len(copies), "teacher", dtype=object))
        synthetic, w_syn = self._label_and_weigh(synthetic, frame, rng, resample)
        parts.append(synthetic)
        weights.append(w_syn)
        origin.append(np.full(len(synthetic), "synthetic", dtype=object))
        combined = pd.concat(parts, ignore_index=True)
        all_weights = np.concatenate(weights)
        kinds = np.concatenate(origin)
        return AugmentationResult(
            table=combined,
            synthetic=synthetic,
            is_synthetic=kinds == "synthetic",
            selected=self.selected_,
            hardness=self.hardness_result_,
            budget=dict(self.budget_),
            timings=dict(self.timings_),
            validity=self.validity_,
            dropped=dropped,
            sample_weight=None if np.all(all_weights == 1.0) else all_weights,
            origin=kinds,
            curation=self.curation_,
            privacy=self.privacy_,
        )

    def _label_and_weigh(
        self, synthetic: pd.DataFrame, frame: pd.DataFrame, rng: np.random.Generator, resample: bool
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Synthetic rows with the teacher's labels and their weights (or, resampling, a subset)."""
        w = float(self.synthetic_weight)
        if self.teacher_ is not None and len(synthetic):
            proba = self.teacher_.predict_proba(synthetic.drop(columns=[self.target_]))
            synthetic, weights = label_rows(
                synthetic,
                self.target_,
                proba,
                self.teacher_.classes_,
                kind=str(self.teacher),
                weight=1.0 if resample else w,
                resample=resample,
                rng=rng,
            )
            synthetic = _match_dtypes(synthetic, frame)
        else:
            weights = np.full(len(synthetic), 1.0 if resample else w)
        if resample and w < 1.0 and len(synthetic):
            keep = rng.random(len(synthetic)) < w
            synthetic, weights = synthetic.loc[keep].reset_index(drop=True), weights[keep]
        return synthetic, weights

    def _augment_auto(self, frame: pd.DataFrame, random_state: RandomState) -> AugmentationResult:
        if self.delegate_ is not None:
            result = self.delegate_.augment(frame, random_state=random_state)
            result.choice = self.choice_
            result.timings = {**self.timings_, **result.timings}
            return result
        empty = self._empty_rows()
        return AugmentationResult(
            table=frame.reset_index(drop=True),
            synthetic=empty,
            is_synthetic=np.zeros(len(frame), dtype=bool),
            selected=frame.index[:0],
            hardness=HardnessResult(np.zeros(len(frame)), frame.index, "not scored"),
            budget={label: 0 for label in pd.unique(pd.Series(self._y))},
            timings=dict(self.timings_),
            origin=np.full(len(frame), "real", dtype=object),
            choice=self.choice_,
        )

    def fit_augment(self, table: Any, target: Any, *, validation: Any = None) -> AugmentationResult:
        """Fit, sample the budget, and return the training set (``target``: a column name, or
        the labels themselves, as in :meth:`fit`). A polars frame in gives polars frames out
        (``table`` and ``synthetic``)."""
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        frame, target = _with_target(frame, target)
        self.fit(frame, target, validation=validation)
        result = self.augment(frame)
        if type(table).__module__.startswith("polars"):
            import polars as pl

            result.table, result.synthetic = pl.from_pandas(result.table), pl.from_pandas(result.synthetic)
        return result


def _generator_class(generator: Any) -> Any:
    """The class of a generator given by name or instance (None for none or ``"auto"``)."""
    if generator is None or (isinstance(generator, str) and generator == AUTO):
        return None
    if isinstance(generator, str):
        from tabaugment._registry import get_class

        return get_class("generators", generator)
    return type(generator)


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, (str, int, float, bool, dict, list, tuple)) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _with_seed(component: Any, seed: int, progress: bool) -> Any:
    params = component.get_params(deep=False)
    updates = {}
    if "random_state" in params and params["random_state"] is None:
        updates["random_state"] = seed
    if "progress" in params and progress:
        updates["progress"] = True
    return component.set_params(**updates) if updates else component


def _region_frame(frame: pd.DataFrame, target: str, positions: np.ndarray) -> tuple[pd.DataFrame, dict[Any, str]]:
    """``frame`` with its label replaced by "label | region" codes, and, per label, the code of
    its selected region (what the generator is conditioned on when sampling)."""
    labels = pd.Series(frame[target].to_numpy(), dtype=object)
    codes = {label: i for i, label in enumerate(pd.unique(labels))}
    selected = np.zeros(len(frame), dtype=bool)
    selected[positions] = True
    joined = [f"{codes[v]}|{'selected' if s else 'rest'}" for v, s in zip(labels, selected)]
    out = frame.copy()
    out[target] = pd.Categorical(joined)
    conditions = {
        label: f"{code}|selected" for label, code in codes.items() if (selected & (labels == label).to_numpy()).any()
    }
    return out, conditions


def _with_target(frame: pd.DataFrame, target: Any) -> tuple[pd.DataFrame, str]:
    """``(frame with the label column, its name)``: ``target`` names a column, or is the labels."""
    if isinstance(target, str):
        return frame, target
    if isinstance(target, (pd.Series, np.ndarray, list, tuple)) or hasattr(target, "to_pandas"):
        labels = to_pandas(target) if hasattr(target, "to_pandas") else target
        if len(labels) != len(frame):
            raise SchemaError(
                f"The labels have {len(labels)} values for {len(frame)} rows; give one label per row, or the name "
                "of the label column."
            )
        name = str(getattr(labels, "name", None) or "target")
        if name in frame.columns:
            raise SchemaError(
                f"The labels are named {name!r}, which is also a column of the table; rename one, or pass the "
                f"table with its label column and target={name!r}."
            )
        values = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
        column = pd.Series(values, index=frame.index, dtype=getattr(labels, "dtype", None), name=name)
        return frame.assign(**{name: column}), name
    raise SchemaError(
        f"target must be the name of the label column or the labels themselves; got {type(target).__name__}."
    )


def _check_target(frame: pd.DataFrame, target: str, min_classes: int = 2) -> None:
    import difflib

    if target not in frame.columns:
        close = difflib.get_close_matches(str(target), [str(c) for c in frame.columns], n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise SchemaError(f"Target column {target!r} is not in the table.{hint}")
    y = frame[target]
    if y.isna().any():
        raise SchemaError(
            f"Target {target!r} is missing in {int(y.isna().sum())} rows; drop them or fill in their labels."
        )
    k = y.nunique()
    if k < min_classes:
        raise DataError(f"Target {target!r} has only one class ({y.iloc[0]!r}); augmentation needs two.")


def _match_dtypes(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Cast synthetic columns to the real table's dtypes so concatenation keeps them."""
    out = synthetic.copy()
    for col in real.columns:
        if col in out.columns and out[col].dtype != real[col].dtype:
            with contextlib.suppress(TypeError, ValueError):
                out[col] = out[col].astype(real[col].dtype)
    return out
