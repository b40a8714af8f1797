"""Tabular diffusion in the TabDDPM style (Kotelnikov et al., ICML 2023), conditioned on the label.

Numerical columns are mapped to standard-normal scores by their empirical quantiles and
diffused with Gaussian noise (x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, cosine
schedule). Categorical columns (a missing number adds a "missing" flag column) are diffused
by multinomial noise (Hoogeboom et al. 2021): q(x_t | x_0) = Cat(abar_t x_0 + (1 - abar_t)/K).
One MLP sees the noisy row, a timestep embedding and the label embedding; it predicts the
Gaussian noise and the clean categories (x_0 logits). Training loss: noise MSE plus the
categories' cross-entropy (the x_0-prediction form of the multinomial loss). Sampling runs the
reverse chain for the requested label, so class conditioning is exact.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.generators.neural._base import NeuralGenerator
from tabaugment.generators.neural._torch import TrainingLog, init_weights, torch_module
from tabaugment.params import NONE, Constraints, Interval, non_negative, positive

__all__ = ["TabularDiffusion"]


def _cosine_abar(steps: int) -> np.ndarray:
    s = 0.008
    t = np.arange(steps + 1) / steps
    f = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    betas = np.clip(1 - abar[1:] / abar[:-1], 1e-5, 0.999)
    return np.cumprod(1 - betas)


_Z_MAX = 4.0  # numbers are encoded as normal scores within +-3.72 (quantiles clipped at 1e-4)


def _draw(torch: Any, log_probs: Any, gen: Any) -> Any:
    """One category per row from unnormalised log-probabilities (Gumbel-max, seeded)."""
    u = torch.rand(log_probs.shape, generator=gen).clamp(1e-12, 1 - 1e-12)
    return (log_probs - torch.log(-torch.log(u))).argmax(dim=1)


class TabularDiffusion(NeuralGenerator):
    """TabDDPM-style diffusion generator (torch; the ``torch`` extra).

    Parameters
    ----------
    steps : diffusion steps in training (100; TabDDPM uses 1000, slower to sample on CPU).
    sample_steps : steps when sampling (10), an evenly spaced subset of the training steps
        (DDIM: Song et al. 2021; for the categories, the multinomial posterior across the
        skipped steps). ``None`` samples with every step. Each step adds back the spread of the
        clean numbers around the network's mean (Analytic-DPM: Bao et al. 2022), which large
        steps otherwise lose; on Adult 10 steps gave about 9x the rows per CPU-second of all 100
        at equal quality (``benchmarks/neural_training.py``).
    eta : share of the numeric noise drawn as in DDPM: 1 draws from the posterior
        q(x_prev | x_t, x0) at each kept step, 0 takes DDIM's deterministic move (only the
        spread added back stays random).
    width : MLP width (256, or 128 under 500 rows).
    learning_rate, weight_decay : AdamW settings.
    early_stopping, check_every, patience : hold out 10% of the rows (from 100 rows on); every
        ``check_every`` epochs sample rows (with ``sample_steps``) and score them against the
        held-out rows (binned column and column-pair fidelity plus ``1 -`` the held-out ROC-AUC
        of a logistic regression trained on them: ``HeldOutFidelity``); stop when that has not
        improved for ``patience`` checks and keep the best weights. On Adult (5,000 rows) it
        stopped after 65 and 90 of 200 epochs at less than half the CPU
        (``benchmarks/neural_training.py``).
    device, n_threads, random_state, progress : as for :class:`~tabaugment.generators.TVAE`.
    """

    name = "diffusion"
    _modules: ClassVar[tuple[str, ...]] = ("denoiser",)
    uses_transformer = False
    _parameter_constraints: ClassVar[Constraints] = {
        "steps": [Interval(numbers.Integral, 2, None)],
        "sample_steps": [NONE, Interval(numbers.Integral, 2, None)],
        "eta": [Interval(numbers.Real, 0, 1, closed="both")],
        "width": [NONE, positive(numbers.Integral)],
        "learning_rate": [positive()],
        "weight_decay": [non_negative()],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1, "steps": 5}

    def __init__(
        self,
        *,
        steps: int = 100,
        sample_steps: int | None = 10,
        eta: float = 1.0,
        epochs: int = 200,
        batch_size: int | None = None,
        width: int | None = None,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        early_stopping: bool = True,
        check_every: int = 5,
        patience: int = 6,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.steps = steps
        self.sample_steps = sample_steps
        self.eta = eta
        self.epochs = epochs
        self.batch_size = batch_size
        self.width = width
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress
        self.early_stopping = early_stopping
        self.patience = patience
        self.check_every = check_every

    # ------------------------------------------------------------------ encoding
    def _encode(self, num: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        from scipy import special

        t = self.label_index
        z = np.empty_like(num)
        for j in range(num.shape[1]):
            col = num[:, j]
            grid = self.quantiles_[j]
            probs = np.linspace(0, 1, len(grid))
            u = np.interp(np.where(np.isnan(col), np.nanmedian(grid), col), grid, probs)
            z[:, j] = special.ndtri(np.clip(u, 1e-4, 1 - 1e-4))
        feat = [j for j in range(codes.shape[1]) if j != t]
        cats = [codes[:, j] + 1 if self.cat_missing_[i] else codes[:, j] for i, j in enumerate(feat)]  # 0 = missing
        cats += [np.isnan(num[:, j]).astype(np.int64) for j in self.nan_cols_]
        return z, cats, codes[:, t]

    def _fit_encoding(self, num: np.ndarray, codes: np.ndarray) -> None:
        self.quantiles_ = [
            np.nanquantile(num[:, j], np.linspace(0, 1, 1001)) if np.isfinite(num[:, j]).any() else np.zeros(1001)
            for j in range(num.shape[1])
        ]
        self.nan_cols_ = [j for j in range(num.shape[1]) if np.isnan(num[:, j]).any()]
        t = self.label_index
        feat = [j for j in range(codes.shape[1]) if j != t]
        self.cat_missing_ = [bool((codes[:, j] < 0).any()) for j in feat]  # a "missing" level only if seen
        self.cat_sizes_ = [
            len(self.spec_.categories[self.spec_.categorical[j]]) + int(m) for j, m in zip(feat, self.cat_missing_)
        ]
        self.cat_sizes_ += [2] * len(self.nan_cols_)
        self.n_labels_ = len(self.spec_.categories[self.spec_.categorical[t]])

    # ------------------------------------------------------------------ model
    def _build_modules(self, seed: int) -> dict[str, Any]:
        from tabaugment.generators.neural._networks import Denoiser

        torch = torch_module()
        width = self.width or (128 if self._n_fit < 500 else 256)
        gen = torch.Generator().manual_seed(seed)
        mods = {"denoiser": Denoiser(len(self.quantiles_), sum(self.cat_sizes_), self.n_labels_, width)}
        init_weights(mods["denoiser"], gen)
        with torch.no_grad():
            mods["denoiser"].label.weight.normal_(0, 1, generator=gen)
        return mods

    def _onehot(self, torch: Any, cats: list[Any]) -> Any:
        return (
            torch.cat([torch.nn.functional.one_hot(c, k).float() for c, k in zip(cats, self.cat_sizes_)], dim=1)
            if cats
            else None
        )

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        self._n_fit = len(codes)
        self._fit_encoding(num, codes)
        z, cats, labels = self._encode(num, codes)
        self.cat_seen_ = [np.bincount(c, minlength=k) > 0 for c, k in zip(cats, self.cat_sizes_)]
        abar = torch.as_tensor(_cosine_abar(self.steps), dtype=torch.float32)
        mods = self._build_modules(seed)
        net = mods["denoiser"].to(self.device_)
        opt = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(seed + 1)
        Z = torch.as_tensor(z, dtype=torch.float32)
        C = [torch.as_tensor(c) for c in cats]
        Y = torch.as_tensor(labels)
        train_idx, hold_idx = self._holdout(len(Z), seed)
        monitor = self._fidelity_monitor(num, codes, hold_idx, seed + 2)
        batch = self._batch(len(train_idx))
        log = TrainingLog(
            self.epochs, progress=self.progress, desc="diffusion", patience=self.patience if len(hold_idx) else None
        )
        best: dict[str, Any] = {}
        tr = torch.as_tensor(train_idx)
        for epoch in range(self.epochs):
            net.train()
            perm = tr[torch.randperm(len(tr), generator=gen)]
            total, count = 0.0, 0
            for lo in range(0, len(perm), batch):
                loss = self._batch_loss(torch, net, Z, C, Y, perm[lo : lo + batch], abar, gen)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
                count += 1
            held = self._held_out_check(monitor, mods, epoch)

            def snapshot() -> None:
                best["state"] = {k: v.detach().clone() for k, v in net.state_dict().items()}

            if log.step(epoch, {"loss": total / max(count, 1)}, held, snapshot):
                break
        log.close()
        if best:
            net.load_state_dict(best["state"])
        net.eval()
        self.modules_ = mods
        self.history_ = log.history

    def _batch_loss(self, torch: Any, net: Any, Z: Any, C: list[Any], Y: Any, idx: Any, abar: Any, gen: Any) -> Any:
        """Noise MSE plus the categories' cross-entropy at random timesteps."""
        F = torch.nn.functional
        d_num = Z.shape[1]
        t = torch.randint(0, self.steps, (len(idx),), generator=gen)
        a = abar[t][:, None]
        eps = torch.randn((len(idx), d_num), generator=gen)
        parts, targets = [a.sqrt() * Z[idx] + (1 - a).sqrt() * eps], []
        for c, k in zip(C, self.cat_sizes_):
            probs = a * F.one_hot(c[idx], k).float() + (1 - a) / k
            noisy = torch.multinomial(probs, 1, generator=gen).squeeze(1)
            parts.append(F.one_hot(noisy, k).float())
            targets.append(c[idx])
        out = net(torch.cat(parts, dim=1).to(self.device_), t.to(self.device_), Y[idx].to(self.device_))
        loss = F.mse_loss(out[:, :d_num], eps.to(self.device_)) if d_num else out.sum() * 0.0
        pos = d_num
        for k, target in zip(self.cat_sizes_, targets):
            loss = loss + F.cross_entropy(out[:, pos : pos + k], target.to(self.device_)) / max(len(targets), 1)
            pos += k
        return loss

    def _sampling_steps(self) -> list[int]:
        """The timesteps the reverse chain visits, from the noisiest to 0: every one of the
        training ``steps``, or ``sample_steps`` of them evenly spaced."""
        k = self.steps if self.sample_steps is None else min(int(self.sample_steps), self.steps)
        return sorted(set(np.linspace(self.steps - 1, 0, k).round().astype(int).tolist()), reverse=True)

    def _generate_rows(
        self, n: int, conditions: dict[int, int], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        torch = torch_module()
        gen = self._torch_generator(rng)
        net = self.modules_["denoiser"]
        abar = _cosine_abar(self.steps)
        d_num = len(self.quantiles_)
        y = torch.full((n,), int(conditions[self.label_index]), dtype=torch.long).to(self.device_)
        x = torch.randn((n, d_num), generator=gen)
        cats = [torch.randint(0, k, (n,), generator=gen) for k in self.cat_sizes_]
        seen = [torch.as_tensor(m) for m in self.cat_seen_]
        visit = self._sampling_steps()
        eta = float(self.eta)
        with torch.no_grad():
            for i, step in enumerate(visit):
                a_t = float(abar[step])
                a_prev = float(abar[visit[i + 1]]) if i + 1 < len(visit) else 1.0
                alpha = a_t / a_prev  # what survives from step visit[i+1] (or clean) to this step
                inp = torch.cat(
                    [x, *(torch.nn.functional.one_hot(c, k).float() for c, k in zip(cats, self.cat_sizes_))], dim=1
                )
                out = net(inp.to(self.device_), torch.full((n,), step).to(self.device_), y).cpu()
                eps_net = out[:, :d_num]
                # the clean numbers the network implies, kept within the encoding's range
                x0 = ((x - math.sqrt(1 - a_t) * eps_net) / math.sqrt(a_t)).clamp(-_Z_MAX, _Z_MAX)
                if i + 1 < len(visit):
                    # DDIM's family: eta = 1 draws from the posterior q(x_prev | x_t, x0) (the DDPM
                    # step when every step is visited); eta = 0 moves deterministically
                    sigma = eta * math.sqrt((1 - alpha) * (1 - a_prev) / (1 - a_t))
                    keep = math.sqrt(max(1 - a_prev - sigma**2, 0.0))
                    eps = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
                    x = math.sqrt(a_prev) * x0 + keep * eps
                    # x0 above is the network's mean of the clean numbers; their spread around it
                    # is lost unless added back (large steps lose most): Analytic-DPM's estimate
                    # Var[x0 | x_t] = (1 - a_t) / a_t * (1 - E[eps^2]), exact for Gaussian data
                    # (at most 1: the variance of the normal scores themselves)
                    spread = ((1 - a_t) / a_t * (1 - eps_net.square().mean(dim=0)).clamp(0.0, 1.0)).clamp(max=1.0)
                    lost = (math.sqrt(a_prev) - keep * math.sqrt(a_t / (1 - a_t))) ** 2 * spread
                    x = x + torch.sqrt(sigma**2 + lost) * torch.randn((n, d_num), generator=gen)
                else:
                    x = x0
                pos = d_num
                for j, k in enumerate(self.cat_sizes_):
                    logits = out[:, pos : pos + k].masked_fill(~seen[j], -torch.inf)
                    pos += k
                    if i + 1 == len(visit):
                        cats[j] = _draw(torch, torch.log_softmax(logits, dim=1), gen)
                        continue
                    # the multinomial posterior q(x_prev | x_t, x0), x0 averaged over the prediction
                    onehot = torch.nn.functional.one_hot(cats[j], k).float()
                    post = (alpha * onehot + (1 - alpha) / k) * (
                        a_prev * torch.softmax(logits, dim=1) + (1 - a_prev) / k
                    )
                    cats[j] = _draw(torch, post.clamp_min(1e-30).log(), gen)
        return self._decode_rows(x.numpy(), [c.numpy() for c in cats], n)

    def _decode_rows(self, z: np.ndarray, cats: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Numbers back through the empirical quantiles; categories back to codes."""
        from scipy import special

        num = np.empty((n, len(self.quantiles_)))
        for j, grid in enumerate(self.quantiles_):
            num[:, j] = np.interp(special.ndtr(z[:, j]), np.linspace(0, 1, len(grid)), grid)
        n_feat = len(self.cat_sizes_) - len(self.nan_cols_)
        for i, j in enumerate(self.nan_cols_):
            num[cats[n_feat + i] == 1, j] = np.nan
        t = self.label_index
        codes = np.zeros((n, len(self.spec_.categorical)), dtype=np.int64)
        feat = [j for j in range(len(self.spec_.categorical)) if j != t]
        for i, j in enumerate(feat):
            codes[:, j] = cats[i] - 1 if self.cat_missing_[i] else cats[i]
        return num, codes

    def _extra_state(self) -> dict[str, Any]:
        return {
            "n_fit": int(self._n_fit),
            "nan_cols": self.nan_cols_,
            "cat_sizes": self.cat_sizes_,
            "n_labels": self.n_labels_,
            "cat_missing": self.cat_missing_,
            "cat_seen": [m.tolist() for m in self.cat_seen_],
            "quantiles": [q.tolist() for q in self.quantiles_],
        }

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._n_fit = int(state["n_fit"])
        self.nan_cols_ = [int(j) for j in state["nan_cols"]]
        self.cat_sizes_ = [int(k) for k in state["cat_sizes"]]
        self.cat_missing_ = [bool(m) for m in state["cat_missing"]]
        self.cat_seen_ = [np.asarray(m, dtype=bool) for m in state["cat_seen"]]
        self.n_labels_ = int(state["n_labels"])
        self.quantiles_ = [np.asarray(q, dtype=np.float64) for q in state["quantiles"]]
