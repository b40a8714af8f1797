"""Rows as token ids for one tokenizer: the pieces training writes and sampling forces.

:class:`RowTokens` tokenises every piece of a row (column names, values, the closing piece)
on its own, so that training examples and constrained sampling see the same token ids, and
builds each column's constraint: a trie of the category spellings, or a number automaton
compiled over the vocabulary (:mod:`._text`). :class:`RowPlan` says what one sampled row
looks like before it is drawn.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tabaugment.generators.lm._text import ColumnCodec, NumberAutomaton, RowFormat, TokenTrie, token_strings

__all__ = ["RowPlan", "RowTokens", "max_value_tokens"]


@dataclasses.dataclass
class RowPlan:
    """What one sampled row looks like before it is drawn.

    ``segments``: ``("force", token ids)`` or ``("value", column position)``; every value
    segment is followed by a force segment whose first token ends the value.
    ``fixed``: values already decided (conditions), by column position.
    """

    prompt: list[int]
    segments: list[tuple[str, Any]]
    fixed: dict[int, float]


def max_value_tokens(tokenizer: Any, codecs: list[ColumnCodec], fmt: RowFormat, num: np.ndarray) -> list[int]:
    """Per column position: the most tokens a number of that column may take (0 for categories)."""
    out = []
    for codec in codecs:
        if codec.kind == "cat":
            out.append(0)
            continue
        col = num[:, codec.index]
        texts = {codec.render(v, fmt) for v in col[: min(len(col), 20000)]}
        out.append(max(len(tokenizer.encode(" " + t, add_special_tokens=False)) for t in texts) + 2)
    return out


class RowTokens:
    """Token ids of row pieces and the per-column constraints, for one tokenizer.

    Attributes
    ----------
    eos, bos, pad : special token ids (``pad`` is the end-of-text token when the tokenizer has none).
    strings : the text of every token id.
    tries : column position -> :class:`TokenTrie` of its category spellings.
    numbers : column position -> (automaton, allowed tokens per state, next states, most tokens).
    """

    def __init__(self, tokenizer: Any, codecs: list[ColumnCodec], fmt: RowFormat, max_tokens: list[int]) -> None:
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.tokenizer = tokenizer
        self.codecs = codecs
        self.format = fmt
        self.eos = int(tokenizer.eos_token_id)
        self.bos = int(tokenizer.bos_token_id) if tokenizer.bos_token_id is not None else self.eos
        self.pad = int(tokenizer.pad_token_id)
        self._cache: dict[str, list[int]] = {}
        self.strings = token_strings(tokenizer)
        self.tries: dict[int, TokenTrie] = {}
        self.numbers: dict[int, tuple[NumberAutomaton, list[np.ndarray], list[np.ndarray], int]] = {}
        for k, codec in enumerate(codecs):
            if codec.kind == "cat":
                self.tries[k] = TokenTrie.build([self.ids(" " + s) for s in codec.spellings])
            else:
                auto = NumberAutomaton(
                    integer=codec.integer or codec.decimals == 0,
                    negative=codec.low < 0,
                    missing=fmt.missing if codec.has_missing else None,
                )
                ids, table = auto.compile(self.strings)
                allowed = [ids[table[q] >= 0] for q in range(auto.n_states)]
                nxt = [table[q][table[q] >= 0] for q in range(auto.n_states)]
                self.numbers[k] = (auto, allowed, nxt, int(max_tokens[k]))

    def ids(self, text: str) -> list[int]:
        """Token ids of one piece of text (cached)."""
        ids = self._cache.get(text)
        if ids is None:
            ids = self.tokenizer.encode(text, add_special_tokens=False) if text else []
            self._cache[text] = ids
        return ids

    def name_ids(self, k: int, first: bool) -> list[int]:
        """The name piece of column position ``k`` (``first``: it opens the row)."""
        return self.ids(self.format.name(self.codecs[k].column, first))

    def close_ids(self) -> list[int]:
        """The piece that closes a row, then the end-of-text token."""
        return [*self.ids(self.format.close), self.eos]

    def value_text(self, k: int, num: np.ndarray, codes: np.ndarray, i: int) -> str:
        """Row ``i``'s value of column position ``k`` as text."""
        codec = self.codecs[k]
        value = codes[i, codec.index] if codec.kind == "cat" else num[i, codec.index]
        return codec.render(value, self.format)

    def row_pieces(self, order: list[int], num: np.ndarray, codes: np.ndarray, i: int) -> tuple[list[int], list[bool]]:
        """Token ids of row ``i`` in column ``order`` and its loss mask (value tokens and the
        token that ends each value)."""
        ids: list[int] = []
        mask: list[bool] = []
        for pos, k in enumerate(order):
            name = self.name_ids(k, pos == 0)
            ids += name
            mask += [pos > 0] + [False] * (len(name) - 1) if name else []
            value = self.ids(" " + self.value_text(k, num, codes, i))
            ids += value
            mask += [True] * len(value)
        close = self.close_ids()
        ids += close
        mask += [True] + [False] * (len(close) - 1)
        return ids, mask

    def row_plan(self, order: list[int], fixed: dict[int, float], prompt: list[int]) -> RowPlan:
        """Segments for a row whose columns come in ``order``; ``fixed`` (column position ->
        code or number) are written, not drawn."""
        segments: list[tuple[str, Any]] = []
        pending: list[int] = []
        for pos, k in enumerate(order):
            pending += self.name_ids(k, pos == 0)
            if k in fixed:
                pending += self.ids(" " + self.codecs[k].render(fixed[k], self.format))
                continue
            segments.append(("force", pending))
            segments.append(("value", k))
            pending = []
        segments.append(("force", pending + self.close_ids()))
        return RowPlan(prompt=prompt, segments=[s for s in segments if s[0] == "value" or s[1]], fixed=dict(fixed))
