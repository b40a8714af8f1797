"""Metrics, paired statistics, and utility over seeds on real held-out rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn import metrics

from tabaugment import Augmenter, evaluate_augmentation, make_model
from tabaugment.data import load_breast_cancer
from tabaugment.evaluation import paired_comparison, score_predictions
from tabaugment.evaluation.metrics import METRICS, score_metric


def test_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    s = score_predictions(y, p)
    assert s["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))
    assert s["gini"] == pytest.approx(2 * metrics.roc_auc_score(y, p) - 1)
    assert s["pr_auc"] == pytest.approx(metrics.average_precision_score(y, p))
    assert s["f1"] == pytest.approx(metrics.f1_score(y, p >= 0.5))
    assert s["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(y, p >= 0.5))
    assert s["log_loss"] == pytest.approx(metrics.log_loss(y, p))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 80), threshold=st.floats(0.05, 0.95))
def test_one_metric_is_the_same_number_as_all_metrics(seed: int, n: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    p = rng.random(n)
    every = score_predictions(y, p, threshold=threshold)
    assert list(every) == list(METRICS)
    for metric in METRICS:
        one = score_metric(metric, y, p, threshold=threshold)
        assert one == every[metric] or (np.isnan(one) and np.isnan(every[metric]))
    with pytest.raises(ValueError, match="Unknown metric 'auc'"):
        score_metric("auc", y, p)


def test_paired_comparison_matches_scipy() -> None:
    base = np.array([0.80, 0.81, 0.79, 0.82, 0.80, 0.78])
    treat = base + np.array([0.01, 0.02, 0.00, 0.015, 0.01, 0.012])
    out = paired_comparison(base, treat)
    assert out["mean_diff"] == pytest.approx(np.mean(treat - base))
    assert out["p_ttest"] == pytest.approx(stats.ttest_rel(treat, base).pvalue)
    assert out["ci_low"] <= out["mean_diff"] <= out["ci_high"]
    assert out["wins"] == 5 and out["losses"] == 0
    same = paired_comparison(base, base)
    assert same["p_ttest"] == 1.0 and same["mean_diff"] == 0.0


def test_make_model_names_and_errors() -> None:
    assert type(make_model("lightgbm")).__name__ == "LGBMClassifier"
    with pytest.raises(ValueError, match="Unknown model 'lightgbn'. Did you mean 'lightgbm'"):
        make_model("lightgbn")


def test_evaluate_is_paired_reproducible_and_scores_only_real_test_rows() -> None:
    ds = load_breast_cancer()
    strategies = {
        "copula": Augmenter(selector="hardest", generator="gaussian_copula", budget="1x"),
        "dup": Augmenter(selector="hardest", generator="random_oversampling", budget="1x"),
    }
    a = evaluate_augmentation(ds, strategies=strategies, seeds=2, model="logistic_regression")
    b = evaluate_augmentation(ds, strategies=strategies, seeds=2, model="logistic_regression")
    assert a.scores.equals(b.scores)
    assert set(a.scores.strategy) == {"baseline", "copula", "dup"}
    runs = a.runs.set_index(["seed", "strategy"])
    # every strategy of a seed is scored on the same real test rows as its baseline
    assert runs.groupby(level="seed")["test_rows"].nunique().eq(1).all()
    assert (runs.xs("copula", level="strategy")["synthetic_rows"] > 0).all()
    comp = a.comparison.set_index(["strategy", "metric"])
    wide = a.scores.pivot_table(index=["metric", "seed"], columns="strategy", values="value").loc["roc_auc"]
    assert comp.loc[("copula", "roc_auc"), "mean_diff"] == pytest.approx((wide["copula"] - wide["baseline"]).mean())
    assert "copula" in a.table()
    ll = comp.loc[("copula", "log_loss")]
    assert ll["better"] == ll["losses"]  # lower log loss is better
    assert comp.loc[("copula", "roc_auc"), "better"] == comp.loc[("copula", "roc_auc"), "wins"]


def test_evaluate_rejects_reserved_name() -> None:
    with pytest.raises(ValueError, match="'baseline' is reserved"):
        evaluate_augmentation(load_breast_cancer(), strategies={"baseline": Augmenter()}, seeds=1)


def test_xgboost_model_on_prepared_frames() -> None:
    pytest.importorskip("xgboost")
    ds = load_breast_cancer()
    result = evaluate_augmentation(
        ds,
        strategies=Augmenter(generator="gaussian_copula", budget="1x"),
        seeds=1,
        model="xgboost",
        model_params={"n_estimators": 20},
    )
    assert result.comparison.query("metric == 'roc_auc'")["baseline_mean"].iloc[0] > 0.9


def _amex_gini_by_loop(y: np.ndarray, p: np.ndarray) -> float:
    """The competition's weighted Gini written as an explicit loop over ranked rows."""

    def raw(order: list[int]) -> float:
        weights = [20.0 if y[i] == 0 else 1.0 for i in order]
        total_w = sum(weights)
        total_pos = sum(float(y[i]) * w for i, w in zip(order, weights))
        seen = found = acc = 0.0
        for i, w in zip(order, weights):
            seen += w / total_w
            found += float(y[i]) * w
            acc += (found / total_pos - seen) * w
        return acc

    by_score = sorted(range(len(p)), key=lambda i: -p[i])
    by_label = sorted(range(len(y)), key=lambda i: -y[i])
    return raw(by_score) / raw(by_label)


