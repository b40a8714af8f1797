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


class TabularDiffusion(NeuralGenerator):
    """TabDDPM-style diffusion generator (torch; the ``torch`` extra).

    Parameters
    ----------
    steps : diffusion steps (100; TabDDPM uses 1000, slower to sample on CPU).
    epochs, batch_size : training passes and rows per step (batch adapts to the data).
    width : MLP width (256, or 128 under 500 rows).
    learning_rate, weight_decay : AdamW settings.
    early_stopping, patience : hold out 10% of the rows; stop when their denoising loss (fixed
        timesteps and noise) has not improved for ``patience`` epochs, and keep the best weights.
    device, n_threads, random_state, progress : as for :class:`~tabaugment.generators.TVAE`.
    """

    name = "diffusion"
    _modules = ("denoiser",)
    uses_transformer = False
    _parameter_constraints: ClassVar[Constraints] = {
        "steps": [Interval(numbers.Integral, 2, None)],
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
        epochs: int = 200,
        batch_size: int | None = None,
        width: int | None = None,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-5,
        early_stopping: bool = False,
        patience: int = 10,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.steps = steps
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
            held = None
            if len(hold_idx):
                net.eval()
                with torch.no_grad():  # the same timesteps and noise every epoch: comparable losses
                    fixed = torch.Generator().manual_seed(seed + 2)
                    held = self._batch_loss(torch, net, Z, C, Y, torch.as_tensor(hold_idx), abar, fixed).item()

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

    def _generate_rows(
        self, n: int, conditions: dict[int, int], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        torch = torch_module()
        gen = self._torch_generator(rng)
        net = self.modules_["denoiser"]
        abar = _cosine_abar(self.steps)
        d_num = len(self.quantiles_)
        y = torch.full((n,), int(conditions[self.label_index]), dtype=torch.long)
        x = torch.randn((n, d_num), generator=gen)
        cats = [torch.multinomial(torch.full((n, k), 1.0 / k), 1, generator=gen).squeeze(1) for k in self.cat_sizes_]
        with torch.no_grad():
            for step in range(self.steps - 1, -1, -1):
                a_t = float(abar[step])
                a_prev = float(abar[step - 1]) if step > 0 else 1.0
                alpha = a_t / a_prev
                inp = torch.cat(
                    [x, *(torch.nn.functional.one_hot(c, k).float() for c, k in zip(cats, self.cat_sizes_))], dim=1
                )
                out = net(inp.to(self.device_), torch.full((n,), step).to(self.device_), y.to(self.device_)).cpu()
                eps = out[:, :d_num]
                mean = (x - (1 - alpha) / math.sqrt(1 - a_t) * eps) / math.sqrt(alpha)
                if step > 0:
                    var = (1 - alpha) * (1 - a_prev) / (1 - a_t)
                    x = mean + math.sqrt(var) * torch.randn((n, d_num), generator=gen)
                else:
                    x = mean
                pos = d_num
                for i, k in enumerate(self.cat_sizes_):
                    logits = out[:, pos : pos + k].masked_fill(~torch.as_tensor(self.cat_seen_[i]), -torch.inf)
                    x0 = torch.softmax(logits, dim=1)
                    pos += k
                    if step == 0:
                        cats[i] = torch.multinomial(x0, 1, generator=gen).squeeze(1)
                        continue
                    onehot = torch.nn.functional.one_hot(cats[i], k).float()
                    post = (alpha * onehot + (1 - alpha) / k) * (a_prev * x0 + (1 - a_prev) / k)
                    cats[i] = torch.multinomial(post / post.sum(dim=1, keepdim=True), 1, generator=gen).squeeze(1)
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
