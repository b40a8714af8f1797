"""TabSyn (Zhang et al., ICLR 2024): score-based diffusion in the latent space of a VAE for mixed types.

Stage one is a VAE over the feature columns. Each column becomes a ``d_token``-dimensional
token (a number ``x`` as ``x w + b``, a category as its embedding plus a column bias); two
small transformer stacks map the tokens to each token's latent mean and log-variance, and a
third decodes latent tokens back (numbers by a dot product with per-column weights,
categories by per-column logits). The loss is the numbers' mean squared error plus the
categories' mean cross-entropy plus ``beta`` times the KL divergence per latent dimension
(the paper's scale: a sum over dimensions would weigh the KL term dozens of times more),
with ``beta`` starting at
``beta_max`` and multiplied by ``beta_decay`` whenever the reconstruction loss has not
improved for ``beta_patience`` epochs, down to ``beta_min`` (the paper's adaptive schedule).

Stage two is an EDM diffusion model (Karras et al. 2022) over the flattened latent means of
the training rows, standardised to ``sigma_data = 0.5``: the denoiser is preconditioned as in
EDM, noise levels are drawn log-normally (``P_mean = -1.2``, ``P_std = 1.2``) and sampling is
EDM's deterministic second-order (Heun) solver over ``sample_steps`` noise levels. The
denoiser also sees the label's embedding, so sampling for a class is exact: the label is
never a latent column to hope for. As in tabaugment's diffusion generator, numbers enter as
normal scores of their empirical quantiles, a missing number adds a "missing" flag column and
a missing category is a level of its own.

The paper trains on a GPU for thousands of epochs with 1,024-wide networks; the defaults here
are sized for a CPU (a 256-wide denoiser, 128 epochs of the VAE in batches of at most 128 rows,
early stopping on held-out rows for the diffusion model). At that size the VAE reconstructs
well and the latent diffusion is the weak stage: ``benchmarks/results/neural_training.json``
holds what the defaults reach on Adult.
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.generators.neural._diffusion import _Z_MAX, TabularDiffusion
from tabaugment.generators.neural._torch import TrainingLog, init_weights, torch_module
from tabaugment.params import NONE, Constraints, Interval, non_negative, positive

__all__ = ["AdaptiveBeta", "TabSyn"]

_SIGMA_DATA = 0.5
_P_MEAN, _P_STD = -1.2, 1.2
_SIGMA_MIN, _SIGMA_MAX, _RHO = 0.002, 80.0, 7.0


class AdaptiveBeta:
    """The KL weight of TabSyn's VAE: starts at ``beta_max``; after ``patience`` epochs in a
    row without a new best reconstruction loss it is multiplied by ``decay`` (never below
    ``beta_min``) and the wait starts again."""

    def __init__(self, beta_max: float, beta_min: float, decay: float, patience: int) -> None:
        self.beta, self.beta_min, self.decay, self.patience = float(beta_max), float(beta_min), float(decay), patience
        self.best, self.waited = math.inf, 0

    def update(self, recon: float) -> float:
        """Record an epoch's reconstruction loss; return the weight for the next epoch."""
        if recon < self.best:
            self.best, self.waited = recon, 0
            return self.beta
        self.waited += 1
        if self.waited >= self.patience:
            self.beta, self.waited = max(self.beta * self.decay, self.beta_min), 0
        return self.beta