def test_weighted_gini_matches_a_loop_and_reduces_to_gini() -> None:
    from tabaugment.evaluation.metrics import amex_metric, weighted_gini

    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.2).astype(int)
    p = rng.random(400) + 0.4 * y
    assert weighted_gini(y, p) == pytest.approx(_amex_gini_by_loop(y, p), rel=1e-12)
    assert weighted_gini(y, p, negative_weight=1.0) == pytest.approx(2 * metrics.roc_auc_score(y, p) - 1)
    assert weighted_gini(y, y.astype(float)) == pytest.approx(1.0)
    assert weighted_gini(y, -p) < 0
    # weighting negatives moves the value away from the unweighted Gini, towards weighted AUC
    w = np.where(y == 0, 20, 1)
    assert weighted_gini(y, p) == pytest.approx(2 * metrics.roc_auc_score(y, p, sample_weight=w) - 1, abs=0.01)
    assert 0 < amex_metric(y, p) < 1
    assert score_predictions(y, np.clip(p, 0, 1))["amex_gini"] == pytest.approx(weighted_gini(y, np.clip(p, 0, 1)))


def test_an_evaluation_shows_as_html_in_a_notebook() -> None:
    result = evaluate_augmentation("breast_cancer", strategies=Augmenter(generator="smote"), seeds=2, train_size=120)
    page = result._repr_html_()
    assert "<table" in page and "roc_auc" in page and "corrected resampled t-test" in page


def test_tstr_reads_soft_labels_through_their_weights() -> None:
    """Oracle: each row written once per label with weight 1 for its own label and 0 for the
    other is the table itself, so the weighted TSTR equals the hard-label one."""
    from tabaugment.data import load_breast_cancer
    from tabaugment.data.splits import split_table
    from tabaugment.evaluation.tstr import train_synthetic_test_real

    ds = load_breast_cancer()
    split = split_table(ds.table, ds.schema, random_state=0)
    rows, target = split.train, ds.schema.target
    labels = ds.schema.labels
    other = rows[target].map({labels[0]: labels[1], labels[1]: labels[0]})
    doubled = pd.concat([rows, rows.assign(**{target: other})], ignore_index=True)
    weights = np.r_[np.ones(len(rows)), np.zeros(len(rows))]
    kwargs = {"model": "logistic_regression", "seeds": 1}
    hard = train_synthetic_test_real(rows, rows, split.test, ds.schema, **kwargs)
    soft = train_synthetic_test_real(doubled, rows, split.test, ds.schema, synthetic_weight=weights, **kwargs)
    unweighted = train_synthetic_test_real(doubled, rows, split.test, ds.schema, **kwargs)
    auc = {
        name: float(t.set_index("metric").loc["roc_auc", "train_synthetic"])
        for name, t in (("hard", hard), ("soft", soft), ("unweighted", unweighted))
    }
    assert auc["soft"] == pytest.approx(auc["hard"], abs=2e-3)
    assert auc["unweighted"] < 0.75 < auc["hard"]  # both labels at equal weight teach nothing
