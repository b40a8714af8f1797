"""A local causal LM fine-tuned as a classifier (the model behind LLM Effectiveness).

Rows are written as text with the label last (``"age is 39, ..., class is good"``); a row's
class probabilities are the model's likelihoods of each label spelling after the row's
features, normalised over the classes seen in training.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._random import RandomState
from tabaugment.data.io import to_pandas
from tabaugment.exceptions import DataError, NotFittedError, ParameterError
from tabaugment.generators.lm._great import GReaT
from tabaugment.generators.lm._training import Example, collate, row_log_likelihood
from tabaugment.generators.neural._torch import torch_module

__all__ = ["LMClassifier"]

logger = logging.getLogger(__name__)


class _LabelLast(GReaT):
    """GReaT with the label written last, so the LM reads the features before the label."""

    def _order(self, rng: np.random.Generator, first: list[int]) -> list[int]:
        k_target = next(k for k, c in enumerate(self.codecs_) if c.column == self.spec_.target)
        return [k for k in range(len(self.codecs_)) if k != k_target] + [k_target]


class LMClassifier:
    """Fine-tune the local LM at ``model_path`` on labelled rows; predict class probabilities.

    Parameters are those of :class:`~tabaugment.generators.GReaT` that matter for training,
    and ``min_steps``: the fewest optimiser steps it trains for. On a few rows ``epochs`` alone
    can mean one or two steps, after which different training sets give the same classifier;
    so the epochs are raised to reach ``min_steps`` (``epochs_`` and ``steps_`` say what ran).
    After :meth:`fit`, ``classes_`` holds the labels seen in training, in the order of the
    columns of :meth:`predict_proba`.
    """

    def __init__(
        self,
        *,
        model_path: str = "smollm2",
        epochs: int = 2,
        lora: bool = True,
        learning_rate: float | None = None,
        batch_size: int = 8,
        min_steps: int = 50,
        n_threads: int = 1,
        device: str = "auto",
        random_state: RandomState = 0,
    ) -> None:
        self.model_path = model_path
        self.epochs = epochs
        self.min_steps = min_steps
        self.lora = lora
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state

    def fit(self, table: Any, target: str) -> LMClassifier:
        """Fine-tune on ``table``'s rows (features and the label column ``target``)."""
        frame = to_pandas(table)
        if int(self.min_steps) < 0 or int(self.epochs) < 1 or int(self.batch_size) < 1:
            raise ParameterError(
                f"LMClassifier needs epochs >= 1, batch_size >= 1 and min_steps >= 0; got epochs={self.epochs}, "
                f"batch_size={self.batch_size}, min_steps={self.min_steps}."
            )
        per_epoch = max(1, math.ceil(len(frame) / int(self.batch_size)))
        self.epochs_ = max(int(self.epochs), math.ceil(int(self.min_steps) / per_epoch))
        self.steps_ = self.epochs_ * per_epoch
        if self.epochs_ > int(self.epochs):
            logger.info(
                "LMClassifier: %d rows make %d step(s) per epoch; training %d epochs (%d steps) to reach min_steps=%d",
                len(frame), per_epoch, self.epochs_, self.steps_, self.min_steps,
            )  # fmt: skip
        lm = _LabelLast(
            model_path=self.model_path,
            epochs=self.epochs_,
            lora=self.lora,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            permute=False,
            n_threads=self.n_threads,
            device=self.device,
            random_state=self.random_state,
        )
        lm.fit(frame, target)
        categories = list(lm.spec_.categories[target])
        seen = set(frame[target].dropna().unique())
        self.lm_ = lm
        self.target_ = target
        self._codes = [c for c in range(len(categories)) if categories[c] in seen]
        self.classes_ = [categories[c] for c in self._codes]
        return self

    def class_index(self, table: Any) -> np.ndarray:
        """Each row's position in ``classes_``; labels never seen in training raise."""
        frame = self._frame(table)
        unseen = sorted(map(str, set(frame[self.target_].dropna().unique()) - set(self.classes_)))
        if unseen:
            raise DataError(f"Test labels {unseen} of column {self.target_!r} never occur in the training rows.")
        _, codes = self.lm_.spec_.encode(frame)
        labels = codes[:, self.lm_.label_index]
        return np.array([self._codes.index(int(v)) if int(v) in self._codes else -1 for v in labels])

    def predict_proba(self, table: Any) -> np.ndarray:
        """Class probabilities of every row, one column per entry of ``classes_``."""
        frame = self._frame(table)
        lm = self.lm_
        num, codes = lm.spec_.encode(frame)
        t = lm.label_index
        k_target = next(k for k, c in enumerate(lm.codecs_) if c.column == self.target_)
        order = [k for k in range(len(lm.codecs_)) if k != k_target] + [k_target]
        tokens = lm.tokens_
        torch = torch_module()
        scores = np.zeros((len(num), len(self._codes)))
        with lm._threads(), torch.no_grad():
            for j, c in enumerate(self._codes):
                codes_c = codes.copy()
                codes_c[:, t] = c
                examples = []
                for i in range(len(num)):
                    ids, mask = tokens.row_pieces(order, num, codes_c, i)
                    label_start = (
                        len(ids) - len(tokens.close_ids()) - len(tokens.ids(" " + lm.codecs_[k_target].spellings[c]))
                    )
                    only_label = [m and p >= label_start for p, m in enumerate(mask)]
                    examples.append(([tokens.bos, *ids], [False, *only_label]))
                scores[:, j] = self._log_likelihood(examples)
        scores -= scores.max(axis=1, keepdims=True)
        proba = np.exp(scores)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def _frame(self, table: Any) -> pd.DataFrame:
        if not hasattr(self, "lm_"):
            raise NotFittedError("This LMClassifier is not fitted yet; call fit first.")
        return to_pandas(table)

    def _log_likelihood(self, examples: list[Example]) -> np.ndarray:
        """Summed log-likelihood of the masked tokens of each example."""
        lm = self.lm_
        out = np.zeros(len(examples))
        size = max(1, int(lm.max_batch_tokens) // max(len(e[0]) for e in examples))
        for lo in range(0, len(examples), size):
            part = examples[lo : lo + size]
            ids, att, labels = collate(part, lm.tokens_.pad, lm.device_)
            out[lo : lo + len(part)] = row_log_likelihood(lm.model_, ids, att, labels)
        return out
