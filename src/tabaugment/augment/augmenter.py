"""The Augmenter: score hardness, select rows, fit a generator on them, add synthetic rows."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
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
from tabaugment.data.io import to_pandas
from tabaugment.data.splits import check_not_test
from tabaugment.exceptions import DataError, NotFittedError, SchemaError
from tabaugment.generators.base import BaseGenerator
from tabaugment.hardness.base import BaseHardness, HardnessResult
from tabaugment.params import BOOL, NONE, RANDOM_STATE, Constraints, InstanceOf, Options, ParamsMixin, positive
from tabaugment.selection.base import BaseSelector

__all__ = ["AugmentationResult", "Augmenter"]

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class AugmentationResult:
    """Real rows plus synthetic rows, and how they were chosen.

    Attributes
    ----------
    table : the real rows (unchanged, in their order; less ``dropped``) followed by the
        synthetic rows.
    synthetic : the synthetic rows alone.
    is_synthetic : boolean mask over ``table``.
    selected : row ids (index labels) of the rows the generator was fitted on.
    hardness : the hardness scores of every training row.
    budget : synthetic rows per label.
    timings : seconds spent in hardness, selection, generator fit and sampling.
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

    def selection_frame(self) -> pd.DataFrame:
        """Hardness of every row with a ``selected`` flag (for reports and files)."""
        frame = self.hardness.to_frame()
        frame["selected"] = frame.index.isin(self.selected)
        return frame


#: The constraints of the parameters the Augmenter and the sampler share.
PIPELINE_CONSTRAINTS: dict[str, list[Any]] = {
    "hardness": [InstanceOf(str, BaseHardness, HardnessResult, what="a hardness name, method or HardnessResult")],
    "selector": [InstanceOf(str, BaseSelector, what="a selector name or instance")],
    "generator": [InstanceOf(str, BaseGenerator, what="a generator name or instance")],
    "budget": [BUDGET],
    "max_synthetic_ratio": [positive()],
    "random_state": RANDOM_STATE,
}


