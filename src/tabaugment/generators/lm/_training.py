"""Fine-tuning a causal LM on (token ids, loss mask) examples, in bounded memory.

An example is a list of token ids and a mask of the tokens that are trained on (a row's
values, not the prompt or the column names). Batches are split into micro-batches of at most
``max_batch_tokens`` padded tokens whose gradients accumulate, so the update equals the whole
batch's; the output layer runs only at trained positions, where full-vocabulary logits would
otherwise dominate memory.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tabaugment._progress import progress_bar
from tabaugment.exceptions import DataError
from tabaugment.generators.neural._torch import torch_module

__all__ = ["Example", "collate", "context_limit", "fine_tune", "micro_batches", "token_loss"]

#: Positions whose logits over the vocabulary exist at once (see :func:`token_loss`).
_LOGIT_ROWS = 256

#: Token ids and the mask of the tokens trained on.
Example = tuple[list[int], list[bool]]


def fine_tune(
    model: Any,
    make_examples: Callable[[], list[Example]],
    rng: np.random.Generator,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    max_batch_tokens: int,
    pad: int,
    device: Any,
    gradient_checkpointing: bool = True,
    progress: bool = False,
    desc: str = "fine-tuning",
) -> list[dict[str, float]]:
    """AdamW with linear warm-up and decay; ``make_examples()`` is called once per epoch (fresh
    column orders and prompts). Returns one history row per epoch.

    With ``gradient_checkpointing`` (and a model that supports it), each layer keeps only its
    input for the backward pass and recomputes the rest, dropout included (torch restores the
    random state), so the update is the same and the activations stop growing with the depth.
    """
    _return_freed_memory()
    with _activation_checkpointing(_base_lm(model), gradient_checkpointing):
        return _fine_tune(
            model,
            make_examples,
            rng,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            max_batch_tokens=max_batch_tokens,
            pad=pad,
            device=device,
            progress=progress,
            desc=desc,
        )


def _base_lm(model: Any) -> Any:
    """The transformers model under a peft wrapper (or the model itself)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


@contextlib.contextmanager
def _activation_checkpointing(lm: Any, enabled: bool) -> Iterator[None]:
    """Non-reentrant checkpointing of ``lm``'s layers while the block runs, where it supports it."""
    if not (enabled and getattr(lm, "supports_gradient_checkpointing", False)):
        yield
        return
    # transformers 5 renamed the switches (activation_checkpointing_*); older ones have only these
    if hasattr(lm, "activation_checkpointing_enable"):
        lm.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        disable = lm.activation_checkpointing_disable
    else:
        lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        disable = lm.gradient_checkpointing_disable
    try:
        yield
    finally:
        disable()


_MMAP_THRESHOLD = 1 << 20


