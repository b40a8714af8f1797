"""Constrained, batch-synchronous decoding of rows from a causal LM with a KV cache.

Each step every running row takes one token: a forced one (a column name, a conditioned
value, the closing piece) or one drawn among the tokens its column's constraint allows (the
category trie, or the number automaton, which with ``within_range`` also removes any digit
after which the number could no longer end inside the training range). So every finished row
parses into the fitted columns; a row that cannot finish gets the reason as its result.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from tabaugment.generators.lm._text import ColumnCodec, NumberAutomaton, number_in_range, number_prefix_ok
from tabaugment.generators.lm._tokens import RowPlan, RowTokens
from tabaugment.generators.neural._torch import torch_module

__all__ = ["ConstrainedDecoder"]


@dataclasses.dataclass
class _Cursor:
    plan: RowPlan
    seg: int = 0
    pos: int = 0
    state: int = 0
    value_ids: list[int] = dataclasses.field(default_factory=list)
    text: str = ""
    values: dict[int, float] = dataclasses.field(default_factory=dict)
    status: str = "run"


class ConstrainedDecoder:
    """Draws rows from plans under the per-column constraints of ``tokens``."""

    def __init__(self, tokens: RowTokens, *, within_range: bool) -> None:
        self.tokens = tokens
        self.within_range = within_range

    def decode(
        self,
        model: Any,
        plans: list[RowPlan],
        rng: np.random.Generator,
        deadline: float | None,
        *,
        temperature: float,
        device: Any,
    ) -> list[Any]:
        """Draw every plan's row; each result is ``{column position: code or number}`` or the
        reason the row was rejected."""
        torch = torch_module()
        pad = self.tokens.pad
        B = len(plans)
        width = max(len(p.prompt) for p in plans)
        ids = np.full((B, width), pad, dtype=np.int64)
        att = np.zeros((B, width), dtype=np.int64)
        for i, p in enumerate(plans):
            ids[i, width - len(p.prompt) :] = p.prompt
            att[i, width - len(p.prompt) :] = 1
        att_t = torch.as_tensor(att, device=device)
        pos = (att_t.cumsum(1) - 1).clamp(min=0)
        cursors = [_Cursor(plan=p, values=dict(p.fixed)) for p in plans]
        inv_t = 1.0 / float(temperature)
        with torch.no_grad():
            out = model(
                input_ids=torch.as_tensor(ids, device=device),
                attention_mask=att_t,
                position_ids=pos,
                use_cache=True,
                logits_to_keep=1,  # only the last position: full-vocabulary logits of long prompts are large
            )
            cache, last = out.past_key_values, pos[:, -1]
            logits = out.logits[:, -1]
            while True:
                if deadline is not None and time.monotonic() >= deadline:
                    for c in cursors:
                        if c.status == "run":
                            c.status = "time budget"
                    break
                running = [i for i, c in enumerate(cursors) if c.status == "run"]
                if not running:
                    break
                scores = (logits.float() * inv_t).cpu().numpy()
                step = np.full(B, pad, dtype=np.int64)
                for i in running:
                    step[i] = self._advance(cursors[i], scores[i], rng)
                att_t = torch.cat([att_t, torch.ones((B, 1), dtype=att_t.dtype, device=device)], dim=1)
                last = last + 1
                out = model(
                    input_ids=torch.as_tensor(step[:, None], device=device),
                    attention_mask=att_t,
                    position_ids=last[:, None],
                    past_key_values=cache,
                    use_cache=True,
                )
                cache, logits = out.past_key_values, out.logits[:, -1]
        return [c.values if c.status == "done" else c.status for c in cursors]

    def _advance(self, c: _Cursor, scores: np.ndarray, rng: np.random.Generator) -> int:
        """The next token of one row: forced, or drawn among the tokens its column allows."""
        tokens = self.tokens
        kind, what = c.plan.segments[c.seg]
        if kind == "force":
            tok = int(what[c.pos])
            c.pos += 1
            self._after_force(c)
            return tok
        k = int(what)
        end = int(c.plan.segments[c.seg + 1][1][0])
        if k in tokens.tries:
            trie = tokens.tries[k]
            options, targets = trie.options[c.state], trie.targets[c.state]
            accepting = trie.terminal[c.state] >= 0
        else:
            auto, allowed, nxt, cap = tokens.numbers[k]
            options, targets = allowed[c.state], nxt[c.state]
            accepting = bool(auto.accepting[c.state])
            if len(c.value_ids) >= cap:
                options, targets = options[:0], targets[:0]
            elif self.within_range:
                options, targets, accepting = self._in_range(k, c, auto, options, targets, accepting)
        if accepting:
            keep = options != end
            options = np.append(options[keep], end)
            targets = np.append(targets[keep], -1)
        if len(options) == 0:
            c.status = f"{tokens.codecs[k].column}: value too long"
            return tokens.pad
        z = scores[options]
        z = np.exp(z - z.max())
        choice = int(rng.choice(len(options), p=z / z.sum()))
        tok = int(options[choice])
        if targets[choice] >= 0:
            c.state = int(targets[choice])
            c.value_ids.append(tok)
            c.text += tokens.strings[tok]
            return tok
        reason = self._finish_value(c, k)
        if reason:
            c.status = reason
            return tokens.pad
        c.seg += 1
        c.pos = 1  # the end token is the first token of the next forced piece
        c.state = 0
        c.value_ids = []
        c.text = ""
        self._after_force(c)
        return tok

    def _in_range(
        self, k: int, c: _Cursor, auto: NumberAutomaton, options: np.ndarray, targets: np.ndarray, accepting: bool
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Keep the tokens after which the number can still end inside the training range
        (the missing-value word is always allowed where the column had missing values)."""
        codec = self.tokens.codecs[k]
        strings = self.tokens.strings
        decimals = 0 if codec.integer else codec.decimals
        keep = np.fromiter(
            (
                t >= auto.MISSING
                or number_prefix_ok((c.text + strings[o]).lstrip(" "), codec.low, codec.high, decimals)
                for o, t in zip(options.tolist(), targets.tolist())
            ),
            dtype=bool,
            count=len(options),
        )
        if accepting and c.state < auto.MISSING:
            accepting = number_in_range(c.text, codec.low, codec.high)
        return options[keep], targets[keep], accepting

    @staticmethod
    def _after_force(c: _Cursor) -> None:
        if c.pos < len(c.plan.segments[c.seg][1]):
            return
        c.seg += 1
        c.pos = 0
        c.state = 0
        if c.seg == len(c.plan.segments):
            c.status = "done"

    def _finish_value(self, c: _Cursor, k: int) -> str | None:
        codec: ColumnCodec = self.tokens.codecs[k]
        if codec.kind == "cat":
            code = self.tokens.tries[k].terminal[c.state]
            c.values[k] = -1 if code >= len(codec.spellings) - int(codec.has_missing) else code
            return None
        text = "".join(self.tokens.strings[t] for t in c.value_ids)
        try:
            x = codec.parse(text, self.tokens.format)
        except ValueError:
            return f"{codec.column}: unreadable number"
        if self.within_range and np.isfinite(x) and not (codec.low <= x <= codec.high):
            return f"{codec.column}: outside the training range"
        c.values[k] = x
        return None