class TabSyn(TabularDiffusion):
    """Latent score-based diffusion for tables (torch; the ``torch`` extra).

    Parameters
    ----------
    vae_epochs : passes of the VAE over the fitted rows.
    epochs : passes of the latent diffusion model over the fitted rows (at most; see early stopping).
    d_token, vae_layers, vae_hidden : token size (4 in the paper), transformer blocks in each
        stack (2) and their feed-forward width (128).
    beta_max, beta_min, beta_decay, beta_patience : the KL weight's adaptive schedule (1e-2,
        1e-5, 0.7, 10 epochs: the paper's).
    width : the denoiser's width (256, or 128 under 500 rows; 1,024 in the paper).
    sample_steps : noise levels of the Heun sampler (each costs two network calls; 50 in the paper).
    learning_rate, vae_learning_rate, weight_decay : Adam settings of the two stages.
    batch_size : rows per step of the diffusion stage; by default adapted to the data.
    vae_batch_size : rows per step of the VAE; by default the diffusion stage's, at most 128
        (on 5,000 Adult rows a 500-row batch left the VAE under-fitted after 128 epochs).
    early_stopping, check_every, patience : for the diffusion stage, as for
        :class:`~tabaugment.generators.TabularDiffusion` (held-out rows are left out of both stages).
    device, n_threads, random_state, progress : as for :class:`~tabaugment.generators.TVAE`.
    """

    name = "tabsyn"
    _modules: ClassVar[tuple[str, ...]] = ("decoder", "denoiser")
    _parameter_constraints: ClassVar[Constraints] = {
        "vae_epochs": [positive(numbers.Integral)],
        "d_token": [positive(numbers.Integral)],
        "vae_layers": [positive(numbers.Integral)],
        "vae_hidden": [positive(numbers.Integral)],
        "beta_max": [positive()],
        "beta_min": [positive()],
        "beta_decay": [Interval(numbers.Real, 0, 1, closed="neither")],
        "beta_patience": [positive(numbers.Integral)],
        "width": [NONE, positive(numbers.Integral)],
        "sample_steps": [Interval(numbers.Integral, 2, None)],
        "learning_rate": [positive()],
        "vae_learning_rate": [positive()],
        "weight_decay": [non_negative()],
        "vae_batch_size": [NONE, positive(numbers.Integral)],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1, "vae_epochs": 1, "sample_steps": 3}

    def __init__(
        self,
        *,
        vae_epochs: int = 128,
        epochs: int = 300,
        d_token: int = 4,
        vae_layers: int = 2,
        vae_hidden: int = 128,
        beta_max: float = 1e-2,
        beta_min: float = 1e-5,
        beta_decay: float = 0.7,
        beta_patience: int = 10,
        width: int | None = None,
        sample_steps: int = 25,
        learning_rate: float = 1e-3,
        vae_learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int | None = None,
        vae_batch_size: int | None = None,
        early_stopping: bool = True,
        check_every: int = 5,
        patience: int = 6,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.vae_epochs = vae_epochs
        self.epochs = epochs
        self.d_token = d_token
        self.vae_layers = vae_layers
        self.vae_hidden = vae_hidden
        self.beta_max = beta_max
        self.beta_min = beta_min
        self.beta_decay = beta_decay
        self.beta_patience = beta_patience
        self.width = width
        self.sample_steps = sample_steps
        self.learning_rate = learning_rate
        self.vae_learning_rate = vae_learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.vae_batch_size = vae_batch_size
        self.early_stopping = early_stopping
        self.check_every = check_every
        self.patience = patience
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------ model
    def _d_latent(self) -> int:
        return (len(self.quantiles_) + len(self.cat_sizes_)) * int(self.d_token)

    def _build_modules(self, seed: int, encoder: bool = False) -> dict[str, Any]:
        from tabaugment.generators.neural._networks import LatentDenoiser, TabSynDecoder, TabSynEncoder

        torch = torch_module()
        d_num, sizes = len(self.quantiles_), list(self.cat_sizes_)
        shape = (d_num, sizes, int(self.d_token), int(self.vae_layers), int(self.vae_hidden))
        width = self.width or (128 if self._n_fit < 500 else 256)
        gen = torch.Generator().manual_seed(seed)
        mods = {"decoder": TabSynDecoder(*shape), "denoiser": LatentDenoiser(self._d_latent(), self.n_labels_, width)}
        if encoder:
            mods["encoder"] = TabSynEncoder(*shape)
        for m in mods.values():
            init_weights(m, gen)
            for name, p in m.named_parameters():  # the tokens', the numbers' heads' and labels' weights
                if name.startswith(("num_", "cat_embedding", "cat_bias", "label")):
                    p.data.normal_(0, 1 / math.sqrt(int(self.d_token)), generator=gen)
        return mods

    # ------------------------------------------------------------------ training
    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        self._n_fit = len(codes)
        self._fit_encoding(num, codes)
        z, cats, labels = self._encode(num, codes)
        self.cat_seen_ = [np.bincount(c, minlength=k) > 0 for c, k in zip(cats, self.cat_sizes_)]
        train_idx, hold_idx = self._holdout(len(z), seed)
        monitor = self._fidelity_monitor(num, codes, hold_idx, seed + 2)
        mods = self._build_modules(seed, encoder=True)
        for m in mods.values():
            m.to(self.device_)
        x_num = torch.as_tensor(z, dtype=torch.float32)
        x_cat = torch.as_tensor(np.stack(cats, axis=1) if cats else np.zeros((len(z), 0), dtype=np.int64))
        gen = torch.Generator().manual_seed(seed + 1)
        tr = torch.as_tensor(train_idx)
        self.vae_history_ = self._train_vae(torch, mods, x_num, x_cat, tr, gen)
        enc = mods.pop("encoder").eval()
        with torch.no_grad():  # the latent means of the training rows, in batches
            parts = [tr[i : i + 2048] for i in range(0, len(tr), 2048)]
            latents = torch.cat([enc(x_num[i].to(self.device_), x_cat[i].to(self.device_))[0].cpu() for i in parts])
        latents = latents.flatten(1)
        net = mods["denoiser"]
        net.latent_mean.copy_(latents.mean(dim=0))
        net.latent_std.copy_(latents.std(dim=0).clamp_min(1e-6) if len(latents) > 1 else torch.ones(latents.shape[1]))
        target = (latents - net.latent_mean) / net.latent_std * _SIGMA_DATA
        y = torch.as_tensor(labels)[tr]
        self.history_ = self._train_denoiser(torch, mods, target, y, monitor, gen)
        for m in mods.values():
            m.eval()
        self.modules_ = mods

    def _train_vae(self, torch: Any, mods: dict[str, Any], x_num: Any, x_cat: Any, tr: Any, gen: Any) -> list[Any]:
        F = torch.nn.functional
        enc, dec = mods["encoder"], mods["decoder"]
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=self.vae_learning_rate)
        batch = min(self.vae_batch_size or min(self._batch(len(tr)), 128), len(tr))
        log = TrainingLog(self.vae_epochs, progress=self.progress, desc="TabSyn VAE", patience=None)
        schedule = AdaptiveBeta(self.beta_max, self.beta_min, self.beta_decay, self.beta_patience)
        beta = schedule.beta
        for epoch in range(self.vae_epochs):
            enc.train()
            dec.train()
            perm = tr[torch.randperm(len(tr), generator=gen)]
            recon_total, kl_total, steps = 0.0, 0.0, 0
            for lo in range(0, len(perm), batch):
                idx = perm[lo : lo + batch]
                xn, xc = x_num[idx].to(self.device_), x_cat[idx].to(self.device_)
                mu, logvar = enc(xn, xc)
                eps = torch.randn(mu.shape, generator=gen).to(self.device_)
                num_out, cat_out = dec(mu + eps * (0.5 * logvar).exp())
                # the paper's scale: the numbers' mean squared error, the categories' mean
                # cross-entropy and the KL divergence per latent dimension
                recon = F.mse_loss(num_out, xn) if xn.shape[1] else mu.sum() * 0
                if cat_out:
                    recon = recon + sum(F.cross_entropy(lg, xc[:, i]) for i, lg in enumerate(cat_out)) / len(cat_out)
                kl = -0.5 * (1 + logvar - mu.square() - logvar.exp()).mean()
                loss = recon + beta * kl
                opt.zero_grad()
                loss.backward()
                opt.step()
                recon_total += recon.item()
                kl_total += kl.item()
                steps += 1
            recon_mean = recon_total / max(steps, 1)
            log.step(epoch, {"recon": recon_mean, "kl": kl_total / max(steps, 1), "beta": beta}, None, lambda: None)
            beta = schedule.update(recon_mean)
        log.close()
        return log.history

    def _train_denoiser(
        self, torch: Any, mods: dict[str, Any], target: Any, y: Any, monitor: Any, gen: Any
    ) -> list[Any]:
        net = mods["denoiser"]
        opt = torch.optim.Adam(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        batch = self._batch(len(target))
        log = TrainingLog(
            self.epochs, progress=self.progress, desc="TabSyn diffusion", patience=self.patience if monitor else None
        )
        best: dict[str, Any] = {}

        def snapshot() -> None:
            best["state"] = {k: v.detach().clone() for k, v in net.state_dict().items()}

        for epoch in range(self.epochs):
            net.train()
            perm = torch.randperm(len(target), generator=gen)
            total, steps = 0.0, 0
            for lo in range(0, len(perm), batch):
                idx = perm[lo : lo + batch]
                x0 = target[idx].to(self.device_)
                sigma = (torch.randn((len(idx), 1), generator=gen) * _P_STD + _P_MEAN).exp().to(self.device_)
                noisy = x0 + sigma * torch.randn(x0.shape, generator=gen).to(self.device_)
                weight = (sigma**2 + _SIGMA_DATA**2) / (sigma * _SIGMA_DATA) ** 2
                loss = (weight * (self._denoise(net, noisy, sigma, y[idx].to(self.device_)) - x0).square()).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
                steps += 1
            held = self._held_out_check(monitor, mods, epoch)
            if log.step(epoch, {"loss": total / max(steps, 1)}, held, snapshot):
                break
        log.close()
        if best:
            net.load_state_dict(best["state"])
        return log.history

    @staticmethod
    def _denoise(net: Any, x: Any, sigma: Any, y: Any) -> Any:
        """EDM's preconditioned denoiser D(x; sigma): the clean latent it estimates."""
        s2 = sigma**2 + _SIGMA_DATA**2
        c_skip, c_out, c_in = _SIGMA_DATA**2 / s2, sigma * _SIGMA_DATA / s2.sqrt(), 1 / s2.sqrt()
        return c_skip * x + c_out * net(c_in * x, sigma.log().flatten() / 4, y)

    # ------------------------------------------------------------------ sampling
    def _noise_levels(self) -> np.ndarray:
        """EDM's noise levels, from ``sigma_max`` down to ``sigma_min``, then 0."""
        k = int(self.sample_steps or 2)  # never None here: the constraint asks for an int >= 2
        ramp = np.linspace(0, 1, k)
        hi, lo = _SIGMA_MAX ** (1 / _RHO), _SIGMA_MIN ** (1 / _RHO)
        return np.append((hi + ramp * (lo - hi)) ** _RHO, 0.0)

    def _generate_rows(
        self, n: int, conditions: dict[int, int], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        torch = torch_module()
        gen = self._torch_generator(rng)
        net, dec = self.modules_["denoiser"], self.modules_["decoder"]
        y = torch.full((n,), int(conditions[self.label_index]), dtype=torch.long).to(self.device_)
        levels = self._noise_levels()
        with torch.no_grad():
            x = torch.randn((n, net.latent_mean.shape[0]), generator=gen).to(self.device_) * float(levels[0])
            for s, s_next in itertools.pairwise(levels):  # Heun's method on the probability-flow ODE
                sig = torch.full((n, 1), float(s), device=self.device_)
                d = (x - self._denoise(net, x, sig, y)) / float(s)
                x_next = x + (float(s_next) - float(s)) * d
                if s_next > 0:
                    sig_next = torch.full((n, 1), float(s_next), device=self.device_)
                    d_next = (x_next - self._denoise(net, x_next, sig_next, y)) / float(s_next)
                    x_next = x + (float(s_next) - float(s)) * (d + d_next) / 2
                x = x_next
            latent = x / _SIGMA_DATA * net.latent_std + net.latent_mean
            num_out, cat_out = dec(latent.reshape(n, -1, int(self.d_token)))
        z = num_out.cpu().clamp(-_Z_MAX, _Z_MAX).numpy()
        cats = [
            logits.cpu().masked_fill(~torch.as_tensor(seen), -torch.inf).argmax(dim=1).numpy()
            for logits, seen in zip(cat_out, self.cat_seen_)
        ]
        return self._decode_rows(z, cats, n)

    def _extra_state(self) -> dict[str, Any]:
        return {**super()._extra_state(), "vae_history": self.vae_history_}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        super()._load_extra_state(state)
        self.vae_history_ = state["vae_history"]
