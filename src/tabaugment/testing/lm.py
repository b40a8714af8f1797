"""Tiny local causal language models for offline tests of the LM generators.

``make_tiny_lm(folder, corpus)`` trains a byte-level BPE tokenizer on ``corpus`` and writes
it with a freshly initialised 2-layer GPT-2 (or Llama) to ``folder`` with
``save_pretrained``, so the generators can load it like any local model, without a network.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tabaugment.exceptions import ParameterError

__all__ = ["make_tiny_lm"]


def make_tiny_lm(
    folder: str | os.PathLike[str],
    corpus: Iterable[str],
    *,
    architecture: str = "gpt2",
    vocab_size: int = 400,
    width: int = 64,
    layers: int = 2,
    context: int = 1024,
    seed: int = 0,
) -> Path:
    """Write a tokenizer trained on ``corpus`` and an untrained tiny causal LM to ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = "<|endoftext|>"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[special], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(list(corpus), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=special, bos_token=special, pad_token=special)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(out)
    config: Any
    make: Any
    if architecture == "gpt2":
        config = GPT2Config(
            vocab_size=len(fast),
            n_positions=context,
            n_embd=width,
            n_layer=layers,
            n_head=2,
            bos_token_id=fast.bos_token_id,
            eos_token_id=fast.eos_token_id,
        )
        make = GPT2LMHeadModel
    elif architecture == "llama":
        config = LlamaConfig(
            vocab_size=len(fast),
            hidden_size=width,
            intermediate_size=2 * width,
            num_hidden_layers=layers,
            num_attention_heads=2,
            num_key_value_heads=2,
            max_position_embeddings=context,
            bos_token_id=fast.bos_token_id,
            eos_token_id=fast.eos_token_id,
            pad_token_id=fast.pad_token_id,
        )
        make = LlamaForCausalLM
    else:
        raise ParameterError(f"architecture must be 'gpt2' or 'llama'; got {architecture!r}.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make(config)
    model.save_pretrained(out)
    return out
