"""TabSyn's latent diffusion and CTAB-GAN+'s networks, losses and mixed-type encoder: oracles
for each piece (the contract suite in test_generators.py covers both generators as a whole)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment.exceptions import DataError
from tabaugment.generators.neural._transform import TableTransformer
from tabaugment.testing import contract_table

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------- mixed-type encoder
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    heavy=st.lists(st.sampled_from([0.0, -1.0, 2.5, 1e6]), min_size=1, max_size=3, unique=True),
    share=st.floats(0.1, 0.8),
    missing=st.floats(0, 0.2),
)
def test_point_masses_come_back_exactly(seed: int, heavy: list[float], share: float, missing: float) -> None:
    """Oracle: a value holding at least ``point_mass`` of a column is a mode of its own and
    the inverse returns it bit for bit; missing values stay missing; the rest come back as
    the mixture encodes them (alpha clipped at 0.99 of four standard deviations of the drawn
    mode cuts a few short)."""
    rng = np.random.default_rng(seed)
    n = 600
    col = rng.normal(50, 10, n)
    pick = rng.random(n) < share
    col[pick] = rng.choice(heavy, pick.sum())
    col[rng.random(n) < missing] = np.nan
    num = col[:, None]
    codes = np.zeros((n, 1), dtype=np.int64)
    tf = TableTransformer(point_mass=0.05, random_state=0).fit(num, codes, [1])
    present = col[~np.isnan(col)]
    values, counts = np.unique(present, return_counts=True)
    expected = np.sort(values[counts >= 0.05 * len(present)])
    np.testing.assert_array_equal(tf.points_[0], expected)
    encoded = tf.transform(num, codes, rng)
    back, _ = tf.inverse(encoded, rng)
    at_point = np.isin(col, expected)
    np.testing.assert_array_equal(back[at_point, 0], col[at_point])
    np.testing.assert_array_equal(np.isnan(back[:, 0]), np.isnan(col))
    # the others up to float error, except those whose alpha the clip at 0.99 cut short
    others = ~at_point & ~np.isnan(col)
    clipped = np.abs(encoded[:, tf.spans_[0].start]) >= np.float32(0.99)
    np.testing.assert_allclose(back[others & ~clipped, 0], col[others & ~clipped], rtol=1e-6, atol=1e-4)
    assert (others & clipped).sum() <= max(3, 0.2 * others.sum())
    state, arrays = tf.get_state()
    again = TableTransformer.from_state(state, arrays)
    np.testing.assert_array_equal(again.transform(num, codes), tf.transform(num, codes))


def test_without_point_mass_the_encoding_is_unchanged_and_old_files_load() -> None:
    rng = np.random.default_rng(0)
    num = np.where(rng.random((500, 2)) < 0.5, 0.0, rng.normal(3, 1, (500, 2)))
    codes = rng.integers(0, 3, (500, 1))
    tf = TableTransformer(random_state=0).fit(num, codes, [3])
    assert all(len(p) == 0 for p in tf.points_)
    state, arrays = tf.get_state()
    old = {k: v for k, v in arrays.items() if "/points/" not in k}  # a file saved before point masses
    state["params"].pop("point_mass")
    np.testing.assert_array_equal(
        TableTransformer.from_state(state, old).transform(num, codes), tf.transform(num, codes)
    )
    with_points = TableTransformer(point_mass=0.05, random_state=0).fit(num, codes, [3])
    assert [p.tolist() for p in with_points.points_] == [[0.0], [0.0]]  # one exact mode per column


# ---------------------------------------------------------------------- CTAB-GAN+
@pytest.mark.parametrize("side", [4, 8, 16, 24, 32, 48, 64])
def test_convolutional_networks_map_rows_to_images_and_back(side: int) -> None:
    from tabaugment.generators.neural._networks import CTABGANDiscriminator, CTABGANGenerator

    d = side * side - 3
    gen = CTABGANGenerator(20, d, side, 4)
    out = gen(torch.randn(5, 20))
    assert out.shape == (5, d)
    disc = CTABGANDiscriminator(d, side, 4)
    assert disc(out).shape == (5, 1)
    assert disc.features(out).shape[0] == 5


def test_a_table_too_wide_for_the_largest_image_is_refused() -> None:
    from tabaugment.generators import CTABGANPlus

    with pytest.raises(DataError, match=r"encodes to 20000.*use ctgan or tvae"):
        CTABGANPlus._side(20_000)
    assert CTABGANPlus._side(16) == 4 and CTABGANPlus._side(17) == 8 and CTABGANPlus._side(577) == 32


def _label_table(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """A table whose label is a clean function of ``x`` and whose ``gain`` is mostly exactly 0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    gain = np.where(rng.random(n) < 0.7, 0.0, rng.lognormal(8, 1, n))
    city = rng.choice(["Lagos", "Lima", "Oslo"], n)
    y = np.where(x > 0, "yes", "no")
    return pd.DataFrame({"x": x, "gain": gain, "city": city, "y": y}), "y"


