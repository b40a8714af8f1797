"""Teacher labels, curation, synthetic row weights and ``auto``: oracles and invariants."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment import Augmenter, TargetedSampler
from tabaugment._registry import available, get_class
from tabaugment.augment._auto import augmenter_from_dict, choose
from tabaugment.augment._curation import BaseCurator
from tabaugment.augment._teacher import Teacher, label_rows
from tabaugment.exceptions import DataError, ParameterError
from tabaugment.generators.base import BaseGenerator
from tabaugment.params import BOOL, RANDOM_STATE, Interval
from tabaugment.testing import check_curator, check_generator, curator_case

SIGNS = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])


def blobs(n: int, seed: int = 0, shift: float = 0.5, noise: float = 0.0) -> pd.DataFrame:
    """Two Gaussian classes that differ a little in each of six numbers, and a category with no
    signal; ``noise``: the share of rows whose label is then flipped."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.35, "yes", "no")
    frame = pd.DataFrame(_draw(rng, y == "yes", shift), columns=[f"x{i}" for i in range(len(SIGNS))])
    frame["kind"] = pd.Series(rng.choice(["p", "q", "r"], n), dtype="category")
    flip = rng.random(n) < noise
    frame["label"] = np.where(flip, np.where(y == "yes", "no", "yes"), y)
    return frame


def _draw(rng: np.random.Generator, yes: np.ndarray, shift: float) -> np.ndarray:
    return rng.normal(size=(len(yes), len(SIGNS))) + np.where(yes, shift, -shift)[:, None] * SIGNS


def bayes_label(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame[[f"x{i}" for i in range(len(SIGNS))]].to_numpy() @ SIGNS > 0, "yes", "no")


class TrueRows(BaseGenerator):
    """An oracle: rows from the true distribution of :func:`blobs` (or, with ``wrong``, from
    the other class's distribution under this class's label)."""

    name = "true_rows"
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "shift": [Interval(float, 0, None)],
        "wrong": [BOOL],
        "random_state": RANDOM_STATE,
    }

    def __init__(self, *, shift: float = 0.5, wrong: bool = False, random_state: Any = None) -> None:
        self.shift = shift
        self.wrong = wrong
        self.random_state = random_state

    def _fit(self, num: np.ndarray, codes: np.ndarray) -> None:
        self.num_, self.codes_ = num, codes

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        j = self.label_index
        pick = rng.integers(len(self.codes_), size=n)  # columns other than x0..x5: copied from real rows
        num, codes = self.num_[pick].copy(), self.codes_[pick].copy()
        for column, code in conditions.items():
            codes[:, column] = code
        yes = np.array([self.label_categories[c] == "yes" for c in codes[:, j]]) != self.wrong
        num[:, : len(SIGNS)] = _draw(rng, yes, self.shift)
        return num, codes

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"num": self.num_, "codes": self.codes_}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.num_, self.codes_ = arrays["num"], arrays["codes"]


@pytest.fixture
def registered_oracle(monkeypatch):
    """TrueRows registered (saving and loading a generator needs a registered class), in a
    registry of this test's own."""
    import tabaugment
    from tabaugment import _registry

    monkeypatch.setattr(_registry, "_registry", {k: dict(v) for k, v in _registry._registry.items()})
    tabaugment.register("generators", "true_rows", TrueRows)


def test_the_oracle_generator_keeps_the_generator_contract(registered_oracle) -> None:
    check_generator(lambda: TrueRows(random_state=0), blobs(120), "label")


# ---------------------------------------------------------------------- teacher


@settings(max_examples=30, deadline=None)
@given(
    proba=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3).filter(lambda p: sum(p) > 0.01),
    rows=st.integers(1, 6),
    weight=st.floats(0.05, 1.0),
)
def test_soft_labels_spread_each_rows_weight_over_its_classes(proba: list[float], rows: int, weight: float) -> None:
    p = np.tile(np.asarray(proba) / sum(proba), (rows, 1))
    frame = pd.DataFrame({"x": np.arange(rows, dtype=float), "y": ["a"] * rows})
    out, w = label_rows(frame, "y", p, ["a", "b", "c"], kind="soft", weight=weight, resample=False, rng=None)
    assert len(out) == len(w)
    for x in range(rows):  # each row's copies weigh what the row weighed (less copies under 0.1%)
        mine = w[out["x"].to_numpy() == x]
        assert mine.sum() == pytest.approx(weight * p[x][p[x] >= 1e-3].sum())
    hard, hw = label_rows(frame, "y", p, ["a", "b", "c"], kind="hard", weight=weight, resample=False, rng=None)
    assert list(hard["y"]) == [["a", "b", "c"][int(np.argmax(p[0]))]] * rows and np.allclose(hw, weight)