@functools.cache
def _return_freed_memory() -> None:
    """Have glibc serve allocations of 1 MiB and more with their own pages, returned on free.

    A backward pass frees activations of a few MB in an order glibc's heap cannot reuse well:
    fine-tuning SmolLM2-135M on batches of about 1,300 tokens grew the heap by about 1.4 GB
    per step while under 100 MB was live. With a fixed threshold the pages go back to the system
    on free (measured once: peak memory of a GReaT fit from 2.9 GB to 1.5 GB, 113 s against 110 s).
    Process-wide and once; a no-op where the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is not None and hasattr(libc, "gnu_get_libc_version"):
            mallopt(-3, _MMAP_THRESHOLD)  # M_MMAP_THRESHOLD
    except OSError:
        pass


def _fine_tune(
    model: Any,
    make_examples: Callable[[], list[Example]],
    rng: np.random.Generator,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    max_batch_tokens: int,
    pad: int,
    device: Any,
    progress: bool,
    desc: str,
) -> list[dict[str, float]]:
    torch = torch_module()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.0)
    first = make_examples()
    steps_per_epoch = math.ceil(len(first) / int(batch_size))
    total = steps_per_epoch * int(epochs)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / max(total, 1))
    )
    history = []
    limit = context_limit(model)
    with progress_bar(progress, total=total, desc=desc, unit="batch") as bar:
        for epoch in range(int(epochs)):
            examples = first if epoch == 0 else make_examples()
            too_long = max(len(ids) for ids, _ in examples)
            if limit and too_long > limit:
                raise DataError(
                    f"A training example of {desc} has {too_long} tokens, more than the model's context of "
                    f"{limit}. Use fewer columns or fewer neighbours."
                )
            model.train()
            order = rng.permutation(len(examples))
            loss_sum, tokens, t0 = 0.0, 0, time.perf_counter()
            for lo in range(0, len(order), int(batch_size)):
                batch = [examples[i] for i in order[lo : lo + int(batch_size)]]
                n_labelled = sum(int(np.sum(m[1:])) for _, m in batch)
                opt.zero_grad()
                value = 0.0
                for part in micro_batches(batch, max_batch_tokens):
                    ids, att, labels = collate(part, pad, device)
                    loss, _ = token_loss(model, ids, att, labels, "sum")
                    (loss / max(n_labelled, 1)).backward()
                    value += loss.item()
                    tokens += int(att.sum())
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                loss_sum += value
                value /= max(n_labelled, 1)
                bar.update(1)
                bar.set_postfix_str(f"epoch={epoch} loss={value:.3f}")
            history.append(
                {
                    "epoch": epoch,
                    "loss": loss_sum / max(1, sum(int(np.sum(m[1:])) for _, m in examples)),
                    "examples": len(examples),
                    "tokens": tokens,
                    "seconds": time.perf_counter() - t0,
                }
            )
    return history


def micro_batches(batch: list[Example], max_batch_tokens: int) -> list[list[Example]]:
    """Split a batch so no forward pass holds more than ``max_batch_tokens`` padded tokens
    (gradients accumulate over the parts, so the update is the same)."""
    parts: list[list[Example]] = [[]]
    width = 0
    for ex in sorted(batch, key=lambda e: len(e[0])):
        w = max(width, len(ex[0]))
        if parts[-1] and w * (len(parts[-1]) + 1) > int(max_batch_tokens):
            parts.append([])
            w = len(ex[0])
        parts[-1].append(ex)
        width = w
    return parts


def token_loss(model: Any, ids: Any, att: Any, labels: Any, reduction: str) -> tuple[Any, int]:
    """Cross-entropy (natural log) of the labelled tokens given the tokens before them, and
    how many tokens were labelled.

    The output layer runs only at labelled positions, and there in slices of at most
    ``_LOGIT_ROWS`` positions: when gradients are on, each slice's logits are recomputed in the
    backward pass instead of kept, so logits over the whole vocabulary never exist for more than
    one slice at a time (for a 49k-token vocabulary and 2,048 positions they would take 0.4 GB,
    twice over with their gradient).
    """
    torch = torch_module()
    head, kept, wanted, keep = _labelled_states(model, ids, att, labels)

    def slice_loss(h: Any, t: Any) -> Any:
        return torch.nn.functional.cross_entropy(head(h).float(), t, reduction="sum")

    total: Any = None
    for lo in range(0, max(len(wanted), 1), _LOGIT_ROWS):  # once even when nothing is labelled
        h, t = kept[lo : lo + _LOGIT_ROWS], wanted[lo : lo + _LOGIT_ROWS]
        if torch.is_grad_enabled() and h.requires_grad:
            part = torch.utils.checkpoint.checkpoint(slice_loss, h, t, use_reentrant=False)
        else:
            part = slice_loss(h, t)
        total = part if total is None else total + part
    n = int(keep.sum())
    if reduction == "mean":
        return total / max(n, 1), n
    return total, n


def row_log_likelihood(model: Any, ids: Any, att: Any, labels: Any) -> np.ndarray:
    """Each row's summed log-likelihood (natural log) of its labelled tokens, without gradients.

    As in :func:`token_loss`, the output layer runs only at labelled positions, in slices of at
    most ``_LOGIT_ROWS`` positions, so scoring never holds logits over the whole vocabulary
    for every position of a batch.
    """
    torch = torch_module()
    with torch.no_grad():
        head, kept, wanted, keep = _labelled_states(model, ids, att, labels)
        rows = keep.nonzero()[:, 0]
        out = torch.zeros(ids.shape[0], dtype=torch.float64, device=kept.device)
        for lo in range(0, len(wanted), _LOGIT_ROWS):
            logits = head(kept[lo : lo + _LOGIT_ROWS]).float()
            nll = torch.nn.functional.cross_entropy(logits, wanted[lo : lo + _LOGIT_ROWS], reduction="none")
            out.index_add_(0, rows[lo : lo + _LOGIT_ROWS], -nll.double())
    return np.asarray(out.cpu().numpy(), dtype=np.float64)


def _labelled_states(model: Any, ids: Any, att: Any, labels: Any) -> tuple[Any, Any, Any, Any]:
    """The output layer, the last hidden states at labelled positions, the tokens they predict
    and the mask of those positions (shifted by one: position ``p`` predicts token ``p + 1``)."""
    lm = _base_lm(model)
    body = getattr(lm, lm.base_model_prefix)
    hidden = body(input_ids=ids, attention_mask=att, use_cache=False).last_hidden_state[:, :-1]
    target = labels[:, 1:]
    keep = target != -100
    return lm.get_output_embeddings(), hidden[keep], target[keep], keep


def context_limit(model: Any) -> int | None:
    """The model's longest sequence, when its config says."""
    cfg = model.config
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(cfg, name, None)
        if isinstance(value, int):
            return value
    return None


def collate(batch: list[Example], pad: int, device: Any) -> tuple[Any, Any, Any]:
    """Right-padded ``(input ids, attention mask, labels)`` tensors; labels are -100 where the
    mask is off."""
    torch = torch_module()
    width = max(len(ids) for ids, _ in batch)
    ids = np.full((len(batch), width), pad, dtype=np.int64)
    att = np.zeros((len(batch), width), dtype=np.int64)
    labels = np.full((len(batch), width), -100, dtype=np.int64)
    for r, (seq, mask) in enumerate(batch):
        ids[r, : len(seq)] = seq
        att[r, : len(seq)] = 1
        m = np.asarray(mask, dtype=bool)
        labels[r, : len(seq)][m] = np.asarray(seq)[m]
    return (
        torch.as_tensor(ids, device=device),
        torch.as_tensor(att, device=device),
        torch.as_tensor(labels, device=device),
    )
