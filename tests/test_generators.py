"""The generator contract over every registered generator, and each generator's own promises."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment._registry import available, get_class
from tabaugment.exceptions import DataError, ModelFileError, NotFittedError, ParameterError
from tabaugment.generators import GaussianCopula, RandomOversampling, SMOTEGenerator, load_generator
from tabaugment.testing import check_generator, contract_table

# the LM generators need a local model; tests/test_lm_generators.py runs the contract on tiny ones
_SELF_CONTAINED = [
    n for n in available("generators") if not getattr(get_class("generators", n), "needs_local_model", False)
]


@pytest.mark.parametrize("name", _SELF_CONTAINED)
def test_registered_generator_keeps_the_contract(name: str) -> None:
    cls = get_class("generators", name)
    table, target = contract_table()
    check_generator(lambda: cls(random_state=0, **cls._unit_test_params()), table, target)


@pytest.mark.parametrize("name", _SELF_CONTAINED)
def test_registered_generator_keeps_the_contract_with_a_numeric_label(name: str) -> None:
    cls = get_class("generators", name)
    table, target = contract_table(random_state=1)
    table[target] = (table[target] == "bad").astype("int64")
    check_generator(lambda: cls(random_state=0, **cls._unit_test_params()), table, target)


@pytest.mark.parametrize("name", _SELF_CONTAINED)
def test_registered_generator_keeps_the_contract_with_five_classes(name: str) -> None:
    cls = get_class("generators", name)
    table, target = contract_table(n=200, random_state=2, n_classes=5)
    assert table[target].nunique() == 5
    check_generator(lambda: cls(random_state=0, **cls._unit_test_params()), table, target)


def test_contract_checker_catches_a_broken_generator() -> None:
    class Broken(RandomOversampling):
        def _sample(self, n, conditions, rng):
            return super()._sample(n, conditions, np.random.default_rng())  # ignores the seed

    table, target = contract_table()
    with pytest.raises(AssertionError, match="the same random_state gave different rows"):
        check_generator(lambda: Broken(random_state=0), table, target)


def test_copula_preserves_category_frequencies_and_bounds() -> None:
    table, target = contract_table(n=2000)
    rows = GaussianCopula(random_state=0).fit(table, target=target).sample(20_000, random_state=1)
    real = table["city"].value_counts(normalize=True)
    fake = rows["city"].value_counts(normalize=True)
    for city in ("Oslo", "Lima", "Pune"):
        assert fake[city] == pytest.approx(real[city], abs=0.015)
    assert fake.get("Rome", 0) == 0  # in the domain but never fitted
    assert rows["age"].between(table["age"].min(), table["age"].max()).all()
    assert (rows["age"] % 1 == 0).all()
    assert rows["income"].isna().mean() == pytest.approx(table["income"].isna().mean(), abs=0.02)
    assert rows[target].value_counts(normalize=True)["bad"] == pytest.approx((table[target] == "bad").mean(), abs=0.01)


def test_copula_keeps_a_strong_correlation() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=3000)
    table = pd.DataFrame({"x": x, "z": 2 * x + rng.normal(scale=0.3, size=3000), "y": np.where(x > 0, "a", "b")})
    table["y"] = table["y"].astype(object)
    rows = GaussianCopula(random_state=0).fit(table, target="y").sample(5000, random_state=0)
    real = np.corrcoef(table["x"], table["z"])[0, 1]
    assert np.corrcoef(rows["x"], rows["z"])[0, 1] == pytest.approx(real, abs=0.03)


def test_smote_small_classes_adapt_or_raise() -> None:
    table, target = contract_table()
    few = pd.concat([table[table[target] == "good"], table[table[target] == "bad"].head(3)])
    strict = SMOTEGenerator(k_neighbors=5, small_classes="error", random_state=0).fit(few, target=target)
    with pytest.raises(
        DataError, match=r"Class 'bad' has 3 rows; SMOTE\(k_neighbors=5\) needs at least 6. Lower k_neighbors"
    ):
        strict.sample(10, conditions={target: "bad"})
    assert len(strict.sample(10, conditions={target: "good"})) == 10
    # adapting: the 3 rows interpolate among themselves, so every number stays in their range
    rows = SMOTEGenerator(k_neighbors=5, random_state=0).fit(few, target=target).sample(50, conditions={target: "bad"})
    bad = few[few[target] == "bad"]
    for col in bad.select_dtypes("number").columns:
        assert rows[col].dropna().between(bad[col].min() - 1e-9, bad[col].max() + 1e-9).all()
    # a class of one row can only be copied
    one = pd.concat([table[table[target] == "good"], table[table[target] == "bad"].head(1)])
    copies = SMOTEGenerator(random_state=0).fit(one, target=target).sample(4, conditions={target: "bad"})
    numeric = one.select_dtypes("number").columns
    expected = one[one[target] == "bad"][numeric].to_numpy()
    np.testing.assert_allclose(copies[numeric].to_numpy(dtype=float), np.repeat(expected, 4, axis=0).astype(float))


def test_smote_rows_interpolate_within_the_class() -> None:
    table = pd.DataFrame({"a": [0.0, 1.0, 2.0, 10.0, 11.0, 12.0], "y": ["p", "p", "p", "n", "n", "n"]})
    table["y"] = table["y"].astype(object)
    rows = SMOTEGenerator(k_neighbors=2, random_state=0).fit(table, target="y").sample(200, conditions={"y": "p"})
    assert rows["a"].between(0, 2).all()


def test_conditions_on_unknown_values_and_columns_are_clear() -> None:
    table, target = contract_table()
    gen = GaussianCopula(random_state=0).fit(table, target=target)
    with pytest.raises(DataError, match="'ugly' is not a category of 'label'"):
        gen.sample(5, conditions={target: "ugly"})
    with pytest.raises(DataError, match=r"'age' is a range \(low, high\).*For one value give it twice"):
        gen.sample(5, conditions={"age": 30})
    with pytest.raises(DataError, match=r"Cannot condition on 'cty'.* Did you mean 'city'\?"):
        gen.sample(5, conditions={"cty": "Oslo"})
    with pytest.raises(DataError, match=r"lies outside the values the generator was fitted on \(\[18, 79\]\)"):
        gen.sample(5, conditions={"age": (90, None)})
    with pytest.raises(DataError, match="is empty: low > high"):
        gen.sample(5, conditions={"age": (50, 40)})
    with pytest.raises(DataError, match=r"made \d+ of the 50 rows asked for with conditions .* in 2,500 draws"):
        gen.sample(50, conditions={"age": (18, 18), "city": "Pune", target: "bad"})
    assert len(gen.sample(3, conditions={"age": (18.5, 19.5)})) == 3  # integer column: only 19
    only_bad = GaussianCopula(random_state=0).fit(table[table[target] == "bad"], target=target)
    with pytest.raises(DataError, match=r"'good' is not a category of 'label'; known categories: \['bad'\]"):
        only_bad.sample(5, conditions={target: "good"})
    cat_table = table.assign(label=pd.Categorical(table[target], categories=["bad", "good"]))
    only_bad_cat = GaussianCopula(random_state=0).fit(cat_table[cat_table[target] == "bad"], target=target)
    with pytest.raises(DataError, match="fitted on no rows with label='good', so it cannot sample them"):
        only_bad_cat.sample(5, conditions={target: "good"})


def test_random_oversampling_conditions_on_any_category() -> None:
    table, target = contract_table()
    rows = (
        RandomOversampling(random_state=0)
        .fit(table, target=target)
        .sample(100, conditions={"city": "Pune", target: "bad"})
    )
    assert (rows["city"] == "Pune").all() and (rows[target] == "bad").all()
    merged = rows.merge(table.drop_duplicates(), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()  # every row is a copy of a real one


def test_unfitted_and_bad_sample_sizes() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        GaussianCopula().sample(3)
    table, target = contract_table()
    gen = GaussianCopula(random_state=0).fit(table, target=target)
    with pytest.raises(ValueError, match="n_samples must be an int >= 0. Got -1"):
        gen.sample(-1)


def test_model_file_from_a_newer_version_is_refused(tmp_path) -> None:
    table, target = contract_table()
    path = GaussianCopula(random_state=0).fit(table, target=target).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    config["format_version"] = 99
    config["tabaugment_version"] = "9.0.0"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"written by tabaugment 9.0.0 \(file format 99\).*Upgrade tabaugment"):
        load_generator(path)


def test_corrupt_and_missing_model_files(tmp_path) -> None:
    table, target = contract_table()
    path = SMOTEGenerator(k_neighbors=3, random_state=0).fit(table, target=target).save(tmp_path / "m")
    (path / "arrays.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelFileError, match="arrays.safetensors' is corrupt"):
        load_generator(path)
    (path / "config.json").write_text("{ not json")
    with pytest.raises(ModelFileError, match="config.json' is corrupt"):
        load_generator(path)
    with pytest.raises(ModelFileError, match="is not a saved tabaugment generator"):
        load_generator(tmp_path / "nothing-here")
    with pytest.raises(ModelFileError, match="holds a GaussianCopula, not a SMOTEGenerator"):
        SMOTEGenerator.load(GaussianCopula(random_state=0).fit(table, target=target).save(tmp_path / "g"))


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("tvae", "hidden", 400_000),
        ("ctgan", "width", 400_000),
        ("diffusion", "width", 400_000),
        ("tabsyn", "width", 400_000),
        ("tabsyn", "d_token", 100_000),
        ("ctabgan_plus", "channels", 400_000),
        ("tabular_gpt", "d_model", 65_536),
    ],
)
def test_a_tampered_network_size_is_refused_before_any_allocation(tmp_path, name, key, value) -> None:
    pytest.importorskip("torch")
    table, target = contract_table()
    cls = get_class("generators", name)
    path = cls(**{**cls._unit_test_params(), "random_state": 0}).fit(table, target=target).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    config["params"][key] = value  # built for real: hundreds of GB
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="do not match the saved parameters"):
        load_generator(path)


def test_every_loading_failure_is_a_model_file_error(tmp_path) -> None:
    table, target = contract_table()
    path = SMOTEGenerator(k_neighbors=3, random_state=0).fit(table, target=target).save(tmp_path / "m")
    good = json.loads((path / "config.json").read_text())
    cases = {
        "deep": "[" * 100_000 + "]" * 100_000,
        "bad parameter": json.dumps({**good, "params": {**good["params"], "k_neighbors": -3}}),
        "unknown parameter": json.dumps({**good, "params": {**good["params"], "colour": 1}}),
        "wrong spec": json.dumps({**good, "spec": {"columns": 3}}),
        "no state": json.dumps({k: v for k, v in good.items() if k != "state"}),
    }
    for text in cases.values():
        (path / "config.json").write_text(text)
        with pytest.raises(ModelFileError):
            load_generator(path)
    (path / "config.json").write_text(" " * (65 * 2**20))
    with pytest.raises(ModelFileError, match="a generator's config is at most"):
        load_generator(path)


def test_save_refuses_a_file_or_a_foreign_folder_and_touches_neither(tmp_path) -> None:
    table, target = contract_table()
    gen = GaussianCopula(random_state=0).fit(table, target=target)
    mine = tmp_path / "notes.txt"
    mine.write_text("keep me")
    with pytest.raises(ParameterError, match="is a file; give a folder name"):
        gen.save(mine)
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years")
    with pytest.raises(ParameterError, match="folder with other files in it"):
        gen.save(folder)
    assert mine.read_text() == "keep me" and [p.name for p in folder.iterdir()] == ["thesis.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "work"]
    gen.save(tmp_path / "m")
    assert GaussianCopula(random_state=1).fit(table, target=target).save(tmp_path / "m").is_dir()  # replaced


def test_save_leaves_nothing_half_written_on_failure(tmp_path, monkeypatch) -> None:
    import safetensors.numpy

    table, target = contract_table()
    gen = GaussianCopula(random_state=0).fit(table, target=target)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.numpy, "save_file", boom)
    with pytest.raises(OSError, match="disk full"):
        gen.save(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_neural_generators_refuse_tiny_inputs_with_a_clear_message() -> None:
    pytest.importorskip("torch")
    from tabaugment.generators import CTGAN, TVAE

    table, target = contract_table(n=12)
    for cls in (TVAE, CTGAN):
        with pytest.raises(DataError, match=r"needs at least 20 rows to fit; got 12. For smaller selections use"):
            cls(epochs=1).fit(table, target=target)


@pytest.mark.parametrize("name", ["tvae", "ctgan", "diffusion"])
def test_early_stopping_on_held_out_rows_and_history(name: str) -> None:
    pytest.importorskip("torch")
    table, target = contract_table(n=400)
    gen = get_class("generators", name)(epochs=200, early_stopping=True, patience=3, random_state=0).fit(
        table, target=target
    )
    assert 3 < len(gen.history_) < 200
    assert "held_out" in gen.history_[-1]
    again = get_class("generators", name)(epochs=200, early_stopping=True, patience=3, random_state=0).fit(
        table, target=target
    )
    assert gen.history_ == again.history_


def test_ctgan_conditions_on_any_category_exactly() -> None:
    pytest.importorskip("torch")
    from tabaugment.generators import CTGAN

    table, target = contract_table(n=300)
    gen = CTGAN(epochs=2, random_state=0).fit(table, target=target)
    rows = gen.sample(200, conditions={"city": "Pune", target: "bad"}, random_state=1)
    assert (rows["city"] == "Pune").all()
    assert (rows[target] == "bad").all()


def test_arf_follows_marginals_and_conditions() -> None:
    from tabaugment.generators import AdversarialRandomForest

    table, target = contract_table(n=1500)
    gen = AdversarialRandomForest(random_state=0).fit(table, target=target)
    rows = gen.sample(6000, random_state=1)
    for col in ("city", "plan", target):
        real = table[col].value_counts(normalize=True)
        fake = rows[col].value_counts(normalize=True)
        assert np.abs(real - fake.reindex(real.index, fill_value=0)).max() < 0.03, col
    assert rows["income"].isna().mean() == pytest.approx(table["income"].isna().mean(), abs=0.02)
    pune = gen.sample(300, conditions={"city": "Pune"}, random_state=2)
    assert (pune["city"] == "Pune").all()


def test_many_level_columns_are_grouped_not_exploded() -> None:
    from tabaugment.generators.neural._transform import TableTransformer

    rng = np.random.default_rng(0)
    codes = rng.zipf(1.3, size=(20_000, 1)) % 5000
    tf = TableTransformer(max_levels=100).fit(np.empty((20_000, 0)), codes.astype(np.int64), [5000])
    assert tf.output_dim_ <= 101
    _back_num, back = tf.inverse(tf.transform(np.empty((20_000, 0)), codes), np.random.default_rng(1))
    kept = np.isin(codes[:, 0], tf.keep_[0])
    assert (back[kept, 0] == codes[kept, 0]).all()  # frequent levels survive exactly
    assert np.isin(back[~kept, 0], tf.other_codes_[0]).all()  # rare ones come back as rare levels


def test_tabular_gpt_learns_a_dependency_and_every_row_parses() -> None:
    from tabaugment.generators import TabularGPT

    rng = np.random.default_rng(0)
    n = 400
    y = rng.choice(["no", "yes"], n)
    colour = np.where(
        y == "yes", rng.choice(["red", "blue"], n, p=[0.9, 0.1]), rng.choice(["red", "blue"], n, p=[0.1, 0.9])
    )
    amount = np.where(y == "yes", rng.normal(100, 5, n), rng.normal(20, 5, n)).round()
    table = pd.DataFrame({"colour": colour, "amount": amount, "y": y})
    gen = TabularGPT(epochs=40, d_model=32, n_layers=2, n_heads=2, early_stopping=False, random_state=0).fit(table, "y")
    rows = gen.sample(400, conditions={"y": "yes"}, random_state=1)
    assert (rows["y"] == "yes").all()
    assert set(rows["colour"]) <= {"red", "blue"}
    assert (rows["colour"] == "red").mean() > 0.75  # p(red | yes) = 0.9 in the data
    assert rows["amount"].median() > 80
    assert set(rows["amount"]) <= set(table["amount"])  # values come from the column's training values


def _rare_class_table(rare_share: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 600
    y = np.where(rng.random(n) < rare_share, "rare", "common")
    colour = np.where(y == "rare", "red", rng.choice(["red", "blue", "green"], n, p=[0.05, 0.5, 0.45]))
    return pd.DataFrame({"colour": colour, "size": rng.normal(0, 1, n).round(2), "y": y})


@pytest.mark.parametrize(("label_position", "rare_share", "chosen"), [("auto", 0.1, "last"), ("first", 0.1, "first")])
def test_tabular_gpt_fills_every_class_quota_exactly(label_position: str, rare_share: float, chosen: str) -> None:
    from tabaugment.generators import TabularGPT

    table = _rare_class_table(rare_share)
    small = {"d_model": 32, "n_layers": 2, "n_heads": 2, "early_stopping": False}
    gen = TabularGPT(epochs=30, label_position=label_position, random_state=0, **small).fit(table, "y")
    assert gen.label_position_ == chosen
    rows = gen.sample(500, random_state=1)
    counts, real = rows["y"].value_counts(), table["y"].value_counts()
    assert counts["rare"] == round(500 * real["rare"] / len(table)) and counts.sum() == 500  # training shares
    rare = gen.sample(200, conditions={"y": "rare"}, random_state=2)
    assert len(rare) == 200 and (rare["y"] == "rare").all() and (rare["colour"] == "red").mean() > 0.8
    common = gen.sample(200, conditions={"y": "common"}, random_state=2)
    assert (common["y"] == "common").all() and (common["colour"] == "red").mean() < 0.3
    pd.testing.assert_frame_equal(rows, gen.sample(500, random_state=1))  # same seed, same rows


def test_tabular_gpt_label_last_warns_when_a_class_stays_short(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tabaugment.exceptions import SamplingShortfallWarning
    from tabaugment.generators import TabularGPT

    table = _rare_class_table(0.02)
    small = {"d_model": 16, "n_layers": 1, "n_heads": 2, "early_stopping": False}
    assert TabularGPT(epochs=1, random_state=0, **small).fit(table, "y").label_position_ == "first"  # 2% < 5%
    gen = TabularGPT(epochs=2, label_position="last", random_state=0, **small).fit(table, "y")
    loaded = type(gen).load(gen.save(tmp_path / "gpt"))
    assert loaded.label_position_ == "last"
    pd.testing.assert_frame_equal(gen.sample(50, random_state=0), loaded.sample(50, random_state=0))
    # a model that never writes the rare label: the draws stop at their budget and say so
    common = int(gen.tokenizer_.offsets[0]) + gen.spec_.categories["y"].index("common")
    real_draw = gen._draw

    def only_common(n, label, torch_gen):
        out = real_draw(n, label, torch_gen)
        out[:, 0] = common
        return out

    monkeypatch.setattr(gen, "_draw", only_common)
    with pytest.warns(SamplingShortfallWarning, match=r"missing \{'rare': 10\} of 10 requested rows"):
        short = gen.sample(10, conditions={"y": "rare"}, random_state=0)
    assert len(short) == 0


def test_tabular_gpt_bins_keep_spikes_and_the_tail_apart() -> None:
    from tabaugment.generators.neural._tabular_gpt import _bin_edges

    rng = np.random.default_rng(0)
    # capital-gain-like: 87% zeros, a long tail of 200 distinct amounts, 3% at the 99,999 cap
    tail = rng.choice(np.arange(100, 100_000, 500), 1000)
    values = np.sort(np.r_[np.zeros(9000), tail, np.full(300, 99_999.0)])
    edges = _bin_edges(values, 32)
    bins = np.searchsorted(edges, values, side="right")
    assert (bins[values == 0] == 0).all() and (bins[values > 0] > 0).all()  # zero alone in its token
    spike = bins[values == 99_999]
    assert (np.searchsorted(edges, values[bins == spike[0]], side="right") == spike[0]).all()
    assert np.unique(values[bins == spike[0]]).tolist() == [99_999.0]  # the second spike too
    assert len(np.unique(bins[(values > 0) & (values < 99_999)])) >= 30  # the tail keeps its resolution
    few = np.sort(rng.integers(1, 17, 500).astype(float))
    assert len(np.unique(np.searchsorted(_bin_edges(few, 32), few, side="right"))) == 16  # one token per value
    assert _bin_edges(np.ones(10), 32).size == 0


def test_tabular_gpt_nucleus_keeps_the_likeliest_tokens() -> None:
    torch = pytest.importorskip("torch")
    from tabaugment.generators.neural._tabular_gpt import _nucleus

    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.97, 0.01, 0.01, 0.01]])
    kept = _nucleus(probs, 0.8)
    assert kept[0].tolist() == pytest.approx([0.5, 0.3, 0.0, 0.0])
    assert kept[1].tolist() == pytest.approx([0.97, 0.0, 0.0, 0.0])  # the top token always stays
    assert torch.equal(_nucleus(probs, 1.0), probs)


def test_tabular_gpt_perplexity_and_the_data_leakage_test() -> None:
    from tabaugment.evaluation.privacy import data_leakage_test
    from tabaugment.generators import TabularGPT

    table, target = contract_table()
    train = table.sample(frac=0.6, random_state=0)
    holdout = table.drop(train.index)
    small = {"d_model": 16, "n_layers": 2, "n_heads": 2, "dropout": 0.0, "early_stopping": False}
    barely = TabularGPT(epochs=1, random_state=0, **small).fit(train, target)
    trained = TabularGPT(epochs=60, random_state=0, **small).fit(train, target)
    # training makes the training rows more likely; perplexity is exp(mean cross-entropy) >= 1
    assert 1.0 <= trained.perplexity(train) < barely.perplexity(train)
    # a model that has seen 72 rows 60 times finds them far likelier than rows it never saw
    synthetic = trained.sample(100, random_state=0)
    result = data_leakage_test(trained, train, synthetic, holdout)
    assert result["holdout_minus_train"] > 1.0
    assert result["dlt"] == pytest.approx(result["ppl_train"] - result["ppl_synthetic"])
    with pytest.raises(ParameterError, match="needs a generator that scores rows"):
        data_leakage_test(RandomOversampling().fit(train, target), train, synthetic)


# ---------------------------------------------------------------------- the SMOTE family
def _two_blobs(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Class "p" in two groups: one far from class "n" (safe), one inside it (in danger)."""
    rng = np.random.default_rng(seed)
    safe = rng.normal([-6.0, 0.0], 0.5, (n // 3, 2))
    danger = rng.normal([0.0, 0.0], 1.0, (n // 3, 2))
    other = rng.normal([0.5, 0.0], 1.0, (2 * n, 2))
    X = np.vstack([safe, danger, other])
    y = np.array(["p"] * (2 * (n // 3)) + ["n"] * (2 * n), dtype=object)
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})


def _on_a_segment(rows: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Whether each row lies on a segment between two fitted rows (up to float error)."""
    a, b = fitted[:, None, :], fitted[None, :, :]
    d = b - a
    out = []
    for x in rows:
        lam = np.clip(np.sum((x - a) * d, axis=2) / np.maximum(np.sum(d * d, axis=2), 1e-300), 0, 1)
        gap = np.linalg.norm(a + lam[..., None] * d - x, axis=2)
        out.append(gap.min() < 1e-8)
    return np.array(out)


def test_borderline_smote_interpolates_only_from_rows_in_danger() -> None:
    from tabaugment.generators import BorderlineSMOTEGenerator

    table = _two_blobs()
    rows = BorderlineSMOTEGenerator(random_state=0).fit(table, "y").sample(200, conditions={"y": "p"}, random_state=1)
    assert len(rows) == 200 and (rows.y == "p").all()
    assert (rows.a > -3).all()  # never from the safe group at -6
    fitted = table[table.y == "p"][["a", "b"]].to_numpy()
    assert _on_a_segment(rows[["a", "b"]].to_numpy(), fitted).all()


@pytest.mark.parametrize("name", ["borderline_smote", "svm_smote", "adasyn", "kmeans_smote"])
@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 150), seed=st.integers(0, 1000))
def test_smote_variants_give_exactly_the_rows_asked_for(name: str, n: int, seed: int) -> None:
    cls = get_class("generators", name)
    params = {"n_clusters": 4} if name == "kmeans_smote" else {}
    gen = cls(random_state=seed, **params).fit(_two_blobs(seed=seed), "y")
    # the majority class "n" has no row in danger, nor support vectors left once noise is filtered
    for label in ("p",) if name in ("borderline_smote", "svm_smote") else ("p", "n"):
        rows = gen.sample(n, conditions={"y": label}, random_state=seed)
        assert len(rows) == n and (rows.y == label).all()
        assert rows.equals(gen.sample(n, conditions={"y": label}, random_state=seed))


@pytest.mark.parametrize("name", ["borderline_smote", "svm_smote", "adasyn", "kmeans_smote"])
def test_smote_variants_explain_what_they_cannot_do(name: str) -> None:
    cls = get_class("generators", name)
    table, target = contract_table()
    with pytest.raises(DataError, match=r"works on numerical columns only, and 'city' is categorical.*onehot"):
        cls(random_state=0).fit(table, target)
    one_class = _two_blobs()
    with pytest.raises(DataError, match=r"fitted on rows of one class \('p'\) only.*fit_on='all'"):
        cls(random_state=0).fit(one_class[one_class.y == "p"], "y")
    lonely = pd.concat([_two_blobs(), pd.DataFrame({"a": [9.0], "b": [9.0], "y": ["solo"]})], ignore_index=True)
    with pytest.raises(DataError, match=r"Class 'solo' has 1 fitted row\(s\)"):
        cls(random_state=0).fit(lonely, "y").sample(5, conditions={"y": "solo"})


def test_onehot_categories_come_from_the_rows_interpolated_between() -> None:
    from tabaugment.generators import ADASYNGenerator

    table = _two_blobs(seed=3)
    table["kind"] = np.where(table.a < -3, "far", np.where(table.y == "p", "near", "other")).astype(object)
    rows = (
        ADASYNGenerator(categorical="onehot", random_state=0)
        .fit(table, "y")
        .sample(300, conditions={"y": "p"}, random_state=2)
    )
    assert set(rows.kind) <= {"near", "far"}  # never a category class "p" does not have