def test_resampled_soft_labels_follow_the_teachers_probabilities() -> None:
    p = np.tile([0.2, 0.8], (20_000, 1))
    frame = pd.DataFrame({"x": np.zeros(len(p)), "y": ["a"] * len(p)})
    rng = np.random.default_rng(0)
    out, w = label_rows(frame, "y", p, ["a", "b"], kind="soft", weight=1.0, resample=True, rng=rng)
    assert len(out) == len(p) and np.all(w == 1.0)
    assert (out["y"] == "b").mean() == pytest.approx(0.8, abs=0.015)


def test_cross_fitted_teacher_labels_come_from_models_that_did_not_see_the_row() -> None:
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    y = rng.choice(["a", "b"], 300)  # labels without signal: a tree memorises them
    teacher = Teacher(DecisionTreeClassifier(random_state=0), random_state=0).fit(X, y)
    own = np.array([teacher.classes_.index(v) for v in y])
    in_sample = (teacher.predict_proba(X).argmax(axis=1) == own).mean()
    cross_fitted = (teacher.oof_proba_.argmax(axis=1) == own).mean()
    assert in_sample == 1.0 and cross_fitted < 0.62
    assert np.allclose(teacher.oof_proba_.sum(axis=1), 1.0)
    assert Teacher(random_state=0).fit(X, y, cross_fit=False).oof_proba_ is None


def test_a_teacher_needs_two_classes_and_keeps_a_lone_rows_label() -> None:
    X = pd.DataFrame({"x": np.arange(10.0)})
    with pytest.raises(DataError, match="two classes"):
        Teacher().fit(X, ["a"] * 10)
    teacher = Teacher(random_state=0).fit(X, ["a"] * 9 + ["b"])
    assert teacher.oof_proba_[-1].tolist() == [0.0, 1.0]  # no honest cross-fit for one row


# ---------------------------------------------------------------------- weights and origin


def test_real_rows_come_back_exactly_then_teacher_copies_then_synthetic_rows() -> None:
    frame = blobs(150)
    result = Augmenter(
        generator="gaussian_copula", teacher="soft", teach_real=True, synthetic_weight=0.5, random_state=0
    ).fit_augment(frame, "label")
    n = len(frame)
    pd.testing.assert_frame_equal(result.table.iloc[:n], frame.reset_index(drop=True))
    origin = result.origin
    first_teacher = int(np.argmax(origin == "teacher"))
    first_synth = int(np.argmax(origin == "synthetic"))
    assert (origin[:n] == "real").all() and n == first_teacher < first_synth
    assert np.array_equal(result.is_synthetic, origin == "synthetic")
    w = result.sample_weight
    assert np.all(w[origin == "real"] == 1.0)
    # soft copies of each real row weigh one real row in all; synthetic ones half a row each
    assert w[origin == "teacher"].sum() == pytest.approx(n, rel=0.01)
    assert w[origin == "synthetic"].sum() == pytest.approx(0.5 * 30, rel=0.01)
    assert result.table.dtypes.equals(frame.dtypes)


def test_hard_teacher_labels_synthetic_rows_with_the_teachers_most_likely_class() -> None:
    frame = blobs(400, shift=1.0)
    aug = Augmenter(generator=TrueRows(shift=1.0, wrong=True), budget=1.0, teacher="hard", random_state=0)
    result = aug.fit_augment(frame, "label")
    syn = result.synthetic
    # the oracle drew every row from the other class: the teacher mostly puts it right
    assert (syn["label"].to_numpy() == bayes_label(syn)).mean() > 0.9
    assert result.sample_weight is None  # hard labels at weight 1: nothing to weigh


