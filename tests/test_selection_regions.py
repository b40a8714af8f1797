"""The region selectors (ambiguous, denoised, neighbourhood, mix) and fitting on all rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment import Augmenter
from tabaugment._registry import available, get_class
from tabaugment.data import load_breast_cancer
from tabaugment.hardness import HardnessResult
from tabaugment.selection import Ambiguous, HardestDenoised, HardMix, HardNeighbourhood
from tabaugment.testing import check_parameters, check_selector, selector_case


def _result(n: int = 200, seed: int = 0) -> tuple[HardnessResult, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.3, "pos", "neg")
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})
    return HardnessResult(rng.permutation(n).astype(float), pd.RangeIndex(n), "test"), y, X


def test_ambiguous_takes_a_within_class_quantile_band_or_data_iq_group() -> None:
    result, y, _ = _result()
    picked = Ambiguous(lower=0.5, upper=0.9).select(result, y)
    for label in ("pos", "neg"):
        pos = np.flatnonzero(y == label)
        chosen = np.intersect1d(picked, pos)
        # about 40% of each class, none of its hardest 10% and none of its easier half
        assert abs(len(chosen) - 0.4 * len(pos)) <= 2
        assert result.scores[chosen].max() < np.quantile(result.scores[pos], 0.92)
        assert result.scores[chosen].min() >= np.quantile(result.scores[pos], 0.49)
    group = np.where(np.arange(200) % 4 == 0, "ambiguous", "easy")
    with_groups = HardnessResult(result.scores, result.index, "data_iq", {"group": group})
    np.testing.assert_array_equal(Ambiguous().select(with_groups, y), np.flatnonzero(group == "ambiguous"))
    with pytest.raises(ValueError, match="lower < upper"):
        Ambiguous(lower=0.9, upper=0.5).select(result, y)


def test_denoised_sets_aside_the_hardest_tail_of_each_class() -> None:
    result, y, _ = _result()
    sel = HardestDenoised(fraction=0.2, noise=0.05)
    picked = sel.select(result, y)
    noise = sel.noise_positions_
    assert len(np.intersect1d(picked, noise)) == 0
    for label in ("pos", "neg"):
        pos = np.flatnonzero(y == label)
        n_noise = int(np.floor(0.05 * len(pos)))
        tail = pos[np.argsort(-result.scores[pos])[:n_noise]]
        np.testing.assert_array_equal(np.sort(tail), np.intersect1d(noise, pos))
        # the next-hardest rows are the ones selected
        chosen = np.intersect1d(picked, pos)
        assert result.scores[chosen].min() > np.sort(result.scores[pos])[::-1][n_noise + len(chosen)]


def test_drop_noise_removes_the_suspected_rows_from_training() -> None:
    table = load_breast_cancer().table.sample(200, random_state=0)
    aug = Augmenter(
        selector=HardestDenoised(noise=0.05, drop_noise=True), generator="gaussian_copula", budget=20, random_state=0
    )
    result = aug.fit_augment(table, "diagnosis")
    assert len(result.dropped) == len(aug.selector_.noise_positions_) > 0
    assert len(result.table) == len(table) - len(result.dropped) + 20
    real = result.table[~result.is_synthetic]
    assert not real.merge(table.loc[result.dropped], how="inner").shape[0]


def test_neighbourhood_adds_same_class_neighbours_of_the_hard_rows() -> None:
    result, y, X = _result()
    sel = HardNeighbourhood(fraction=0.05, n_neighbors=3)
    picked = sel.select(result, y, X)
    seeds = HardestDenoised(fraction=0.05, noise=0.0).select(result, y)
    assert set(seeds) <= set(picked)
    assert len(seeds) < len(picked) <= 4 * len(seeds)
    with pytest.raises(ValueError, match="needs the training features"):
        sel.select(result, y)


def test_mix_hits_its_targeted_share_and_is_seeded() -> None:
    result, y, _ = _result()
    sel = HardMix(fraction=0.1, targeted_share=0.25, random_state=3)
    picked = sel.select(result, y)
    hard = HardestDenoised(fraction=0.1, noise=0.0).select(result, y)
    assert set(hard) <= set(picked)
    assert len(hard) / len(picked) == pytest.approx(0.25, abs=0.02)
    np.testing.assert_array_equal(picked, HardMix(fraction=0.1, targeted_share=0.25, random_state=3).select(result, y))
    assert not np.array_equal(picked, HardMix(fraction=0.1, targeted_share=0.25, random_state=4).select(result, y))


def test_fit_on_all_samples_from_the_selected_region_only() -> None:
    table = load_breast_cancer().table.sample(200, random_state=1).reset_index(drop=True)
    aug = Augmenter(
        selector="hardest_per_class", generator="random_oversampling", fit_on="all", budget=60, random_state=0
    )
    result = aug.fit_augment(table, "diagnosis")
    # duplicates of rows of the hard region, with their own labels: nothing from the rest
    selected = table.loc[result.selected]
    merged = result.synthetic.merge(selected.drop_duplicates(), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert result.synthetic["diagnosis"].value_counts().to_dict() == {str(k): v for k, v in result.budget.items()}
    assert result.table["diagnosis"].dtype == table["diagnosis"].dtype
    with pytest.raises(ValueError, match="fit_on"):
        Augmenter(fit_on="some").fit(table, "diagnosis")


def test_fit_on_all_conditions_a_copula_on_the_region() -> None:
    table = load_breast_cancer().table.reset_index(drop=True)
    common = {"selector": "hardest_per_class", "generator": "gaussian_copula", "budget": 300, "random_state": 0}
    on_all = Augmenter(fit_on="all", **common).fit_augment(table, "diagnosis")
    # the synthetic rows resemble the selected rows more than the whole table does
    feature = "mean_radius" if "mean_radius" in table else table.columns[0]
    sel_mean = table.loc[on_all.selected, feature].mean()
    assert abs(on_all.synthetic[feature].mean() - sel_mean) < abs(table[feature].mean() - sel_mean)


def test_selectors_that_ignore_scores_skip_scoring() -> None:
    table = load_breast_cancer().table
    result = Augmenter(generator="gaussian_copula", budget=10, random_state=0).fit_augment(table, "diagnosis")
    assert result.hardness.method == "not scored" and not result.hardness.scores.any()
    scored = Augmenter(selector="hardest", generator="gaussian_copula", budget=10, random_state=0).fit_augment(
        table, "diagnosis"
    )
    assert scored.hardness.method == "knn_shapley"


@pytest.mark.parametrize("name", available("selectors"))
def test_registered_selector_keeps_the_contract(name: str) -> None:
    cls = get_class("selectors", name)
    result, y, X = selector_case()
    check_selector(lambda: cls(**cls._unit_test_params()), result, y, X)


def test_selector_contract_catches_a_selector_that_depends_on_row_order() -> None:
    from tabaugment.selection import TopFraction

    class FirstRows(TopFraction):
        def _select(self, scores, y):  # the first rows, whatever their scores: not order-free
            return np.arange(len(scores) // 5)

    result, y, X = selector_case()
    with pytest.raises(AssertionError, match="shuffling the rows changed which rows were selected"):
        check_selector(FirstRows, result, y, X)


@pytest.mark.parametrize(
    ("kind", "name"),
    [(kind, name) for kind in ("hardness", "selectors", "generators") for name in available(kind)],
)
def test_every_registered_component_declares_and_checks_its_parameters(kind: str, name: str, tmp_path) -> None:
    cls = get_class(kind, name)
    (tmp_path / "config.json").write_text("{}")  # enough of a local model folder for the parameter checks
    check_parameters(cls, {"model_path": str(tmp_path)} if getattr(cls, "needs_local_model", False) else None)