def test_ctabgan_learns_the_label_and_keeps_point_masses_exact() -> None:
    """The auxiliary classifier learns the label from the real rows; the generator emits the
    mixed column's zero exactly (never a near-zero value the mixture would blur it into), and
    rows of each class. Thirty epochs on 400 rows leave the zero's share short of its real 0.7."""
    from tabaugment.generators import CTABGANPlus

    table, target = _label_table()
    gen = CTABGANPlus(epochs=30, channels=8, random_state=0).fit(table, target=target)
    assert 0.0 in gen.transformer_.points_[1]
    data = torch.as_tensor(gen.transformer_.transform(*gen.spec_.encode(table)))
    feats = data[:, torch.as_tensor(gen._feature_columns())]
    label = torch.as_tensor((table[target] == "yes").to_numpy().copy())
    slot_yes = gen.transformer_.category_slot(gen.label_index, gen.spec_.categories[target].index("yes"))
    with torch.no_grad():
        predicted = gen.modules_["classifier"](feats).argmax(dim=1) == slot_yes
    assert (predicted == label).float().mean() > 0.9
    rows = gen.sample(2000, random_state=1)
    gain = rows["gain"].to_numpy()
    assert (gain == 0.0).mean() > 0.2
    assert not ((gain != 0.0) & (np.abs(gain) < 1.0)).any()  # real non-zero gains are all above 1
    assert set(rows[target]) == {"yes", "no"}


@pytest.mark.parametrize("name", ["ctgan", "ctabgan_plus"])
def test_point_mass_is_an_exact_mode_of_both_gans(name: str) -> None:
    """With ``point_mass`` set, CTGAN and CTAB-GAN+ encode the mixed column's zero as a mode of
    its own and emit it exactly; without it (CTGAN's default) the zero is a value of the
    Gaussian mixture like any other."""
    from tabaugment._registry import get_class

    table, target = _label_table()
    cls = get_class("generators", name)
    params = {**cls._unit_test_params(), "epochs": 5, "random_state": 0}
    gen = cls(**params, point_mass=0.05).fit(table, target=target)
    assert gen.transformer_.points_[1].tolist() == [0.0]
    gain = gen.sample(1000, random_state=1)["gain"].to_numpy()
    assert not ((gain != 0.0) & (np.abs(gain) < 1.0)).any()  # real non-zero gains are all above 1
    if name == "ctgan":
        plain = cls(**params).fit(table, target=target)
        assert all(len(p) == 0 for p in plain.transformer_.points_)


def test_ctabgan_generator_loss_adds_information_and_classifier_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    """With both weights at zero the extra term is zero; with them on it is positive (each a
    distance or a cross-entropy), and it is what the weights say."""
    from tabaugment.generators import CTABGANPlus

    table, target = _label_table(n=200)
    seen: list[float] = []
    original = CTABGANPlus._extra_generator_loss

    def spy(self: Any, *args: Any) -> Any:
        value = original(self, *args)
        seen.append(float(torch.as_tensor(value).detach()))
        return value

    monkeypatch.setattr(CTABGANPlus, "_extra_generator_loss", spy)
    CTABGANPlus(epochs=1, channels=4, info_weight=0.0, classifier_weight=0.0, random_state=0).fit(table, target=target)
    assert seen and all(v == 0.0 for v in seen)
    seen.clear()
    CTABGANPlus(epochs=1, channels=4, random_state=0).fit(table, target=target)
    assert seen and all(v > 0.0 for v in seen)


# ---------------------------------------------------------------------- TabSyn
def test_edm_noise_levels_run_from_sigma_max_to_zero() -> None:
    from tabaugment.generators import TabSyn

    for k in (2, 3, 25, 50):
        levels = TabSyn(sample_steps=k)._noise_levels()
        assert len(levels) == k + 1 and levels[0] == pytest.approx(80.0) and levels[-2] == pytest.approx(0.002)
        assert levels[-1] == 0.0 and all(a > b for a, b in itertools.pairwise(levels))