@pytest.mark.parametrize("weight", [0.25, 0.7])
def test_resampling_realises_weights_by_keeping_rows(weight: float) -> None:
    frame = blobs(400)
    result = Augmenter(
        generator="gaussian_copula", budget=2.0, synthetic_weight=weight, weights="resample", random_state=0
    ).fit_augment(frame, "label")
    assert result.sample_weight is None
    assert result.is_synthetic.sum() == pytest.approx(weight * 800, rel=0.12)


def test_the_sampler_returns_teacher_labelled_rows_without_weights() -> None:
    frame = blobs(200)
    X, y = frame.drop(columns="label"), frame["label"]
    sampler = TargetedSampler(generator="gaussian_copula", teacher="soft", teach_real=True, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(X_res) == len(y_res) >= 2 * len(X)
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)  # real rows first, exactly
    assert set(y_res) <= {"yes", "no"}


def test_self_distillation_adds_teacher_copies_and_no_synthetic_rows() -> None:
    frame = blobs(120)
    result = Augmenter(generator=None, teacher="hard", teach_real=True, random_state=0).fit_augment(frame, "label")
    assert not result.is_synthetic.any() and (result.origin == "teacher").sum() == len(frame)
    copies = result.table[result.origin == "teacher"].drop(columns="label").reset_index(drop=True)
    pd.testing.assert_frame_equal(copies, frame.drop(columns="label"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"generator": None}, "adds no rows"),
        ({"generator": "gaussian_copula", "teach_real": True}, "needs a teacher"),
        ({"generator": "gaussian_copula", "teacher": "warm"}, "teacher"),
        ({"generator": "gaussian_copula", "synthetic_weight": 0.0}, "synthetic_weight"),
        ({"generator": "gaussian_copula", "weights": "both"}, "weights"),
        ({"generator": "gaussian_copula", "curate": "best"}, "best"),
        ({"teacher": "soft"}, "has no effect with generator='auto'"),
        ({"candidates": [{"name": "none", "generator": "smote"}]}, "reserved"),
        ({"candidates": [{"generator": "smote", "colour": 1}]}, "colour"),
        ({"candidates": [{"generator": "auto"}]}, "cannot itself be 'auto'"),
        ({"candidates": []}, "at least one candidate"),
        ({"candidates": [{"name": "a", "generator": "smote"}, {"name": "a", "generator": "arf"}]}, "twice"),
    ],
)
def test_bad_settings_are_refused_before_any_work(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        Augmenter(**params).fit(blobs(60), "label")


# ---------------------------------------------------------------------- curation


@pytest.mark.parametrize("name", available("curators"))
def test_every_registered_curator_keeps_the_curator_contract(name: str) -> None:
    check_curator(get_class("curators", name))


def test_the_curator_contract_catches_a_curator_that_keeps_everything() -> None:
    class KeepAll(BaseCurator):
        _parameter_constraints: ClassVar[dict[str, Any]] = {}

        def _fit(self, X, y, X_val, y_val) -> None:
            pass

        def _score(self, X, y):
            return np.ones(len(X), dtype=bool), np.zeros(len(X))

    with pytest.raises(AssertionError, match="KeepAll: kept 100% of rows with true labels and 100%"):
        check_curator(KeepAll)


@pytest.mark.parametrize("name", available("curators"))
def test_curation_keeps_the_budget_from_a_larger_pool_and_reports_it(name: str) -> None:
    frame = blobs(200)
    aug = Augmenter(generator="gaussian_copula", budget=0.5, curate=name, oversample=3, random_state=0)
    result = aug.fit_augment(frame, "label")
    c = result.curation
    assert c["curator"] == name and c["drawn"] >= 3 * 100 and c["kept"] <= c["accepted"]
    assert c["kept"] + sum(c["shortfall"].values()) == 100 == result.is_synthetic.sum() + sum(c["shortfall"].values())


def test_curation_drops_rows_generated_for_the_wrong_label() -> None:
    frame = blobs(300, shift=1.0)
    plain = Augmenter(generator=TrueRows(shift=1.0, wrong=True), budget=0.5, random_state=0)
    curated = plain.set_params(curate="data_iq", oversample=2)
    result = curated.fit_augment(frame, "label")
    # every drawn row carries the wrong label; the curator accepts few of them
    assert result.curation["accepted"] < 0.2 * result.curation["drawn"]
    assert sum(result.curation["shortfall"].values()) > 0


def test_curation_uses_the_validation_rows_when_given() -> None:
    X, y, X_new, y_new = curator_case()
    curator = get_class("curators", "knn_shapley")(random_state=0)
    own = curator.fit(X, y).score(X_new, y_new)[1]
    with_val = curator.fit(X.iloc[:150], y[:150], X_val=X.iloc[150:], y_val=y[150:]).score(X_new, y_new)[1]
    assert not np.allclose(own, with_val)


# ---------------------------------------------------------------------- auto


ORACLE = [
    {"name": "truth", "generator": TrueRows(), "budget": 6.0},
    {"name": "wrong", "generator": TrueRows(wrong=True), "budget": 6.0},
]
#: A model that needs more rows than the table has (leaves of at least 60 rows): more rows of
#: the truth help it a lot, in every fold. (On most small tables the gain of even true rows is
#: smaller than what folds of a few dozen rows can show; see benchmarks/results/utility.)
HUNGRY = {"name": "lightgbm", "params": {"min_child_samples": 60}}


def test_auto_chooses_true_rows_and_rejects_wrong_ones() -> None:
    frame = blobs(120, seed=1)
    choice = choose(frame, "label", candidates=ORACLE, model=HUNGRY, random_state=0)
    ev = choice.evidence.set_index("candidate")
    assert choice.chosen == "truth" and ev.loc["truth", "verdict"] == "use"
    assert ev.loc["truth", "mean_diff"] > 0.2 and ev.loc["truth", "p_adjusted"] < 0.001
    assert ev.loc["wrong", "verdict"] == "no gain" and ev.loc["wrong", "mean_diff"] < 0
    assert choice.splits == 10 and "auto chose truth" in choice.reason
    json.dumps(choice.to_dict())  # the evidence is JSON-ready


def test_candidates_are_tested_in_their_order_and_stop_at_the_first_failure() -> None:
    frame = blobs(120, seed=1)
    wrong_first = choose(frame, "label", candidates=ORACLE[::-1], model=HUNGRY, random_state=0)
    ev = wrong_first.evidence.set_index("candidate")
    # the wrong rows fail first: the true rows, however good, are not used (fixed sequence)
    assert wrong_first.chosen == "none" and ev.loc["truth", "p"] < 0.001
    assert ev.loc["truth", "p_adjusted"] == ev.loc["wrong", "p"] > 0.5
    right_first = choose(frame, "label", candidates=ORACLE, model=HUNGRY, random_state=0).evidence
    assert right_first.p_adjusted.is_monotonic_increasing and right_first.p_adjusted.iloc[0] == right_first.p.iloc[0]


def test_auto_chooses_nothing_when_alpha_cannot_be_met_and_is_reproducible() -> None:
    frame = blobs(120, seed=1)
    strict = choose(frame, "label", candidates=ORACLE, model=HUNGRY, alpha=1e-12, random_state=0)
    assert strict.chosen == "none" and strict.params is None and "no augmentation" in strict.reason
    again = choose(frame, "label", candidates=ORACLE, model=HUNGRY, alpha=1e-12, random_state=0)
    cols = ["mean_diff", "p", "p_adjusted"]
    pd.testing.assert_frame_equal(strict.evidence[cols], again.evidence[cols])


def test_auto_augmenter_delegates_to_the_chosen_strategy() -> None:
    frame = blobs(120, seed=1)
    aug = Augmenter(candidates=ORACLE, model=HUNGRY, random_state=0)
    result = aug.fit_augment(frame, "label")
    assert result.choice.chosen == "truth" and result.is_synthetic.sum() == 6 * 120
    pd.testing.assert_frame_equal(result.table.iloc[:120], frame)
    none = Augmenter(candidates=ORACLE, model=HUNGRY, alpha=1e-12, random_state=0).fit_augment(frame, "label")
    pd.testing.assert_frame_equal(none.table, frame)
    assert not none.is_synthetic.any() and none.choice.chosen == "none"
    # the budget of a chosen strategy can still be changed; none stays none
    assert aug.plan_budget(1.0).augment(frame).is_synthetic.sum() == 120


def test_a_failing_candidate_is_reported_not_fatal() -> None:
    frame = blobs(60, seed=2)
    cands = [{"name": "too_many", "generator": "smote", "budget": 50.0}, ORACLE[0]]
    choice = choose(frame, "label", candidates=cands, model=HUNGRY, random_state=0)
    ev = choice.evidence.set_index("candidate")
    assert str(ev.loc["too_many", "verdict"]).startswith("failed:") and "budget" in ev.loc["too_many", "verdict"]


def test_auto_refuses_a_class_too_small_to_cross_validate_and_binary_metrics_on_many_classes() -> None:
    frame = blobs(60)
    frame.loc[0, "label"] = "rare"
    with pytest.raises(DataError, match="'rare' has 1"):
        choose(frame, "label", candidates=ORACLE[:1])
    frame.loc[1, "label"] = "rare"
    with pytest.raises(ParameterError, match="two classes"):
        choose(frame, "label", candidates=ORACLE[:1], metric="f1")


def test_auto_on_three_classes_compares_one_vs_rest_auc() -> None:
    frame = blobs(120, seed=3)
    frame["label"] = np.where(frame["x0"] > 1.0, "mid", frame["label"])
    choice = choose(frame, "label", candidates=[{"name": "copula", "generator": "gaussian_copula"}], random_state=0)
    assert choice.metric == "roc_auc" and 0.5 < choice.evidence["baseline_mean"].iloc[0] <= 1.0


def test_candidates_name_components_with_parameters() -> None:
    aug = augmenter_from_dict(
        {"name": "x", "generator": "smote", "generator_params": {"k_neighbors": 3}, "curate": "data_iq"}
    )
    assert aug.generator.k_neighbors == 3 and aug.curate == "data_iq"
    with pytest.raises(ParameterError, match="generator_params needs generator as a name"):
        augmenter_from_dict({"generator": TrueRows(), "generator_params": {"shift": 1.0}})
    with pytest.raises(ParameterError, match="unknown keys"):
        augmenter_from_dict({"generator": "smote", "colour_params": {}})


def test_auto_never_sees_the_test_rows(monkeypatch) -> None:
    """Through the engine, every row auto fits or scores on lies in the training split."""
    from tabaugment import evaluate_augmentation
    from tabaugment.augment import _auto
    from tabaugment.experiment import engine

    seen: list[tuple[str, set[int]]] = []
    real_choose, real_score = _auto.choose, engine._fit_and_score

    def spy_choose(frame, target, **kw):
        seen.append(("auto", set(frame["row"])))
        return real_choose(frame, target, **kw)

    def spy_score(cell, seed, X, y, X_test, y_test, *rest):
        seen.append(("test", set(X_test["row"])))
        return real_score(cell, seed, X, y, X_test, y_test, *rest)

    monkeypatch.setattr(_auto, "choose", spy_choose)
    monkeypatch.setattr(engine, "_fit_and_score", spy_score)
    frame = blobs(150, seed=4)
    frame["row"] = np.arange(len(frame), dtype=float)
    strategy = Augmenter(candidates=ORACLE[:1], n_splits=3, n_repeats=1)
    evaluate_augmentation(frame, target="label", strategies=strategy, seeds=2)
    kinds = [kind for kind, _ in seen]
    # per split: the baseline's test rows, auto's rows, the augmented model's test rows
    assert kinds == ["test", "auto", "test"] * 2, kinds
    for before, (_, rows), after in zip(seen[0::3], seen[1::3], seen[2::3]):
        assert before[1] == after[1] and len(rows) >= 80 and rows.isdisjoint(after[1])


def test_a_choice_shows_as_html_in_a_notebook() -> None:
    choice = choose(blobs(120, seed=1), "label", candidates=ORACLE, model=HUNGRY, random_state=0)
    page = choice._repr_html_()
    assert page.startswith("<p>auto chose truth") and "<table" in page and "p_adjusted" in page