class Augmenter(ParamsMixin, BaseEstimator):
    """Targeted augmentation of a table: frame in, frame out.

    Parameters
    ----------
    hardness : a hardness method name (``"knn_shapley"``, ``"random"``) or instance, or the
        :class:`~tabaugment.hardness.HardnessResult` of an earlier scoring of the same rows
        (score once, then try several selectors or generators).
    selector : a selector name (``"all"``, ``"hardest"``, ``"hardest_per_class"``,
        ``"ambiguous"``, ``"hardest_denoised"``, ``"hard_neighbourhood"``, ``"hard_mix"``,
        ``"minority"``, ``"hardest_minority"``, ``"threshold"``, ``"random"``) or instance.
        The default, all rows with a Gaussian copula and 20% synthetic rows, is the strategy
        that did best across five datasets in ``benchmarks/results/targeting`` (the only one
        with a significant gain over no augmentation and no significant loss); no targeted
        selection beat it across datasets there, so targeting is opt-in: try candidates on
        your data with :func:`tabaugment.experiment.recommend`.
    generator : a generator name (``"gaussian_copula"``, ``"smote"``, ``"random_oversampling"``)
        or instance.
    budget : synthetic rows (see :func:`~tabaugment.augment.resolve_budget`): ``0.2`` = 20%
        of the training rows (the default), ``"1x"`` = one new row per selected row.
    max_synthetic_ratio : refuse budgets larger than this multiple of the training rows.
    random_state : one seed; hardness, selector, generator and sampling get independent streams.
    progress : show progress bars.
    filter_invalid : drop synthetic rows that break a validity rule learned from the
        training rows (see :class:`~tabaugment.data.Constraints`) or one of
        ``rules``, and draw again to fill the budget (at most ``max_rounds`` rounds; any
        shortfall is reported in ``validity_``, never hidden).
    rules : user validity rules, pandas query strings that a valid row satisfies; used when
        ``filter_invalid`` is on.
    max_rounds : sampling rounds allowed to replace dropped rows.
    fit_on : ``"selected"`` fits the generator on the selected rows only (the targeted
        augmentation paper's recipe). ``"all"`` fits it on every training row with the
        region (selected or not) joined to the label, and samples conditioned on
        (label, selected): the generator learns from all rows, which keeps deep generators
        from collapsing on a few hundred rows, and still writes rows of the hard region.

    Examples
    --------
    >>> from tabaugment import Augmenter, load_dataset
    >>> ds = load_dataset("breast_cancer")
    >>> result = Augmenter(random_state=0).fit_augment(ds.table, target="diagnosis")
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
    }

    def __init__(
        self,
        *,
        hardness: Any = _defaults.HARDNESS,
        selector: Any = _defaults.SELECTOR,
        generator: Any = _defaults.GENERATOR,
        budget: Budget = _defaults.BUDGET,
        max_synthetic_ratio: float = _defaults.MAX_SYNTHETIC_RATIO,
        random_state: RandomState = None,
        progress: bool = False,
        filter_invalid: bool = False,
        rules: Any = None,
        max_rounds: int = _defaults.MAX_ROUNDS,
        fit_on: str = _defaults.FIT_ON,
    ) -> None:
        self.hardness = hardness
        self.selector = selector
        self.generator = generator
        self.budget = budget
        self.max_synthetic_ratio = max_synthetic_ratio
        self.random_state = random_state
        self.progress = progress
        self.filter_invalid = filter_invalid
        self.rules = rules
        self.max_rounds = max_rounds
        self.fit_on = fit_on

    # ------------------------------------------------------------------ API
    def fit(self, table: Any, target: str, *, validation: Any = None) -> Augmenter:
        """Score ``table``'s rows, select, fit the generator and plan the budget.

        ``validation`` (optional) is a table of real rows with the same columns that serves as
        the hardness reference (e.g. KNN-Shapley's validation set); never the test rows.
        """
        self._validate_params()
        check_not_test(table, "Augmenter.fit")
        check_not_test(validation, "Augmenter.fit (as validation rows)")
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        _check_target(frame, target)
        seeds = spawn_seeds(derive_seed(self.random_state), ["hardness", "selector", "generator", "sample"])
        timings: dict[str, float] = {}
        X, y = frame.drop(columns=[target]), frame[target].to_numpy()
        X_val = y_val = None
        if validation is not None:
            vframe = to_pandas(validation) if not isinstance(validation, pd.DataFrame) else validation
            _check_target(vframe, target, min_classes=1)
            X_val, y_val = vframe[X.columns], vframe[target].to_numpy()

        selector = _with_seed(resolve("selectors", self.selector), seeds["selector"], self.progress)
        t0 = time.perf_counter()
        if not getattr(selector, "uses_scores", True) and not isinstance(self.hardness, HardnessResult):
            # the selector ignores hardness (all rows, the minority class): do not spend time scoring
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
        positions = selector.select(result, y, X)
        timings["selection_s"] = time.perf_counter() - t0
        plan = resolve_budget(self.budget, y, positions, max_synthetic_ratio=self.max_synthetic_ratio)

        t0 = time.perf_counter()
        generator = _with_seed(resolve("generators", self.generator), seeds["generator"], self.progress)
        self._conditions: dict[Any, Any] | None = None
        if self.fit_on == "all":
            region_frame, self._conditions = _region_frame(frame, target, positions)
            generator.fit(region_frame, target=target)
        else:
            generator.fit(frame.iloc[positions], target=target)
        timings["generator_fit_s"] = time.perf_counter() - t0

        self.hardness_ = hardness
        self.hardness_result_ = result
        self.selector_ = selector
        self.selected_positions_ = positions
        self.selected_ = frame.index[positions]
        self.generator_ = generator
        self.budget_ = plan
        self._y = y
        self.target_ = target
        self.columns_ = list(frame.columns)
        self.timings_ = timings
        self._sample_seed = seeds["sample"]
        self.constraints_ = None
        if self.filter_invalid or self.rules:
            from tabaugment.data import Constraints

            self.constraints_ = Constraints.learn(frame, user_rules=self.rules)
        self.validity_: dict[str, Any] | None = None
        logger.info(
            "selected %d of %d rows; budget %s", len(positions), len(frame), {str(k): v for k, v in plan.items()}
        )
        return self

    def sample(self, *, random_state: RandomState = None) -> pd.DataFrame:
        """The synthetic rows of the planned budget (class by class, conditioned exactly).

        With ``filter_invalid``, rows that break a rule are dropped and replaced by new
        draws, for at most ``max_rounds`` rounds; ``validity_`` then says how many rows each
        rule dropped and whether any class fell short. ``shortfall_`` always says how many rows
        of each class are missing (a generator with a sampling budget may stop early).
        """
        if not hasattr(self, "generator_"):
            raise NotFittedError("This Augmenter is not fitted yet; call fit first.")
        seed = self._sample_seed if random_state is None else derive_seed(random_state)
        rng = np.random.default_rng(seed)
        parts = []
        dropped: dict[str, int] = {}
        drawn = kept = 0
        shortfall: dict[str, int] = {}
        for label, n in self.budget_.items():
            if n <= 0:
                continue
            if self.constraints_ is None or not self.filter_invalid:
                parts.append(self._draw(label, n, rng))
                if len(parts[-1]) < n:  # a generator with a sampling budget (the LM generators) fell short
                    shortfall[str(label)] = n - len(parts[-1])
                continue
            got: list[pd.DataFrame] = []
            need, rate = n, 1.0
            for _ in range(max(1, int(self.max_rounds))):
                k = int(min(20 * need, np.ceil(need / max(rate, 0.05))))
                rows = self._draw(label, k, rng)
                check = self.constraints_.check(rows)
                for rule, count in zip(check.rules["rule"], check.rules["violations"]):
                    if count:
                        dropped[rule] = dropped.get(rule, 0) + int(count)
                good = rows.loc[check.valid]
                drawn += len(rows)
                rate = max(len(good) / len(rows), 1e-3)
                got.append(good.iloc[:need])
                need -= len(got[-1])
                if need == 0:
                    break
            if need:
                shortfall[str(label)] = need
            part = pd.concat(got, ignore_index=True)
            kept += len(part)
            parts.append(part)
        if self.constraints_ is not None and self.filter_invalid:
            self.validity_ = {
                "drawn": drawn,
                "kept": kept,
                "dropped": drawn - kept,
                "dropped_by_rule": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
                "shortfall": shortfall,
            }
            if shortfall:
                logger.warning(
                    "after %d rounds, %s rows of the budget could not be filled with valid rows",
                    self.max_rounds,
                    shortfall,
                )
        self.shortfall_ = shortfall
        if shortfall and self.validity_ is None:
            logger.warning("the generator fell short of the budget by %s rows", shortfall)
        if not parts:
            return self.generator_.sample(0)[self.columns_]
        return pd.concat(parts, ignore_index=True)[self.columns_]

    def _draw(self, label: Any, n: int, rng: np.random.Generator) -> pd.DataFrame:
        if self._conditions is None:
            return self.generator_.sample(n, conditions={self.target_: label}, random_state=rng)
        rows = self.generator_.sample(n, conditions={self.target_: self._conditions[label]}, random_state=rng)
        rows[self.target_] = pd.Series([label] * len(rows), index=rows.index, dtype=object)
        return rows

    def plan_budget(self, budget: Budget) -> Augmenter:
        """Change the synthetic budget of a fitted augmenter without refitting anything (for
        curves of utility against the number of synthetic rows)."""
        if not hasattr(self, "generator_"):
            raise NotFittedError("This Augmenter is not fitted yet; call fit first.")
        self.budget_ = resolve_budget(
            budget, self._y, self.selected_positions_, max_synthetic_ratio=self.max_synthetic_ratio
        )
        return self

    def augment(self, table: Any, *, random_state: RandomState = None) -> AugmentationResult:
        """Real rows of the fitted ``table`` plus a sample of the planned budget."""
        if not hasattr(self, "generator_"):
            raise NotFittedError("This Augmenter is not fitted yet; call fit first.")
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        if len(frame) != len(self._y):
            raise DataError(f"augment needs the {len(self._y)} rows the Augmenter was fitted on; got {len(frame)}.")
        t0 = time.perf_counter()
        synthetic = self.sample(random_state=random_state)
        self.timings_["sample_s"] = time.perf_counter() - t0
        synthetic = _match_dtypes(synthetic, frame)
        dropped = frame.index[:0]
        if getattr(self.selector_, "drop_noise", False):
            dropped = frame.index[self.selector_.noise_positions_]
            frame = frame.drop(index=dropped)
        combined = pd.concat([frame, synthetic], ignore_index=True)
        mask = np.r_[np.zeros(len(frame), dtype=bool), np.ones(len(synthetic), dtype=bool)]
        return AugmentationResult(
            table=combined,
            synthetic=synthetic,
            is_synthetic=mask,
            selected=self.selected_,
            hardness=self.hardness_result_,
            budget=dict(self.budget_),
            timings=dict(self.timings_),
            validity=self.validity_,
            dropped=dropped,
        )

    def fit_augment(self, table: Any, target: str, *, validation: Any = None) -> AugmentationResult:
        """Fit, sample the budget, and return real + synthetic rows."""
        frame = to_pandas(table) if not isinstance(table, pd.DataFrame) else table
        self.fit(frame, target, validation=validation)
        return self.augment(frame)


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
        if out[col].dtype != real[col].dtype:
            with contextlib.suppress(TypeError, ValueError):
                out[col] = out[col].astype(real[col].dtype)
    return out
