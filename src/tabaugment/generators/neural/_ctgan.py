"""CTGAN (Xu et al., NeurIPS 2019): conditional GAN with training-by-sampling, PacGAN, WGAN-GP.

The conditional vector covers every categorical column (the label included). Each training
row of a batch picks a categorical column uniformly and one of its levels with probability
proportional to log(1 + frequency), and a real row with that level (training-by-sampling,
vectorised here). The generator gets noise and the conditional vector, emits tanh values and
Gumbel-softmax one-hot blocks, and is penalised by cross-entropy when the conditioned block
disagrees with the condition. The discriminator scores packs of ``pac`` rows (PacGAN) under
the Wasserstein loss with gradient penalty. Sampling with ``conditions`` sets the condition
and the conditioned columns, so conditioning is exact; without conditions the label is
drawn by its fitted frequencies.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError, ModelFileError
from tabaugment.generators.neural._base import NeuralGenerator
from tabaugment.generators.neural._torch import TrainingLog, init_weights, torch_module
from tabaugment.params import NONE, Constraints, Interval, Options, non_negative, positive

__all__ = ["CTGAN"]


class CTGAN(NeuralGenerator):
    """Conditional tabular GAN (torch; the ``torch`` extra).

    Parameters
    ----------
    epochs : passes over the fitted rows (300 in the paper).
    batch_size : rows per step (a multiple of ``pac``); by default adapted to the data.
    pac : rows per discriminator pack (10 in the paper; smaller for tiny inputs).
    width, noise_dim : layer width (256, or 128 under 500 rows) and noise size (128).
    generator_lr, discriminator_lr, weight_decay : Adam settings (2e-4, 2e-4, 1e-6).
    discriminator_steps : discriminator updates per generator update (1).
    gradient_penalty : weight of the gradient penalty (10).
    point_mass : off (``None``) by default, as in the paper. A share (e.g. ``0.05``): a value
        holding at least that share of a numerical column's values (a zero capital gain, a round
        amount) gets a mode of its own and comes back exactly, as in CTAB-GAN's mixed-type
        encoder, instead of being smeared by its Gaussian mode.
    free_sampling : how rows are drawn when ``sample`` gets no conditions. ``"columns"`` (the
        default, as in the reference): each row's conditional vector names one categorical
        column, drawn uniformly, and a level drawn by its real frequency, as the generator saw
        conditions in training; the label is the one the generator writes, and rows are kept
        per class until each class has its share of the rows (a class three rounds of draws
        leave short is completed with rows conditioned on it). ``"label"``: every row is
        conditioned on its label. On Adult (5,000 rows, 300 epochs) conditioning every row on
        the label gave SDMetrics' QualityReport 0.756 against 0.810 (``benchmarks/side_by_side.py``
        measures the default). Sampling with conditions always conditions on them.
    early_stopping, check_every, patience : off by default. When on, hold out 10% of the rows
        (from 100 rows on); every ``check_every`` epochs sample rows and score them against the
        held-out rows (binned fidelity plus ``1 -`` the held-out ROC-AUC of a logistic
        regression trained on them, as for :class:`~tabaugment.generators.TVAE`); stop when
        that has not improved for ``patience`` checks and keep the best generator. Off by
        default because CTGAN's rows get worse before they get better: on Adult (5,000 rows),
        with early stopping it stopped after 55 and 70 epochs with TSTR about 0.5, against 0.875
        after all 300 (``benchmarks/neural_training.py``).
    device, n_threads, random_state, progress : as for :class:`~tabaugment.generators.TVAE`.
    """

    name = "ctgan"
    conditionable = "categorical"
    _modules: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    _parameter_constraints: ClassVar[Constraints] = {
        "pac": [positive(numbers.Integral)],
        "width": [NONE, positive(numbers.Integral)],
        "noise_dim": [positive(numbers.Integral)],
        "generator_lr": [positive()],
        "discriminator_lr": [positive()],
        "weight_decay": [non_negative()],
        "discriminator_steps": [positive(numbers.Integral)],
        "gradient_penalty": [non_negative()],
        "point_mass": [NONE, Interval(numbers.Real, 0, 1, closed="right")],
        "free_sampling": [Options(("columns", "label"))],
    }

    def __init__(
        self,
        *,
        epochs: int = 300,
        batch_size: int | None = None,
        pac: int = 10,
        width: int | None = None,
        noise_dim: int = 128,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        weight_decay: float = 1e-6,
        discriminator_steps: int = 1,
        gradient_penalty: float = 10.0,
        point_mass: float | None = None,
        free_sampling: str = "columns",
        early_stopping: bool = False,
        check_every: int = 5,
        patience: int = 6,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.pac = pac
        self.width = width
        self.noise_dim = noise_dim
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.weight_decay = weight_decay
        self.discriminator_steps = discriminator_steps
        self.gradient_penalty = gradient_penalty
        self.point_mass = point_mass
        self.free_sampling = free_sampling
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress
        self.early_stopping = early_stopping
        self.patience = patience
        self.check_every = check_every

    # ------------------------------------------------------------------ model
    def _transformer_options(self) -> dict[str, Any]:
        return {"point_mass": self.point_mass}

    def _cond_layout(self) -> list[Any]:
        return [s for s in self.transformer_.spans_ if s.role == "category"]

    def _build_modules(self, seed: int) -> dict[str, Any]:
        from tabaugment.generators.neural._networks import CTGANDiscriminator, CTGANGenerator

        torch = torch_module()
        width = self.width or (128 if self._n_fit < 500 else 256)
        d_data = self.transformer_.output_dim_
        d_cond = sum(s.width for s in self._cond_layout())
        gen = torch.Generator().manual_seed(seed)
        mods = {
            "generator": CTGANGenerator(self.noise_dim, d_cond, d_data, width),
            "discriminator": CTGANDiscriminator(d_data, d_cond, self.pac_, width),
        }
        for m in mods.values():
            init_weights(m, gen)
        return mods

    def _activate(self, torch: Any, raw: Any, gen: Any, hard: bool = False) -> Any:
        parts = []
        for s in self.transformer_.spans_:
            block = raw[:, s.start : s.start + s.width]
            if s.kind == "alpha":
                parts.append(torch.tanh(block))
            else:
                g = -torch.log(-torch.log(torch.rand(block.shape, generator=gen).clamp(1e-10, 1 - 1e-10)))
                y = torch.softmax((block + g.to(block.device)) / 0.2, dim=1)
                if hard:
                    y = torch.nn.functional.one_hot(y.argmax(dim=1), s.width).to(block.dtype)
                parts.append(y)
        return torch.cat(parts, dim=1)

    def _pack_size(self, n: int) -> int:
        return int(min(self.pac, max(1, n // 20)))  # at least two packs of rows per batch

    def _extra_generator_loss(self, torch: Any, mods: dict[str, Any], fake_in: Any, real: Any) -> Any:
        """Terms a variant adds to the generator's loss (none here): ``fake_in`` holds generated
        rows with their conditional vectors; ``real()`` returns real rows with the same
        conditional vectors in the same order (built only when a variant asks)."""
        return 0.0

    # ------------------------------------------------------------------ training-by-sampling
    def _prepare_sampler(self, data: np.ndarray) -> None:
        self.cond_spans_ = self._cond_layout()
        self.slot_rows_: list[list[np.ndarray]] = []
        self.slot_logp_: list[np.ndarray] = []
        self.slot_freq_: list[np.ndarray] = []
        for s in self.cond_spans_:
            block = data[:, s.start : s.start + s.width].argmax(axis=1)
            rows = [np.flatnonzero(block == k) for k in range(s.width)]
            counts = np.array([len(r) for r in rows], dtype=np.float64)
            logp = np.log1p(counts)
            self.slot_rows_.append(rows)
            self.slot_logp_.append(logp / logp.sum())
            self.slot_freq_.append(counts / counts.sum())

    def _sample_cond(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Conditional vectors, chosen columns and slots, and matching real rows."""
        d_cond = sum(s.width for s in self.cond_spans_)
        cond = np.zeros((n, d_cond), dtype=np.float32)
        cols = rng.integers(0, len(self.cond_spans_), n)
        slots = np.empty(n, dtype=np.int64)
        rows = np.empty(n, dtype=np.int64)
        offsets = np.cumsum([0] + [s.width for s in self.cond_spans_])
        for j in np.unique(cols):
            pick = np.flatnonzero(cols == j)
            p = self.slot_logp_[j]
            slot = np.minimum((p.cumsum()[None, :] < rng.random(len(pick))[:, None]).sum(axis=1), len(p) - 1)
            slots[pick] = slot
            cond[pick, offsets[j] + slot] = 1.0
            for k in np.unique(slot):
                sel = pick[slot == k]
                cand = self.slot_rows_[j][k]
                rows[sel] = cand[rng.integers(0, len(cand), len(sel))]
        return cond, cols, slots, rows

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        self._n_fit = n = len(codes)
        self.pac_ = self._pack_size(n)
        rng = np.random.default_rng(seed)
        import time

        t0 = time.perf_counter()
        all_data = self.transformer_.transform(num, codes, rng)
        train_idx, hold_idx = self._holdout(len(all_data), seed)
        data = all_data[train_idx]
        monitor = self._fidelity_monitor(num, codes, hold_idx, seed + 2)
        n = len(data)
        self.preprocess_seconds_ += time.perf_counter() - t0
        self._prepare_sampler(data)
        batch = self._batch(n, self.pac_)
        if batch < 2 * self.pac_:
            raise DataError(
                f"CTGAN needs at least {2 * self.pac_} rows per batch; got {batch}. Lower pac or fit on more rows."
            )
        mods = self._build_modules(seed)
        G, D = mods["generator"].to(self.device_), mods["discriminator"].to(self.device_)
        opt_g = torch.optim.Adam(G.parameters(), lr=self.generator_lr, betas=(0.5, 0.9), weight_decay=self.weight_decay)
        opt_d = torch.optim.Adam(
            D.parameters(), lr=self.discriminator_lr, betas=(0.5, 0.9), weight_decay=self.weight_decay
        )
        gen = torch.Generator().manual_seed(seed + 1)
        D.set_generator(gen)
        X = torch.as_tensor(data)
        steps_per_epoch = max(1, n // batch)
        log = TrainingLog(
            self.epochs, progress=self.progress, desc="CTGAN", patience=self.patience if monitor is not None else None
        )
        best: dict[str, Any] = {}
        for epoch in range(self.epochs):
            G.train()
            D.train()
            g_total = d_total = 0.0
            for _ in range(steps_per_epoch):
                for _ in range(self.discriminator_steps):
                    cond_np, _, _, rows = self._sample_cond(batch, rng)
                    cond = torch.as_tensor(cond_np, device=self.device_)
                    # real rows travel with their own conditions, in another order than the fake
                    # rows, so packs of real and fake rows do not line up (as in the paper)
                    perm = rng.permutation(batch)
                    real_cond = torch.as_tensor(cond_np[perm], device=self.device_)
                    z = torch.randn((batch, self.noise_dim), generator=gen).to(self.device_)
                    fake = self._activate(torch, G(torch.cat([z, cond], dim=1)), gen)
                    real_in = torch.cat([X[torch.as_tensor(rows[perm])].to(self.device_), real_cond], dim=1)
                    fake_in = torch.cat([fake, cond], dim=1)
                    d_real, d_fake = D(real_in), D(fake_in)
                    alpha = torch.rand((batch // self.pac_, 1, 1), generator=gen).to(self.device_)
                    alpha = alpha.repeat(1, self.pac_, real_in.shape[1]).reshape(-1, real_in.shape[1])
                    mix = (alpha * real_in + (1 - alpha) * fake_in.detach()).requires_grad_(True)
                    grad = torch.autograd.grad(D(mix).sum(), mix, create_graph=True)[0]
                    gp = ((grad.reshape(-1, self.pac_ * real_in.shape[1]).norm(2, dim=1) - 1) ** 2).mean()
                    loss_d = -(d_real.mean() - d_fake.mean()) + self.gradient_penalty * gp
                    opt_d.zero_grad()
                    loss_d.backward()
                    opt_d.step()
                cond_np, cols, slots, rows = self._sample_cond(batch, rng)
                cond = torch.as_tensor(cond_np, device=self.device_)
                z = torch.randn((batch, self.noise_dim), generator=gen).to(self.device_)
                raw = G(torch.cat([z, cond], dim=1))
                fake_in = torch.cat([self._activate(torch, raw, gen), cond], dim=1)

                def real(rows: Any = rows, cond: Any = cond) -> Any:
                    return torch.cat([X[torch.as_tensor(rows)].to(self.device_), cond], dim=1)

                loss_g = (
                    -D(fake_in).mean()
                    + self._cond_loss(torch, raw, cols, slots)
                    + self._extra_generator_loss(torch, mods, fake_in, real)
                )
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                g_total += loss_g.item()
                d_total += loss_d.item()
            held = self._held_out_check(monitor, mods, epoch)

            def snapshot() -> None:
                best["G"] = {k: v.detach().clone() for k, v in G.state_dict().items()}

            stop = log.step(
                epoch, {"loss_g": g_total / steps_per_epoch, "loss_d": d_total / steps_per_epoch}, held, snapshot
            )
            if stop:
                break
        log.close()
        if best:
            G.load_state_dict(best["G"])
        G.eval()
        D.eval()
        self.modules_ = mods
        self.history_ = log.history

    def _cond_loss(self, torch: Any, raw: Any, cols: np.ndarray, slots: np.ndarray) -> Any:
        F = torch.nn.functional
        loss = 0
        for j in np.unique(cols):
            pick = torch.as_tensor(np.flatnonzero(cols == j))
            s = self.cond_spans_[j]
            logits = raw[pick, s.start : s.start + s.width]
            loss = loss + F.cross_entropy(logits, torch.as_tensor(slots[cols == j]), reduction="sum")
        return loss / len(cols)

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        if conditions or self.free_sampling == "label" or not self.slot_freq_:
            return super()._sample(n, conditions, rng)
        t = self.label_index
        need = self._class_plan(n, {})
        nums: list[np.ndarray] = []
        cods: list[np.ndarray] = []
        with self._threads():
            for _ in range(3):
                short = sum(need.values())
                if not short:
                    break
                num, cod = self.transformer_.inverse(self._generate_free(2 * short, rng), rng)
                for code, k in need.items():
                    take = np.flatnonzero(cod[:, t] == code)[:k]
                    nums.append(num[take])
                    cods.append(cod[take])
                    need[code] = k - len(take)
            for code, k in need.items():
                if k:
                    num, cod = self._generate_rows(k, {t: code}, rng)
                    cod[:, t] = code
                    nums.append(num)
                    cods.append(cod)
        num, cod = np.concatenate(nums), np.concatenate(cods)
        perm = rng.permutation(len(num))
        return num[perm], cod[perm]

    def _generate_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows, each conditioned on a categorical column drawn uniformly and a level of it
        drawn by its real frequency."""
        torch = torch_module()
        offsets = np.cumsum([0] + [s.width for s in self.cond_spans_])
        cond = np.zeros((n, offsets[-1]), dtype=np.float32)
        cols = rng.integers(0, len(self.cond_spans_), n)
        for j in range(len(self.cond_spans_)):
            pick = np.flatnonzero(cols == j)
            cond[pick, offsets[j] + rng.choice(len(self.slot_freq_[j]), size=len(pick), p=self.slot_freq_[j])] = 1.0
        gen = self._torch_generator(rng)
        with torch.no_grad():
            z = torch.randn((n, self.noise_dim), generator=gen)
            raw = self.modules_["generator"](torch.cat([z, torch.as_tensor(cond)], dim=1).to(self.device_)).cpu()
            return self._activate(torch, raw, gen, hard=True).numpy()

    def _generate(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> np.ndarray:
        torch = torch_module()
        tf = self.transformer_
        d_cond = sum(s.width for s in self.cond_spans_)
        offsets = np.cumsum([0] + [s.width for s in self.cond_spans_])
        cond = np.zeros((n, d_cond), dtype=np.float32)
        # the conditional vector names one column, as in training: prefer a non-label condition
        others = [j for j in conditions if j != self.label_index]
        j = others[0] if others else self.label_index
        cond[:, offsets[j] + tf.category_slot(j, conditions[j])] = 1.0
        gen = self._torch_generator(rng)
        G = self.modules_["generator"]
        with torch.no_grad():
            z = torch.randn((n, self.noise_dim), generator=gen)
            raw = G(torch.cat([z, torch.as_tensor(cond)], dim=1).to(self.device_)).cpu()
            out = self._activate(torch, raw, gen, hard=True).numpy()
        return out

    def _extra_state(self) -> dict[str, Any]:
        freq = [f.tolist() for f in self.slot_freq_]
        return {"n_fit": int(self._n_fit), "pac": int(self.pac_), "slot_freq": freq}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._n_fit, self.pac_ = int(state["n_fit"]), int(state["pac"])
        self.cond_spans_ = self._cond_layout()
        widths = [s.width for s in self.cond_spans_]
        freq = state.get("slot_freq")  # absent from files saved before free sampling by columns
        self.slot_freq_ = []
        if freq is None:
            return
        arrays = [np.asarray(f, dtype=np.float64) for f in freq]
        if [len(a) for a in arrays] != widths or not all(
            np.isfinite(a).all() and (a >= 0).all() and abs(a.sum() - 1) < 1e-6 for a in arrays
        ):
            raise ModelFileError(
                "the model file's slot_freq is not one probability vector per categorical column "
                f"(widths {widths}); the file is damaged: fit and save the model again"
            )
        self.slot_freq_ = arrays
