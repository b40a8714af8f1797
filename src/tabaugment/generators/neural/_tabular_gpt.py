"""A small GPT trained from scratch on rows written as column tokens (REaLTabFormer style).

Tokenisation is column-aware: every column owns a slice of the vocabulary, one token per
category (plus one for "missing") or per numerical bin (plus "missing"; frequent values and
columns with few distinct values get one token per value, see ``_bin_edges``). A row is
written in two layouts, each opened by its own BOS token: ``label, column 1, ..., column p``
and ``column 1, ..., column p, label``. The model is a decoder-only transformer (pre-norm
blocks, causal attention, learned positions) trained with cross-entropy on each next token,
every row in both layouts in every epoch.

Decoding is constrained, so every sampled row parses: at each step only the tokens of that
position's column that occurred in training can be drawn, so no column is skipped, repeated
or given an unseen category. Rows are drawn label-last, so the label is decided by all the
other columns, as a classifier would; each class keeps the rows it still needs, which makes
the kept rows exact draws of that class. Classes the draws would rarely hit, and any rows
still missing, are written label-first with the label token forced (exact conditioning
without rejection). A numerical token is turned back into a value by drawing one of the
training values that fell into its bin (marginals, integer columns and spikes such as zeros
survive; the value comes from the column, not from the same row). Sampling runs with a
key/value cache: each step attends to the cached keys instead of re-reading the prefix.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import ModelFileError, ParameterError, SamplingShortfallWarning
from tabaugment.generators.neural._base import NeuralGenerator
from tabaugment.generators.neural._torch import (
    TrainingLog,
    load_state_arrays,
    resolve_device,
    state_arrays,
    torch_module,
)
from tabaugment.params import Constraints, Interval, Options, non_negative, positive

__all__ = ["TabularGPT"]

# the two row layouts; each starts with its own BOS token (token id = layout)
LABEL_FIRST, LABEL_LAST = 0, 1
N_BOS = 2
AUTO_MIN_SHARE = 0.05  # label_position="auto": label last when every class holds at least this share
REJECTION_BUDGET = 4.0  # label-last sampling draws at most this many times the rows a class share predicts


class RowTokenizer:
    """Rows <-> token ids, one vocabulary slice per column (label column first)."""

    def __init__(self, order: list[tuple[str, int]], n_bins: int) -> None:
        self.order = order  # ("cat" | "num", index into codes / num), in sequence order
        self.n_bins = n_bins

    def fit(self, num: np.ndarray, codes: np.ndarray, n_cats: list[int]) -> RowTokenizer:
        self.sizes: list[int] = []
        self.edges: dict[int, np.ndarray] = {}  # numerical column -> inner bin edges
        self.values: dict[int, np.ndarray] = {}  # numerical column -> sorted finite training values
        self.starts: dict[int, np.ndarray] = {}  # numerical column -> first index of each bin in values
        for kind, j in self.order:
            if kind == "cat":
                self.sizes.append(n_cats[j] + 1)  # + missing
                continue
            col = num[:, j]
            finite = np.sort(col[np.isfinite(col)])
            edges = _bin_edges(finite, self.n_bins)
            self.edges[j] = edges
            self.values[j] = finite
            bins = np.searchsorted(edges, finite, side="right")
            self.starts[j] = np.searchsorted(bins, np.arange(len(edges) + 2))
            self.sizes.append(len(edges) + 2)  # bins + missing
        self.offsets = np.r_[0, np.cumsum(self.sizes)[:-1]].astype(np.int64) + N_BOS
        self.vocab = int(N_BOS + sum(self.sizes))
        tokens = self.encode(num, codes)
        # which tokens of each column occurred in training: the only ones sampling may draw
        self.allowed = np.zeros((len(self.order), self.vocab), dtype=bool)
        for k in range(len(self.order)):
            self.allowed[k, np.unique(tokens[:, k])] = True
        return self

    def encode(self, num: np.ndarray, codes: np.ndarray) -> np.ndarray:
        n = len(num) if num.shape[1] else len(codes)
        out = np.empty((n, len(self.order)), dtype=np.int64)
        for k, (kind, j) in enumerate(self.order):
            size = self.sizes[k]
            if kind == "cat":
                c = codes[:, j]
                local = np.where(c >= 0, c, size - 1)
            else:
                x = num[:, j]
                local = np.where(
                    np.isfinite(x), np.searchsorted(self.edges[j], np.nan_to_num(x), side="right"), size - 1
                )
            out[:, k] = self.offsets[k] + local
        return out

    def decode(
        self, tokens: np.ndarray, n_num: int, n_cat: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(tokens)
        num = np.full((n, n_num), np.nan)
        codes = np.full((n, n_cat), -1, dtype=np.int64)
        for k, (kind, j) in enumerate(self.order):
            local = tokens[:, k] - self.offsets[k]
            missing = local == self.sizes[k] - 1
            if kind == "cat":
                codes[:, j] = np.where(missing, -1, local)
                continue
            lo, hi = (
                self.starts[j][np.minimum(local, len(self.starts[j]) - 2)],
                self.starts[j][np.minimum(local + 1, len(self.starts[j]) - 1)],
            )
            width = np.maximum(hi - lo, 1)
            pick = lo + np.floor(rng.random(n) * width).astype(np.int64)
            vals = self.values[j][np.clip(pick, 0, max(len(self.values[j]) - 1, 0))] if len(self.values[j]) else 0.0
            num[:, j] = np.where(missing | (hi <= lo), np.nan, vals)
        return num, codes

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {"tok/allowed": self.allowed}
        for j in self.edges:
            arrays[f"tok/edges/{j}"] = self.edges[j]
            arrays[f"tok/values/{j}"] = self.values[j]
            arrays[f"tok/starts/{j}"] = self.starts[j]
        return {"order": self.order, "n_bins": self.n_bins, "sizes": self.sizes}, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> RowTokenizer:
        tok = cls([(k, int(j)) for k, j in state["order"]], int(state["n_bins"]))
        tok.sizes = [int(s) for s in state["sizes"]]
        tok.offsets = np.r_[0, np.cumsum(tok.sizes)[:-1]].astype(np.int64) + N_BOS
        tok.vocab = int(N_BOS + sum(tok.sizes))
        tok.allowed = np.asarray(arrays["tok/allowed"], dtype=bool)
        tok.edges, tok.values, tok.starts = {}, {}, {}
        for kind, j in tok.order:
            if kind == "num":
                tok.edges[j] = arrays[f"tok/edges/{j}"]
                tok.values[j] = arrays[f"tok/values/{j}"]
                tok.starts[j] = arrays[f"tok/starts/{j}"].astype(np.int64)
        return tok


def _bin_edges(finite: np.ndarray, n_bins: int) -> np.ndarray:
    """Inner bin edges of a numerical column's tokens (``finite``: its sorted finite values).

    A value at least ``1 / n_bins`` of the rows share (a spike: zero capital gain, a 40-hour
    week) gets a token of its own, as does one with ``1 / n_bins`` of the rows left after
    the spikes; so does every other value when at most ``2 * n_bins``
    distinct values remain (counts, codes, grades, so that values another column determines,
    such as education -> education-num, come back exactly). Otherwise the remaining values are
    cut at their own quantiles into ``n_bins`` bins, so the spikes do not swallow the
    resolution of the rest (the tail of capital gain keeps its bins).
    """
    distinct, counts = np.unique(finite, return_counts=True)
    if len(distinct) <= 1:
        return np.empty(0)
    middles = (distinct[:-1] + distinct[1:]) / 2  # an edge between every two neighbouring values
    spike = counts * n_bins >= len(finite)
    while True:  # a spike among the values left once the bigger spikes are out counts too
        grown = spike | (counts * n_bins >= counts[~spike].sum())
        if (grown == spike).all():
            break
        spike = grown
    if (~spike).sum() <= 2 * n_bins:
        return middles
    # isolate each spike between the middles next to it, then quantile edges of the rest
    index = np.flatnonzero(spike)
    around = np.r_[middles[index[index > 0] - 1], middles[index[index < len(middles)]]]
    rest = np.repeat(distinct[~spike], counts[~spike])
    inner = np.quantile(rest, np.linspace(0, 1, n_bins + 1)[1:-1])
    # a quantile edge that is itself a training value would split nothing: use the middle above it
    at = np.searchsorted(distinct, inner)
    inner = np.where(
        distinct[np.minimum(at, len(distinct) - 1)] == inner, middles[np.minimum(at, len(middles) - 1)], inner
    )
    return np.unique(np.r_[around, inner])


def _nucleus(probs: Any, top_p: float) -> Any:
    """Keep, per row, the most likely tokens whose probabilities sum to ``top_p`` (at least one)."""
    torch = torch_module()
    ordered, index = torch.sort(probs, dim=-1, descending=True)
    before = torch.cumsum(ordered, dim=-1) - ordered  # mass of the more likely tokens
    ordered = ordered.masked_fill(before >= top_p, 0.0)
    return torch.zeros_like(probs).scatter(-1, index, ordered)


class TabularGPT(NeuralGenerator):
    """A GPT-style transformer trained from scratch on tokenised rows, with constrained,
    label-conditioned sampling (every sampled row parses; the label is exact).

    Parameters
    ----------
    epochs : passes over the rows (training stops earlier with ``early_stopping``).
    batch_size : rows per step; by default adapted to the data (16 to 500).
    d_model, n_layers, n_heads : width, depth and attention heads of the transformer.
    dropout : dropout on embeddings and residual branches while training (local RNG).
    n_bins : quantile bins per numerical column (its vocabulary; values come back from the
        training values in the bin). A value shared by at least ``1 / n_bins`` of the rows
        gets its own token, the other values are binned at their own quantiles, or one token
        per value when at most ``2 * n_bins`` distinct values remain.
    learning_rate, weight_decay : AdamW settings.
    temperature : sampling temperature (1 = the model's distribution).
    top_p : nucleus sampling: draw each token among the likeliest ones holding ``top_p`` of the
        probability (1 = all). Below 1 it raises the share of valid rows and lowers utility
        (``benchmarks/lm_generators.py`` measures 0.95 on Adult).
    label_position : where the label sits in a row. ``"last"``: after every other column, so
        the model learns it as a classifier would; sampling draws whole rows and keeps per
        class the rows asked for (exact, and cheap unless a class is rare). ``"first"``: the
        label opens the row and is forced when sampling (exact conditioning at no extra
        cost for any class; on Adult 0.005 lower TSTR ROC-AUC). ``"auto"`` (default):
        ``"last"`` when every class holds at least 5% of the fitted rows, else ``"first"``.
        The choice is kept in ``label_position_``.
    early_stopping : hold out 10% of the rows and stop when their loss stalls for ``patience`` epochs.
    device : ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``.
    n_threads : torch CPU threads while fitting and sampling. The same seed and threads give
        the same rows; another number of threads can change them (torch then adds in another order).
    random_state : seed (local torch generators only).
    progress : progress bar with the loss.
    """

    name = "tabular_gpt"
    _modules = ("gpt",)
    uses_transformer = False
    _parameter_constraints: ClassVar[Constraints] = {
        "d_model": [positive(numbers.Integral)],
        "n_layers": [positive(numbers.Integral)],
        "n_heads": [positive(numbers.Integral)],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "n_bins": [positive(numbers.Integral)],
        "learning_rate": [positive()],
        "weight_decay": [non_negative()],
        "temperature": [positive()],
        "top_p": [Interval(numbers.Real, 0, 1, closed="right")],
        "label_position": [Options(("auto", "last", "first"))],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"epochs": 1, "d_model": 16, "n_layers": 1, "n_heads": 2}

    def __init__(
        self,
        *,
        epochs: int = 100,
        batch_size: int | None = None,
        d_model: int = 128,
        n_layers: int = 3,
        n_heads: int = 4,
        dropout: float = 0.1,
        n_bins: int = 32,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        temperature: float = 1.0,
        top_p: float = 1.0,
        label_position: str = "auto",
        early_stopping: bool = True,
        patience: int = 8,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.n_bins = n_bins
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.top_p = top_p
        self.label_position = label_position
        self.early_stopping = early_stopping
        self.patience = patience
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress

    def _check_params(self) -> None:
        if self.d_model % self.n_heads:
            raise ParameterError(
                f"The 'd_model' parameter of TabularGPT ({self.d_model}) must be a multiple of n_heads ({self.n_heads})."
            )

    # ------------------------------------------------------------------ model
    def _order(self) -> list[tuple[str, int]]:
        spec = self.spec_
        order = [("cat", self.label_index)]
        for col in spec.columns:
            if col == spec.target:
                continue
            order.append(
                ("cat", spec.categorical.index(col)) if col in spec.categorical else ("num", spec.numerical.index(col))
            )
        return order

    def _build_modules(self, seed: int) -> dict[str, Any]:
        from tabaugment.generators.neural._networks import GPT

        tok = self.tokenizer_
        gpt = GPT(tok.vocab, len(tok.order), self.d_model, self.n_layers, self.n_heads, self.dropout)
        return {"gpt": gpt.initialise(seed)}

    def _resolve_label_position(self) -> str:
        if self.label_position == "auto":
            share = self.class_counts_[self.class_counts_ > 0] / self.class_counts_.sum()
            return "last" if share.min() >= AUTO_MIN_SHARE else "first"
        return self.label_position

    @property
    def _layout(self) -> int:
        """The fitted row layout (``LABEL_FIRST`` or ``LABEL_LAST``, also its BOS token)."""
        return LABEL_LAST if self.label_position_ == "last" else LABEL_FIRST

    def _permutation(self, layout: int) -> np.ndarray:
        """Sequence position -> column of the tokenizer's order (label first there)."""
        n = len(self.tokenizer_.order)
        return np.arange(n) if layout == LABEL_FIRST else np.r_[np.arange(1, n), 0]

    def _sequences(self, tokens: np.ndarray) -> np.ndarray:
        bos = np.full((len(tokens), 1), self._layout, dtype=np.int64)
        return np.concatenate([bos, tokens[:, self._permutation(self._layout)]], axis=1)

    def _mask(self, *, allowed_only: bool) -> Any:
        """(positions, vocab) of the fitted layout: the tokens each position may produce (its
        column's slice of the vocabulary, and with ``allowed_only`` only the tokens seen in training)."""
        torch = torch_module()
        tok = self.tokenizer_
        mask = np.zeros((len(tok.order), tok.vocab), dtype=bool)
        for k in range(len(tok.order)):
            mask[k, tok.offsets[k] : tok.offsets[k] + tok.sizes[k]] = True
        mask = mask & tok.allowed if allowed_only else mask
        return torch.as_tensor(mask[self._permutation(self._layout)], device=self.device_)

    def _train(self, num: np.ndarray, codes: np.ndarray, seed: int) -> None:
        torch = torch_module()
        F = torch.nn.functional
        t0 = time.perf_counter()
        n_cats = [len(self.spec_.categories[c]) for c in self.spec_.categorical]
        self.tokenizer_ = RowTokenizer(self._order(), int(self.n_bins)).fit(num, codes, n_cats)
        self.label_position_ = self._resolve_label_position()
        seqs = self._sequences(self.tokenizer_.encode(num, codes))
        self.preprocess_seconds_ += time.perf_counter() - t0
        train_idx, hold_idx = self._holdout(len(seqs), seed)
        model = self._build_modules(seed)["gpt"].to(self.device_)
        S = torch.as_tensor(seqs, device=self.device_)
        mask = self._mask(allowed_only=False)
        opt = torch.optim.AdamW(model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(seed + 1)
        model.set_generator(torch.Generator().manual_seed(seed + 2))
        batch = self._batch(len(train_idx))
        log = TrainingLog(
            self.epochs, progress=self.progress, desc="TabularGPT", patience=self.patience if len(hold_idx) else None
        )
        best: dict[str, Any] = {}

        def loss_of(rows: Any) -> Any:
            logits = model(rows[:, :-1]).masked_fill(~mask, float("-inf"))
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))

        def snapshot() -> None:
            best.update({n: v.detach().clone() for n, v in model.state_dict().items()})

        tr = torch.as_tensor(train_idx)
        for epoch in range(self.epochs):
            model.train()
            perm = tr[torch.randperm(len(tr), generator=gen)]
            total, steps = 0.0, 0
            for lo in range(0, len(perm), batch):
                loss = loss_of(S[perm[lo : lo + batch]])
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                total += loss.item()
                steps += 1
            held = None
            if len(hold_idx):
                model.eval()
                with torch.no_grad():
                    held = float(loss_of(S[torch.as_tensor(hold_idx)]))
            if log.step(epoch, {"loss": total / max(steps, 1)}, held, snapshot):
                break
        log.close()
        if best:
            model.load_state_dict(best)
        model.eval()
        self.modules_ = {"gpt": model}
        self.history_ = log.history

    # --------------------------------------------------------------- sampling
    def _draw(self, n: int, label: int | None, gen: Any) -> np.ndarray:
        """``(n, columns)`` tokens in the tokenizer's order, decoded with a KV cache under the
        column masks; label-first models write ``label`` as the forced first token."""
        torch = torch_module()
        tok = self.tokenizer_
        model = self.modules_["gpt"]
        allowed = self._mask(allowed_only=True)
        order = self._permutation(self._layout)
        out = np.empty((n, len(order)), dtype=np.int64)
        chunk = 2048
        with torch.no_grad():
            for lo in range(0, n, chunk):
                m = min(chunk, n - lo)
                caches: list[list[Any]] = [[None, None] for _ in range(self.n_layers)]
                step = torch.full((m, 1), self._layout, dtype=torch.long, device=self.device_)  # BOS
                cols = []
                for k in range(len(order)):
                    logits = model(step, start=k, caches=caches)[:, -1]
                    if k == 0 and label is not None and self._layout == LABEL_FIRST:
                        step = torch.full((m, 1), int(tok.offsets[0] + label), dtype=torch.long, device=self.device_)
                    else:
                        logits = (logits / float(self.temperature)).masked_fill(~allowed[k], float("-inf"))
                        probs = torch.softmax(logits.float(), dim=-1).cpu()
                        if self.top_p < 1.0:
                            probs = _nucleus(probs, float(self.top_p))
                        step = torch.multinomial(probs, 1, generator=gen).to(self.device_)
                    cols.append(step)
                out[lo : lo + m, order] = torch.cat(cols, dim=1).cpu().numpy()
        return out

    def _sample(self, n: int, conditions: dict[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        quota = self._class_plan(n, conditions)
        gen = self._torch_generator(rng)
        with self._threads():
            if self._layout == LABEL_FIRST:
                tokens = np.concatenate([self._draw(k, c, gen) for c, k in quota.items()])
            else:
                tokens = self._draw_by_quota(quota, gen)
        num, cod = self.tokenizer_.decode(tokens, len(self.spec_.numerical), len(self.spec_.categorical), rng)
        if len(quota) > 1:
            perm = rng.permutation(len(num))
            num, cod = num[perm], cod[perm]
        return num, cod

    def _draw_by_quota(self, quota: dict[int, int], gen: Any) -> np.ndarray:
        """Label-last rows meeting ``quota`` (class code -> rows), grouped by class.

        Whole rows are drawn (the label decided by every other column, as a classifier's
        would) and each class keeps the rows it still needs, so the kept rows are exact draws
        of the model's rows of that class. The draws stop at ``REJECTION_BUDGET`` times the
        number a class's training share predicts; what is still missing then is reported with
        a :class:`SamplingShortfallWarning` (it means the model writes that class far less
        often than the training rows have it; ``label_position="first"`` forces the label).
        """
        offset = int(self.tokenizer_.offsets[0])
        share = self.class_counts_ / self.class_counts_.sum()
        need = dict(quota)
        budget = math.ceil(REJECTION_BUDGET * max(k / share[c] for c, k in quota.items()))
        kept: dict[int, list[np.ndarray]] = {c: [] for c in quota}
        while budget > 0 and any(need.values()):
            m = min(budget, 65_536, max(16, math.ceil(1.1 * max(k / share[c] for c, k in need.items() if k))))
            rows = self._draw(m, None, gen)
            budget -= m
            for c in need:
                got = rows[rows[:, 0] - offset == c][: need[c]]
                kept[c].append(got)
                need[c] -= len(got)
        missing = {self.label_categories[c]: k for c, k in need.items() if k}
        if missing:
            warnings.warn(
                f"TabularGPT wrote too few rows of some classes within its budget of draws; missing "
                f"{missing} of {sum(quota.values())} requested rows. Refit with label_position='first' "
                "to force the label instead of drawing it.",
                SamplingShortfallWarning,
                stacklevel=4,
            )
        return np.concatenate([x for c in quota for x in kept[c]])

    def perplexity(self, table: Any) -> float:
        """``exp`` of the mean token cross-entropy (natural log) of ``table``'s rows under the
        model: every token of every row, the label included, given the tokens before it, in
        the fitted layout (label last or first).

        Lower = more likely. Comparing the training rows, fresh real rows and synthetic rows
        shows memorisation (see :func:`tabaugment.evaluation.privacy.data_leakage_test`).
        Numbers outside the training range fall in the outer bins; categories never seen in
        training raise, naming the column.
        """
        self._check_fitted()
        from tabaugment.data.io import to_pandas

        torch = torch_module()
        F = torch.nn.functional
        frame = to_pandas(table)
        num, codes = self.spec_.encode(frame)
        seqs = self._sequences(self.tokenizer_.encode(num, codes))
        mask = self._mask(allowed_only=False)
        model = self.modules_["gpt"]
        total, count = 0.0, 0
        with self._threads(), torch.no_grad():
            for lo in range(0, len(seqs), 2048):
                rows = torch.as_tensor(seqs[lo : lo + 2048], device=self.device_)
                logits = model(rows[:, :-1]).masked_fill(~mask, float("-inf"))
                target = rows[:, 1:].reshape(-1)
                total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target, reduction="sum"))
                count += target.numel()
        return float(np.exp(total / max(count, 1)))

    # ------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        tok_state, arrays = self.tokenizer_.state()
        arrays.update(state_arrays("gpt", self.modules_["gpt"]))
        arrays["class_counts"] = self.class_counts_
        state = {"tokenizer": tok_state, "history": self.history_, "label_position": self.label_position_}
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if "label_position" not in state:
            raise ModelFileError(
                "This TabularGPT file was written by a development version whose rows had one layout "
                "(label first, one start token); this version cannot read its vocabulary. Refit the generator."
            )
        self.label_position_ = state["label_position"]
        self.tokenizer_ = RowTokenizer.from_state(state["tokenizer"], arrays)
        self.class_counts_ = arrays["class_counts"]
        self.history_ = state["history"]
        self.device_ = resolve_device(self.device)
        self._check_shapes(arrays)
        self.modules_ = self._build_modules(self._seed())
        load_state_arrays("gpt", self.modules_["gpt"], arrays)
        self.modules_["gpt"].to(self.device_).eval()
