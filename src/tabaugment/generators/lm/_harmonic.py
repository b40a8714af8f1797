"""HARMONIC: instruction-tune a local LM to write a row like its K nearest neighbours.

Following Wang et al. (2024):

1. **Instruction set.** For each tuning row, a prompt lists its ``n_neighbors`` nearest
   tuning rows (min-max scaled numbers, one-hot categories, the label included) as JSON
   objects, each with its own random feature order; the answer is the row itself.
2. **Filter.** Examples whose row disagrees with the label of most of its neighbours are
   dropped (they teach the model to write the wrong label for a neighbourhood).
3. **Tuning.** LoRA (or full) fine-tuning with the loss on the answer only.
4. **Sampling.** Prompts come from a pool of rows held out of tuning (``prompt_fraction``
   of each class), so no tuning row is ever shown while sampling: a random pool row and its
   nearest pool rows make the examples. With ``conditions={target: label}`` the anchor has
   that label and the answer starts with it.

Ablations of the paper are options: ``prompt_rows="random"`` (random rows instead of KNN),
``filter=False``, ``permute=False``. The prompt pool is part of the saved model (real rows).
"""

from __future__ import annotations

import json
import numbers
from typing import Any, ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.exceptions import DataError
from tabaugment.generators.lm._base import LMGenerator
from tabaugment.generators.lm._tokens import RowPlan
from tabaugment.params import BOOL, Constraints, Interval, Options

