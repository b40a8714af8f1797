"""Generators that fine-tune a local pretrained causal LM: GReaT and HARMONIC, and the LM
classifier behind LLM Effectiveness.

Split by job: :mod:`._loading` (local models, LoRA), :mod:`._text` (row formats and the
automata that constrain values), :mod:`._tokens` (rows as token pieces), :mod:`._training`
(fine-tuning in bounded memory), :mod:`._decoding` (constrained sampling with a KV cache) and
:mod:`._base` (the generator that puts them together).
"""
