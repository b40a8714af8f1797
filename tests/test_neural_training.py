"""Early stopping of the neural generators on held-out rows, and diffusion's few-step sampler."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment._registry import get_class
from tabaugment.exceptions import ParameterError
from tabaugment.generators.neural._base import HeldOutFidelity
from tabaugment.testing import contract_table

torch = pytest.importorskip("torch")


class _FixedRows:
    """A stand-in model whose ``_sample`` returns given rows (for the distance's oracles)."""

    def __init__(self, levels: list[int], label_index: int, num: np.ndarray, codes: np.ndarray) -> None:
        names = [f"c{j}" for j in range(len(levels))]
        self.spec_ = SimpleNamespace(categorical=names, categories={n: list(range(k)) for n, k in zip(names, levels)})
        self.label_index = label_index
        self.rows = (num, codes)

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        num, codes = self.rows  # repeated to the n rows asked for (the same distribution)
        take = np.arange(n) % len(codes)
        return num[take], codes[take]


def _brute_tvd(a: list[tuple[int, ...]], b: list[tuple[int, ...]]) -> float:
    ca, cb = Counter(a), Counter(b)
    return 0.5 * sum(abs(ca[k] / len(a) - cb[k] / len(b)) for k in set(ca) | set(cb))


@settings(max_examples=40, deadline=None)
@given(
    levels=st.lists(st.integers(2, 4), min_size=2, max_size=4),
    seed=st.integers(0, 10_000),
    shift=st.floats(0, 1),
)
def test_fidelity_is_the_mean_of_marginal_and_pairwise_tvd(levels: list[int], seed: int, shift: float) -> None:
    """Oracle: on categorical columns (missing codes included) the fidelity term equals
    total variation distances counted row by row."""
    rng = np.random.default_rng(seed)
    real = np.stack([rng.integers(-1, k, 1000) for k in levels], axis=1)
    fake = np.stack([np.where(rng.random(1000) < shift, rng.integers(-1, k, 1000), real[:, j])
                     for j, k in enumerate(levels)], axis=1)  # fmt: skip
    empty = np.zeros((1000, 0))
    monitor = HeldOutFidelity(_FixedRows(levels, 0, empty, fake), empty, real, seed=0)  # type: ignore[arg-type]
    got = monitor.fidelity(monitor._bin(empty, fake))
    d = len(levels)
    marg = np.mean([_brute_tvd([(v,) for v in real[:, j]], [(v,) for v in fake[:, j]]) for j in range(d)])
    pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
    pair = np.mean([_brute_tvd(list(map(tuple, real[:, p])), list(map(tuple, fake[:, p]))) for p in pairs])
    assert got == pytest.approx((marg + pair) / 2, abs=1e-12)
    assert 0 <= got <= 1


def test_distance_is_zero_for_the_held_out_rows_themselves_and_grows_with_damage() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    x = rng.normal(size=(n, 2))
    x[rng.random(n) < 0.1, 1] = np.nan
    colour = rng.integers(0, 3, n)
    label = ((x[:, 0] + (colour == 2)) > 0.3).astype(np.int64)  # the label depends on the features
    codes = np.stack([colour, label], axis=1)
    same = HeldOutFidelity(_FixedRows([3, 2], 1, x, codes), x, codes, seed=0)  # type: ignore[arg-type]
    assert same.fidelity(same._bin(x, codes)) == 0
    assert same.utility(same._bin(x, codes)) > 0.85
    assert same.distance({}) == pytest.approx(1 - same.utility(same._bin(x, codes)), abs=0.01)
    shuffled = codes.copy()
    shuffled[:, 1] = rng.permutation(label)  # same marginals, no dependence: only utility drops
    lost = HeldOutFidelity(_FixedRows([3, 2], 1, x, shuffled), x, codes, seed=0)  # type: ignore[arg-type]
    assert lost.fidelity(lost._bin(x, shuffled)) < 0.1
    assert abs(lost.utility(lost._bin(x, shuffled)) - 0.5) < 0.1  # noise fitted on 1,000 rows
    assert lost.distance({}) > same.distance({}) + 0.25
    moved = HeldOutFidelity(_FixedRows([3, 2], 1, x + 5, codes), x, codes, seed=0)  # type: ignore[arg-type]
    assert moved.fidelity(moved._bin(x + 5, codes)) > 0.4  # every number above the deciles: marginals far off
    one_class = codes.copy()
    one_class[:, 1] = 0
    blind = HeldOutFidelity(_FixedRows([3, 2], 1, x, one_class), x, codes, seed=0)  # type: ignore[arg-type]
    assert blind.utility(blind._bin(x, one_class)) == 0.5


def test_utility_over_several_classes_is_the_macro_one_vs_rest_auc() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(1)
    colour = rng.integers(0, 4, 1000)
    label = np.where(rng.random(1000) < 0.7, colour % 3, rng.integers(0, 3, 1000))
    codes = np.stack([colour, label], axis=1)
    empty = np.zeros((1000, 0))
    monitor = HeldOutFidelity(_FixedRows([4, 3], 1, empty, codes), empty, codes, seed=0)  # type: ignore[arg-type]
    enc = OneHotEncoder(categories=[np.arange(5)])
    clf = LogisticRegression(max_iter=300).fit(enc.fit_transform(colour[:, None]), label)
    expected = roc_auc_score(label, clf.predict_proba(enc.transform(colour[:, None])), multi_class="ovr")
    assert monitor.utility(monitor._bin(empty, codes)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("tvae", {}),
        ("ctgan", {}),
        ("diffusion", {}),
        ("tabsyn", {"vae_epochs": 5}),
        ("ctabgan_plus", {"channels": 4, "classifier_width": 16}),
    ],
)
def test_early_stopping_stops_and_keeps_the_weights_of_the_best_check(
    name: str, extra: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Early stopping stops on a few hundred rows, and the weights it keeps are those that
    scored best: the checks' distances are recorded with a copy of the weights at each check."""
    table, target = contract_table(n=300)
    checks: list[tuple[float, dict[str, Any]]] = []
    measure = HeldOutFidelity.distance

    def recorded(self: HeldOutFidelity, modules: dict[str, Any]) -> float:
        value = measure(self, modules)
        checks.append((value, {k: {p: v.clone() for p, v in m.state_dict().items()} for k, m in modules.items()}))
        return value

    monkeypatch.setattr(HeldOutFidelity, "distance", recorded)
    cls = get_class("generators", name)
    gans = ("ctgan", "ctabgan_plus")
    assert cls().early_stopping is (name not in gans)  # a GAN's rows get worse before better: off
    gen = cls(epochs=400, early_stopping=True, check_every=2, patience=3, random_state=0, **extra)
    gen.fit(table, target=target)
    assert len(gen.history_) < 400  # stopped early
    held = [h["held_out"] for h in gen.history_ if "held_out" in h]
    assert held == [c[0] for c in checks] and len(held) == len(gen.history_) // 2
    best = int(np.argmin(held))
    assert len(held) - 1 - best == 3  # three checks without improvement, then the stop
    kept = ["generator"] if name in gans else list(gen.modules_)  # a GAN keeps the best generator
    for k in kept:
        for p, v in gen.modules_[k].state_dict().items():
            assert torch.equal(v, checks[best][1][k][p]), (k, p)


def test_no_early_stopping_trains_every_epoch_on_every_row() -> None:
    table, target = contract_table(n=300)
    gen = get_class("generators", "tvae")(epochs=7, early_stopping=False, random_state=0).fit(table, target=target)
    assert len(gen.history_) == 7 and not any("held_out" in h for h in gen.history_)


# ---------------------------------------------------------------------- diffusion's sampler
def _fitted_diffusion(**params: Any) -> Any:
    table, target = contract_table(n=200)
    return get_class("generators", "diffusion")(epochs=1, steps=50, random_state=0, **params).fit(table, target=target)


@pytest.mark.parametrize(("steps", "sample_steps"), [(50, None), (50, 50), (50, 20), (50, 2), (100, 7), (3, 10)])
def test_sampling_steps_are_evenly_spaced_from_the_noisiest_to_zero(steps: int, sample_steps: int | None) -> None:
    gen = get_class("generators", "diffusion")(steps=steps, sample_steps=sample_steps)
    visit = gen._sampling_steps()
    k = steps if sample_steps is None else min(sample_steps, steps)
    assert visit[0] == steps - 1 and visit[-1] == 0 and len(visit) == k
    assert all(a > b for a, b in itertools.pairwise(visit))
    gaps = np.diff(visit[::-1])
    assert gaps.max() - gaps.min() <= 1


def test_the_network_runs_once_per_sampling_step_and_seeds_reproduce() -> None:
    gen = _fitted_diffusion(sample_steps=8)
    calls = []
    hook = gen.modules_["denoiser"].register_forward_hook(lambda *_: calls.append(1))
    rows = gen.sample(30, random_state=5)
    hook.remove()
    assert len(calls) == 8 * len(gen.class_counts_)  # one batch per class here
    assert rows.equals(gen.sample(30, random_state=5))
    full = gen.set_params(sample_steps=None).sample(30, random_state=5)
    assert full.equals(gen.set_params(sample_steps=50).sample(30, random_state=5))  # every step: the same chain


@pytest.mark.parametrize(
    "bad", [{"sample_steps": 1}, {"sample_steps": 0}, {"eta": 1.5}, {"eta": -0.1}, {"check_every": 0}]
)
def test_bad_sampler_and_check_settings_raise(bad: dict[str, Any]) -> None:
    table, target = contract_table(n=200)
    with pytest.raises(ParameterError, match=next(iter(bad))):
        get_class("generators", "diffusion")(epochs=1, **bad).fit(table, target=target)


class _ExactGaussianNoise(torch.nn.Module):
    """The exact noise predictor for numbers ~ N(m, s^2) in the model's normal scores, and
    uniform category logits: what a perfectly trained denoiser outputs for such data."""

    def __init__(self, abar: np.ndarray, d_num: int, d_cat: int, m: float, s: float) -> None:
        super().__init__()
        self.abar, self.d_num, self.d_cat, self.m, self.s = torch.as_tensor(abar), d_num, d_cat, m, s

    def forward(self, x: Any, t: Any, y: Any) -> Any:
        a = self.abar[t].float()[:, None]
        z = x[:, : self.d_num]
        eps = torch.sqrt(1 - a) * (z - torch.sqrt(a) * self.m) / (a * self.s**2 + 1 - a)
        return torch.cat([eps, torch.zeros((len(x), self.d_cat))], dim=1)


@pytest.mark.parametrize(("sample_steps", "eta"), [(None, 1.0), (20, 1.0), (20, 0.0), (5, 1.0), (5, 0.0)])
def test_sampler_draws_the_data_distribution_given_the_exact_noise_predictor(
    sample_steps: int | None, eta: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: for Gaussian data the exact noise predictor is known in closed form; any step
    count and eta must then give rows with that mean and spread, and uniform categories."""
    from tabaugment.generators.neural import _diffusion

    gen = _fitted_diffusion(sample_steps=sample_steps, eta=eta)
    d_num = len(gen.quantiles_)
    m, s = 0.4, 0.6
    gen.modules_ = {
        "denoiser": _ExactGaussianNoise(_diffusion._cosine_abar(gen.steps), d_num, sum(gen.cat_sizes_), m, s)
    }
    seen: dict[str, Any] = {}

    def keep(z: np.ndarray, cats: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
        seen["z"], seen["cats"] = z, cats
        return np.zeros((n, d_num)), np.zeros((n, len(gen.spec_.categorical)), dtype=np.int64)

    monkeypatch.setattr(gen, "_decode_rows", keep)
    gen._generate_rows(20_000, {gen.label_index: 0}, np.random.default_rng(0))
    z = seen["z"]
    assert np.abs(z.mean(axis=0) - m).max() < 0.03
    # without the spread added back, 20 steps gave 0.52 and 5 steps 0.38-0.43 instead of 0.6
    assert np.abs(z.std(axis=0) - s).max() < 0.01
    for cats, allowed in zip(seen["cats"], gen.cat_seen_):
        freq = np.bincount(cats, minlength=len(allowed)) / len(cats)
        assert np.all(freq[~np.asarray(allowed)] == 0)
        assert np.abs(freq[np.asarray(allowed)] - 1 / np.sum(allowed)).max() < 0.02
    assert math.isfinite(float(z.sum()))


# ---------------------------------------------------------------------- CTGAN's free sampling
@pytest.fixture(scope="module")
def three_class_ctgan() -> tuple[Any, Any, str]:
    from tabaugment.generators import CTGAN

    table, target = contract_table(300, n_classes=3)
    return CTGAN(epochs=2, random_state=0).fit(table, target=target), table, target


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 700), seed=st.integers(0, 1000))
def test_free_sampling_keeps_each_class_share_exactly(three_class_ctgan: Any, n: int, seed: int) -> None:
    """Rows drawn by columns are kept per class as the generator labels them, so each class
    gets exactly its share of the rows (as conditioning on the label would give), the same
    seed gives the same rows, and the label is the generator's, never overwritten."""
    from tabaugment.generators.base import allocate

    gen, _, target = three_class_ctgan
    rows = gen.sample(n, random_state=seed)
    counts = rows[target].value_counts()
    want = allocate(n, gen.class_counts_)
    assert {gen.spec_.categories[target][c]: int(k) for c, k in enumerate(want) if k} == counts.to_dict()
    pd.testing.assert_frame_equal(rows, gen.sample(n, random_state=seed))


def test_free_sampling_draws_by_columns_and_label_sampling_conditions_every_row(
    three_class_ctgan: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``"columns"`` draws through conditions on every categorical column; ``"label"`` and any
    sampling with conditions condition on the label only (the path before free sampling)."""
    gen, table, target = three_class_ctgan
    calls: list[np.ndarray] = []
    free = type(gen)._generate_free

    def spy(self: Any, n: int, rng: np.random.Generator) -> np.ndarray:
        out = free(self, n, rng)
        calls.append(out)
        return out

    monkeypatch.setattr(type(gen), "_generate_free", spy)
    gen.sample(400, random_state=0)
    assert calls
    chosen = np.concatenate(calls)
    spans = gen.cond_spans_
    assert all(chosen[:, s.start : s.start + s.width].sum(axis=1).min() == 1 for s in spans)  # one-hot blocks
    calls.clear()
    gen.sample(50, conditions={target: table[target].iloc[0]}, random_state=0)
    gen.set_params(free_sampling="label")
    try:
        gen.sample(50, random_state=0)
    finally:
        gen.set_params(free_sampling="columns")
    assert not calls


def test_free_sampling_frequencies_round_trip_and_old_or_damaged_files(three_class_ctgan: Any, tmp_path: Any) -> None:
    import json

    from tabaugment.exceptions import ModelFileError
    from tabaugment.generators import CTGAN

    gen, _, _ = three_class_ctgan
    path = gen.save(tmp_path / "m")
    again = CTGAN.load(path)
    for a, b in zip(again.slot_freq_, gen.slot_freq_, strict=True):
        np.testing.assert_array_equal(a, b)
    config = json.loads((path / "config.json").read_text())
    state = config if "slot_freq" in config else next(v for v in _dicts(config) if "slot_freq" in v)
    freq = state.pop("slot_freq")
    (path / "config.json").write_text(json.dumps(config))
    old = CTGAN.load(path)  # saved before free sampling: conditions on the label, as it did then
    assert old.slot_freq_ == [] and len(old.sample(30, random_state=0)) == 30
    state["slot_freq"] = [[2.0, -1.0, *f[2:]] for f in freq]
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="slot_freq"):
        CTGAN.load(path)
    small, target = contract_table(60)
    with pytest.raises(ParameterError, match="free_sampling"):
        CTGAN(free_sampling="rows").fit(small, target=target)


def _dicts(value: Any) -> Any:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _dicts(v)
