"""LLM Effectiveness (LLE, from HARMONIC): train a language-model classifier on (synthetic)
rows, score it on real rows.

The classifier is a local causal LM fine-tuned on rows written as text with the label last
(``"age is 39, ..., class is good"``). A test row's class probabilities are the model's
likelihoods of each label spelling after the row's features, normalised over the classes.
Comparing LLE of synthetic rows with LLE of the same number of real training rows tells
whether the synthetic rows teach an LM what real rows teach it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tabaugment.data.io import to_pandas
from tabaugment.exceptions import DataError

__all__ = ["lm_effectiveness"]


def lm_effectiveness(
    train: Any,
    test: Any,
    target: str,
    *,
    model_path: str = "smollm2",
    epochs: int = 2,
    lora: bool = True,
    learning_rate: float | None = None,
    batch_size: int = 8,
    n_threads: int = 1,
    device: str = "auto",
    random_state: int = 0,
) -> dict[str, Any]:
    """Fine-tune the local LM at ``model_path`` on ``train`` and score ``test``.

    Returns ``{"roc_auc", "accuracy", "log_loss", "n_train", "n_test", "classes"}`` (ROC-AUC
    one-vs-rest macro for more than two classes). Labels of ``test`` unseen in ``train`` raise.
    """
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    from tabaugment.generators._torch import torch_module

    train_df, test_df = to_pandas(train), to_pandas(test)
    clf = _label_last_class()(
        model_path=model_path,
        epochs=epochs,
        lora=lora,
        learning_rate=learning_rate,
        batch_size=batch_size,
        permute=False,
        n_threads=n_threads,
        device=device,
        random_state=random_state,
    )
    clf.fit(train_df, target)
    spec = clf.spec_
    classes = list(spec.categories[target])
    seen = set(train_df[target].dropna().unique())
    unseen = sorted(map(str, set(test_df[target].dropna().unique()) - seen))
    if unseen:
        raise DataError(f"Test labels {unseen} of column {target!r} never occur in the training rows.")
    num, codes = spec.encode(test_df)
    t = clf.target_index
    k_target = next(k for k, c in enumerate(clf.codecs_) if c.column == target)
    order = [k for k in range(len(clf.codecs_)) if k != k_target] + [k_target]
    present = [c for c in range(len(classes)) if classes[c] in seen]
    torch = torch_module()
    scores = np.zeros((len(num), len(present)))
    with clf._threads(), torch.no_grad():
        for j, c in enumerate(present):
            codes_c = codes.copy()
            codes_c[:, t] = c
            examples = []
            for i in range(len(num)):
                ids, mask = clf._row_pieces(order, num, codes_c, i)
                label_start = len(ids) - len(clf._close_ids()) - len(clf._ids(" " + clf.codecs_[k_target].spellings[c]))
                only_label = [m and p >= label_start for p, m in enumerate(mask)]
                examples.append(([clf._bos, *ids], [False, *only_label]))
            scores[:, j] = _sequence_log_likelihood(clf, examples)
    scores -= scores.max(axis=1, keepdims=True)
    proba = np.exp(scores)
    proba /= proba.sum(axis=1, keepdims=True)
    y = np.array([present.index(int(v)) if int(v) in present else -1 for v in codes[:, t]])
    out: dict[str, Any] = {
        "accuracy": float(accuracy_score(y, proba.argmax(axis=1))),
        "log_loss": float(log_loss(y, proba, labels=list(range(len(present))))),
        "n_train": len(train_df),
        "n_test": len(test_df),
        "classes": [str(classes[c]) for c in present],
    }
    if len(np.unique(y)) < 2:
        out["roc_auc"] = float("nan")
    elif len(present) == 2:
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
    else:
        out["roc_auc"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=list(range(len(present)))))
    return out


def _sequence_log_likelihood(clf: Any, examples: list[tuple[list[int], list[bool]]]) -> np.ndarray:
    """Summed log-likelihood of the masked tokens of each example."""
    from tabaugment.generators._torch import torch_module

    torch = torch_module()
    out = np.zeros(len(examples))
    size = max(1, int(clf.max_batch_tokens) // max(len(e[0]) for e in examples))
    for lo in range(0, len(examples), size):
        part = examples[lo : lo + size]
        ids, att, labels = clf._collate(part)
        logits = clf.model_(input_ids=ids, attention_mask=att).logits[:, :-1].float()
        target = labels[:, 1:]
        logp = torch.log_softmax(logits, dim=-1)
        picked = logp.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        picked = picked.masked_fill(target == -100, 0.0)
        out[lo : lo + len(part)] = picked.sum(dim=1).cpu().numpy()
    return out


@functools.cache
def _label_last_class() -> type:
    """GReaT with the label written last (made on first use: importing this module stays light)."""
    from tabaugment.generators._great import GReaT

    class LabelLast(GReaT):
        """GReaT with the label written last, so the LM reads features before the label."""

        def _order(self, rng: np.random.Generator, first: list[int]) -> list[int]:
            k_target = next(k for k, c in enumerate(self.codecs_) if c.column == self.spec_.target)
            return [k for k in range(len(self.codecs_)) if k != k_target] + [k_target]

    return LabelLast
