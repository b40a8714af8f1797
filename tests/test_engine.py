"""One engine: `evaluate` and `run` give the same numbers for the same strategy, data and seeds."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tabaugment import Augmenter, evaluate_augmentation
from tabaugment.cli import main
from tabaugment.data import load_breast_cancer
from tabaugment.exceptions import ParameterError
from tabaugment.experiment import Strategy, load_spec, run_experiment
from tabaugment.generators import GaussianCopula
from tabaugment.selection import TopFraction

SPEC = {
    "experiment": {"name": "same", "seeds": 2},
    "datasets": [{"name": "breast_cancer", "train_size": 150}],
    "strategies": [
        {
            "name": "targeted",
            "selector": "hardest",
            "selector_params": {"fraction": 0.2},
            "generator": "gaussian_copula",
            "budget": "1x",
        },
        {"name": "plain", "generator": "random_oversampling", "budget": 0.3},
    ],
}


def _values(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index(["strategy", "seed", "metric"])["value"].sort_index()


def test_evaluate_and_run_give_identical_numbers(tmp_path) -> None:
    ran = run_experiment(SPEC, tmp_path / "run")
    strategies = {
        "targeted": Augmenter(selector="hardest", generator="gaussian_copula", budget="1x"),
        "plain": Augmenter(generator="random_oversampling", budget=0.3),
    }
    evaluated = evaluate_augmentation("breast_cancer", strategies=strategies, seeds=2, train_size=150)
    pd.testing.assert_series_equal(_values(evaluated.scores), _values(ran), check_exact=True)
    # the same rows through the report's Dataset path
    in_memory = evaluate_augmentation(load_breast_cancer(), strategies=strategies, seeds=2, train_size=150)
    pd.testing.assert_series_equal(_values(in_memory.scores), _values(ran), check_exact=True)


def test_the_commands_evaluate_and_run_agree(tmp_path, capsys) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[experiment]\nname = "cli"\nseeds = 2\n[[datasets]]\nname = "breast_cancer"\ntrain_size = 150\n'
        '[[strategies]]\nname = "hardest+gaussian_copula"\nselector = "hardest"\ngenerator = "gaussian_copula"\n'
        'budget = "1x"\n'
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "run")]) == 0
    args = ["evaluate", "breast_cancer", "--train-size", "150", "--selector", "hardest", "--fraction", "0.2"]
    assert (
        main(
            [
                *args,
                "--generator",
                "gaussian_copula",
                "--budget",
                "1x",
                "--seeds",
                "2",
                "--out",
                str(tmp_path / "e.json"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    ran = pd.read_parquet(tmp_path / "run" / "results.parquet")
    evaluated = pd.DataFrame(json.loads((tmp_path / "e.json").read_text())["scores"])
    pd.testing.assert_series_equal(_values(evaluated), _values(ran), check_exact=True)


def test_a_file_evaluated_and_run_agree(tmp_path) -> None:
    path = tmp_path / "cancer.csv"
    load_breast_cancer().table.to_csv(path, index=False)
    spec = {
        "experiment": {"seeds": 2},
        "datasets": [{"path": str(path), "target": "diagnosis", "train_size": 120}],
        "strategies": [{"name": "s", "generator": "smote", "budget": 0.5}],
    }
    ran = run_experiment(spec, tmp_path / "run")
    evaluated = evaluate_augmentation(
        path, target="diagnosis", strategies={"s": Augmenter(generator="smote", budget=0.5)}, seeds=2, train_size=120
    )
    pd.testing.assert_series_equal(_values(evaluated.scores), _values(ran), check_exact=True)


def test_names_and_spelling_do_not_change_the_numbers() -> None:
    spelled = Augmenter(
        hardness="knn_shapley",
        selector=TopFraction(fraction=0.2),
        generator=GaussianCopula(),
        budget="1x",
        fit_on="selected",
    )
    short = Augmenter(selector="hardest", generator="gaussian_copula", budget="1x")
    result = evaluate_augmentation("breast_cancer", strategies={"a": spelled, "b": short}, seeds=2, train_size=120)
    wide = result.scores.pivot_table(index=["seed", "metric"], columns="strategy", values="value")
    pd.testing.assert_series_equal(wide["a"], wide["b"], check_names=False)


def test_strategy_description_is_canonical() -> None:
    plain = Strategy(name="x")
    assert plain.describe()["generator"] == "auto" and "selector" not in plain.describe()  # auto chooses
    copula = Strategy(name="c", params={"generator": "gaussian_copula"})
    assert copula.describe() == {"selector": "all", "generator": "gaussian_copula"}  # all rows: no hardness
    targeted = Strategy.from_augmenter("y", Augmenter(selector=TopFraction(fraction=0.3), generator="smote"))
    assert targeted.describe() == {
        "hardness": "knn_shapley",
        "selector": {"name": "hardest", "params": {"fraction": 0.3}},
        "generator": "smote",
    }
    assert Strategy(name="z", params={"generator": "arf", "fit_on": "all"}).describe()["fit_on"] == "all"
    # spec tables and Augmenters meet in the same description
    from_spec = load_spec(SPEC).strategies[0]
    assert (
        from_spec.describe()
        == Strategy.from_augmenter(
            "t", Augmenter(selector="hardest", generator="gaussian_copula", budget="1x")
        ).describe()
    )


def test_precomputed_hardness_cannot_be_evaluated_over_splits() -> None:
    from tabaugment.hardness import KNNShapley

    ds = load_breast_cancer()
    frame = ds.schema.prepare(ds.table)
    scores = KNNShapley().fit(frame.drop(columns=["diagnosis"]), frame["diagnosis"]).result_
    with pytest.raises(ParameterError, match="scores every split anew"):
        evaluate_augmentation(
            ds, strategies=Augmenter(hardness=scores, selector="hardest", generator="gaussian_copula"), seeds=1
        )


def test_where_the_data_lies_changes_no_number(tmp_path, monkeypatch) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        load_breast_cancer().table.to_csv(tmp_path / folder / "cancer.csv", index=False)
    common = {"strategies": Augmenter(generator="random_oversampling"), "seeds": 1, "train_size": 100}
    first = evaluate_augmentation(tmp_path / "a" / "cancer.csv", target="diagnosis", **common)
    monkeypatch.chdir(tmp_path / "b")
    second = evaluate_augmentation("cancer.csv", target="diagnosis", **common)
    pd.testing.assert_series_equal(_values(first.scores), _values(second.scores), check_exact=True)