def test_edm_preconditioning_is_the_identity_at_zero_noise_and_the_network_at_large_noise() -> None:
    from tabaugment.generators import TabSyn

    x = torch.randn(6, 3)
    y = torch.zeros(6, dtype=torch.long)
    out = torch.randn(6, 3)
    net = lambda *_: out  # noqa: E731
    small = TabSyn._denoise(net, x, torch.full((6, 1), 1e-8), y)
    torch.testing.assert_close(small, x, atol=1e-6, rtol=0)
    large = TabSyn._denoise(net, x, torch.full((6, 1), 1e4), y)  # c_skip -> 0, c_out -> sigma_data
    torch.testing.assert_close(large, 0.5 * out, atol=1e-3, rtol=0)


class _ExactGaussianDenoiser(torch.nn.Module):
    """Stands in for the latent denoiser: identity standardisation, no network."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.register_buffer("latent_mean", torch.zeros(d))
        self.register_buffer("latent_std", torch.ones(d))


@pytest.mark.parametrize(("steps", "spread_error"), [(10, 0.1), (25, 0.02), (50, 0.01)])
def test_heun_sampler_draws_the_latent_distribution_given_the_exact_denoiser(
    steps: int, spread_error: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle: for latents ~ N(m, s^2) the exact denoiser is E[x0 | x] = m + s^2 (x - m) /
    (s^2 + sigma^2); the probability-flow ODE solved by Heun's method must then turn the
    starting noise into rows with that mean and spread, the spread the closer the more steps
    (from sigma 80 down, 10 steps overshoot it by a quarter, 25 by 4%)."""
    from tabaugment.generators import TabSyn

    table, target = contract_table(n=120)
    gen = TabSyn(epochs=1, vae_epochs=1, sample_steps=steps, random_state=0).fit(table, target=target)
    d = gen._d_latent()
    m, s = 0.2, 0.3
    monkeypatch.setattr(
        TabSyn, "_denoise", staticmethod(lambda net, x, sigma, y: m + s**2 * (x - m) / (s**2 + sigma**2))
    )
    seen: dict[str, Any] = {}

    def decoder(latent: Any) -> Any:
        seen["latent"] = latent.reshape(len(latent), -1) * 0.5  # back to the standardised space
        return torch.zeros(len(latent), len(gen.quantiles_)), [torch.zeros(len(latent), k) for k in gen.cat_sizes_]

    gen.modules_ = {"denoiser": _ExactGaussianDenoiser(d), "decoder": decoder}
    gen._generate_rows(20_000, {gen.label_index: 0}, np.random.default_rng(0))
    z = seen["latent"].numpy()
    assert np.abs(z.mean(axis=0) - m).max() < 0.02
    assert np.abs(z.std(axis=0) - s).max() < spread_error


@settings(max_examples=200, deadline=None)
@given(
    losses=st.lists(st.floats(0, 10), min_size=1, max_size=80),
    patience=st.integers(1, 6),
    decay=st.floats(0.1, 0.9),
)
def test_kl_weight_follows_the_adaptive_schedule(losses: list[float], patience: int, decay: float) -> None:
    """Oracle, written out plainly: beta falls by ``decay`` exactly when ``patience`` epochs
    in a row brought no new best loss, never below beta_min, and never rises."""
    from tabaugment.generators.neural._tabsyn import AdaptiveBeta

    schedule = AdaptiveBeta(1e-2, 1e-4, decay, patience)
    beta, best, since = 1e-2, float("inf"), 0
    for loss in losses:
        if loss < best:
            best, since = loss, 0
        else:
            since += 1
            if since == patience:
                beta, since = max(beta * decay, 1e-4), 0
        assert schedule.update(loss) == pytest.approx(beta, rel=1e-12)


def test_tabsyn_vae_records_its_schedule_and_learns() -> None:
    from tabaugment.generators import TabSyn

    table, target = contract_table(n=200)
    gen = TabSyn(vae_epochs=30, epochs=1, random_state=0).fit(table, target=target)
    assert len(gen.vae_history_) == 30 and gen.vae_history_[0]["beta"] == 1e-2
    assert gen.vae_history_[-1]["recon"] < 0.7 * gen.vae_history_[0]["recon"]


def test_tabsyn_conditions_on_the_label_it_learned() -> None:
    """Rows sampled for each class carry the class's own feature distribution: the label is a
    condition of the latent diffusion, not a latent column to hope for."""
    from tabaugment.generators import TabSyn

    table, target = _label_table(n=600)
    gen = TabSyn(vae_epochs=40, epochs=60, early_stopping=False, random_state=0).fit(table, target=target)
    yes = gen.sample(500, conditions={target: "yes"}, random_state=1)
    no = gen.sample(500, conditions={target: "no"}, random_state=1)
    assert (yes[target] == "yes").all() and (no[target] == "no").all()
    assert (yes["x"] > 0).mean() > 0.8 and (no["x"] < 0).mean() > 0.8