__all__ = ["HARMONIC"]

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class HARMONIC(LMGenerator):
    """KNN-prompted instruction tuning of a local causal LM (HARMONIC), constrained sampling.

    Parameters
    ----------
    model_path : a local model folder, ``.gguf`` file, or ``"smollm2"`` (see :class:`GReaT`).
    n_neighbors : example rows per prompt (the paper uses 5).
    prompt_rows : which rows fill a prompt: ``"nearest"`` (the row's nearest neighbours) or
        ``"random"`` (the paper's "w/o KNN" ablation).
    filter : drop tuning examples whose label is not the label of most of their neighbours.
    permute : a random feature order in every JSON row (False: table order).
    prompt_fraction : share of each class kept out of tuning as the prompt pool for sampling.
    lora, lora_r, epochs, batch_size, max_batch_tokens, gradient_checkpointing, learning_rate, temperature,
    sample_batch_size,
    max_attempts, max_seconds, within_range, device, n_threads, random_state, progress :
        as in :class:`GReaT`.

    Attributes
    ----------
    n_examples_ : tuning examples after the filter; ``n_filtered_``: examples it dropped.
    """

    name = "harmonic"
    conditionable: ClassVar[str] = "target"
    row_format = "json"
    _parameter_constraints: ClassVar[Constraints] = {
        "n_neighbors": [Interval(numbers.Integral, 1, len(_WORDS) - 1)],
        "prompt_rows": [Options(("nearest", "random"))],
        "filter": [BOOL],
        "prompt_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    }

    @classmethod
    def _unit_test_params(cls) -> dict[str, Any]:
        return {"n_neighbors": 2, "epochs": 1, "max_attempts": 5}

    def __init__(
        self,
        *,
        model_path: str = "smollm2",
        n_neighbors: int = 5,
        prompt_rows: str = "nearest",
        filter: bool = True,
        permute: bool = True,
        prompt_fraction: float = 0.2,
        lora: bool = True,
        lora_r: int = 8,
        epochs: int = 2,
        batch_size: int = 4,
        max_batch_tokens: int = 2048,
        gradient_checkpointing: bool = True,
        learning_rate: float | None = None,
        temperature: float = 0.7,
        sample_batch_size: int = 16,
        max_attempts: float = 3.0,
        max_seconds: float | None = None,
        within_range: bool = True,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.model_path = model_path
        self.n_neighbors = n_neighbors
        self.prompt_rows = prompt_rows
        self.filter = filter
        self.permute = permute
        self.prompt_fraction = prompt_fraction
        self.lora = lora
        self.lora_r = lora_r
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.gradient_checkpointing = gradient_checkpointing
        self.learning_rate = learning_rate
        self.temperature = temperature
        self.sample_batch_size = sample_batch_size
        self.max_attempts = max_attempts
        self.max_seconds = max_seconds
        self.within_range = within_range
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------ rows and neighbours
    def _features(self, num: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Min-max scaled numbers (missing -> 0.5) and one-hot categories, as KNN sees rows."""
        lo, span = self._scale
        x = (num - lo) / span
        x = np.where(np.isnan(x), 0.5, x)
        parts = [x]
        for j, col in enumerate(self.spec_.categorical):
            k = len(self.spec_.categories[col])
            onehot = np.zeros((len(codes), k + 1))
            onehot[np.arange(len(codes)), np.where(codes[:, j] < 0, k, codes[:, j])] = 1
            parts.append(onehot)
        return np.concatenate(parts, axis=1)

    def _prepare_rows(self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> None:
        from sklearn.neighbors import NearestNeighbors

        K = int(self.n_neighbors)
        lo = np.nanmin(num, axis=0) if num.shape[1] else np.zeros(0)
        hi = np.nanmax(num, axis=0) if num.shape[1] else np.zeros(0)
        self._scale = (lo, np.where(hi > lo, hi - lo, 1.0))
        labels = codes[:, self.label_index]
        pool: list[int] = []
        for code in np.unique(labels):
            rows = np.flatnonzero(labels == code)
            take = round(self.prompt_fraction * len(rows))
            take = min(max(take, 1 if len(rows) > 1 else 0), len(rows) - 1)
            pool += rng.choice(rows, size=take, replace=False).tolist()
        pool_idx = np.sort(np.asarray(pool, dtype=np.int64))
        tune_idx = np.setdiff1d(np.arange(len(num)), pool_idx)
        if len(tune_idx) <= K or len(pool_idx) < K:
            raise DataError(
                f"HARMONIC with n_neighbors={K} needs more than {K} tuning rows and at least {K} prompt rows; "
                f"{len(num)} rows give {len(tune_idx)} and {len(pool_idx)} (prompt_fraction="
                f"{self.prompt_fraction}). Fit on more rows or lower n_neighbors."
            )
        feats = self._features(num[tune_idx], codes[tune_idx])
        if self.prompt_rows == "nearest":
            nn = NearestNeighbors(n_neighbors=K + 1).fit(feats)
            _, idx = nn.kneighbors(feats)
            neigh = np.array([[j for j in row if j != i][:K] for i, row in enumerate(idx)])
        else:
            neigh = np.array(
                [
                    rng.choice(np.delete(np.arange(len(tune_idx)), i), size=K, replace=False)
                    for i in range(len(tune_idx))
                ]
            )
        keep = np.ones(len(tune_idx), dtype=bool)
        if self.filter:
            lab = labels[tune_idx]
            agree = (lab[neigh] == lab[:, None]).sum(axis=1)
            keep = agree > K // 2
            if not keep.any():
                raise DataError(
                    "HARMONIC's filter dropped every tuning example (no row shares the label of most of its "
                    "neighbours). Use filter=False or fit on more rows."
                )
        self.n_examples_ = int(keep.sum())
        self.n_filtered_ = int((~keep).sum())
        self._tune = (num[tune_idx], codes[tune_idx], neigh, keep)
        self._set_pool(num[pool_idx], codes[pool_idx])

    def _set_pool(self, num: np.ndarray, codes: np.ndarray) -> None:
        from sklearn.neighbors import NearestNeighbors

        self.pool_num_, self.pool_codes_ = num, codes
        self._pool_features = self._features(num, codes)
        self._pool_nn = NearestNeighbors(n_neighbors=min(int(self.n_neighbors), len(num))).fit(self._pool_features)

    # ------------------------------------------------------------------ prompts
    def _json_row(self, num: np.ndarray, codes: np.ndarray, i: int, rng: np.random.Generator | None) -> str:
        order = list(range(len(self.codecs_)))
        if self.permute and rng is not None:
            order = [order[j] for j in rng.permutation(len(order))]
        pairs = [(self.codecs_[k].column, self.tokens_.value_text(k, num, codes, i)) for k in order]
        return self._format.render(pairs)

    def _prompt(
        self, num: np.ndarray, codes: np.ndarray, rows: np.ndarray, rng: np.random.Generator | None
    ) -> list[int]:
        spec = self.spec_
        K = len(rows)
        features = [c for c in spec.columns if c != spec.target]
        head = (
            f"Here are {_WORDS[K]} rows of a table, written as JSON. Each row has {len(features)} feature "
            f"columns and the class label {json.dumps(spec.target)}. Write one new row that is similar to "
            "these examples.\n"
        )
        body = "".join(
            f"Example {_WORDS[e + 1]}: {self._json_row(num, codes, int(i), rng)}\n" for e, i in enumerate(rows)
        )
        return [self.tokens_.bos, *self.tokenizer_.encode(head + body + "New row: ", add_special_tokens=False)]

    def _examples(
        self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator
    ) -> list[tuple[list[int], list[bool]]]:
        tnum, tcodes, neigh, keep = self._tune
        out = []
        for i in np.flatnonzero(keep):
            prompt = self._prompt(tnum, tcodes, neigh[i], rng)
            ids, mask = self.tokens_.row_pieces(self._order(rng, []), tnum, tcodes, int(i))
            out.append(([*prompt, *ids], [False] * len(prompt) + mask))
        return out

    def _plans(self, n: int, fixed: dict[int, float], rng: np.random.Generator) -> list[RowPlan]:
        t = next(k for k, c in enumerate(self.codecs_) if c.column == self.spec_.target)
        pool_labels = self.pool_codes_[:, self.label_index]
        anchors = np.arange(len(pool_labels))
        if t in fixed:
            anchors = np.flatnonzero(pool_labels == int(fixed[t]))
            if len(anchors) == 0:
                anchors = np.arange(len(pool_labels))  # no pool row of that class: prompts of any class
        K = min(int(self.n_neighbors), len(pool_labels))
        plans = []
        for _ in range(n):
            a = int(rng.choice(anchors))
            if self.prompt_rows == "nearest":
                _, idx = self._pool_nn.kneighbors(self._pool_features[a : a + 1], n_neighbors=K)
                rows = idx[0]
                rows = rows[rng.permutation(len(rows))]
            else:
                others = np.delete(np.arange(len(pool_labels)), a)
                rows = np.r_[a, rng.choice(others, size=K - 1, replace=False)] if K > 1 else np.array([a])
                rows = rows[rng.permutation(len(rows))]
            prompt = self._prompt(self.pool_num_, self.pool_codes_, rows, rng)
            plans.append(self.tokens_.row_plan(self._order(rng, sorted(fixed)), fixed, prompt))
        return plans

    def _score_examples(self, num: np.ndarray, codes: np.ndarray) -> list[tuple[list[int], list[bool]]]:
        """Each row after a prompt of its nearest pool rows, columns in table order."""
        K = min(int(self.n_neighbors), len(self.pool_num_))
        _, idx = self._pool_nn.kneighbors(self._features(num, codes), n_neighbors=K)
        order = list(range(len(self.codecs_)))
        out = []
        for i in range(len(num)):
            prompt = self._prompt(self.pool_num_, self.pool_codes_, idx[i], None)
            ids, mask = self.tokens_.row_pieces(order, num, codes, i)
            out.append(([*prompt, *ids], [False] * len(prompt) + mask))
        return out

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, arrays = super()._get_state()
        arrays.update(
            {
                "pool_num": self.pool_num_,
                "pool_codes": self.pool_codes_,
                "scale_lo": self._scale[0],
                "scale_span": self._scale[1],
            }
        )
        state["n_examples"], state["n_filtered"] = self.n_examples_, self.n_filtered_
        return state, arrays

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._scale = (arrays["scale_lo"], arrays["scale_span"])
        self.n_examples_, self.n_filtered_ = int(state["n_examples"]), int(state["n_filtered"])
        super()._set_state(state, arrays)
        self._set_pool(arrays["pool_num"], arrays["pool_codes"].astype(np.int64))
