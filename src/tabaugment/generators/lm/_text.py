"""Rows as text for language-model generators, and the automata that keep sampling valid.

A row is written as pieces, each tokenised on its own so that training and constrained
sampling see the same token ids:

- ``"text"`` (GReaT): ``age is 39, workclass is Private``
- ``"json"`` (HARMONIC): ``{"age": 39, "workclass": "Private"}``

A *name* piece (``"age is"``, ``{"age":``) is followed by a *value* piece that starts with a
space (``" 39"``). While sampling, name pieces are forced and value pieces are drawn under a
per-column automaton over token ids: a trie of the category spellings seen in training, or a
character automaton for numbers (optional minus, digits, a decimal point only for
non-integer columns, and the missing-value word where the column had missing values). A
value ends when the model emits the first token of the next piece while the automaton is in
an accepting state, so every sampled row parses into the fitted columns.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from tabaugment.exceptions import DataError, ParameterError
from tabaugment.generators._table import TableSpec

__all__ = ["ColumnCodec", "NumberAutomaton", "RowFormat", "TokenTrie", "build_codecs", "token_strings"]

FORMATS = ("text", "json")


@dataclasses.dataclass(frozen=True)
class RowFormat:
    """How names, values and separators are spelled in one of :data:`FORMATS`."""

    kind: str

    def __post_init__(self) -> None:
        if self.kind not in FORMATS:
            raise ParameterError(f"row format must be one of {FORMATS}; got {self.kind!r}.")

    def name(self, column: str, first: bool) -> str:
        if self.kind == "text":
            return f"{column} is" if first else f", {column} is"
        return ("{" if first else ", ") + json.dumps(str(column)) + ":"

    @property
    def close(self) -> str:
        return "" if self.kind == "text" else "}"

    @property
    def missing(self) -> str:
        return "NA" if self.kind == "text" else "null"

    def category(self, value: Any) -> str:
        return str(value) if self.kind == "text" else json.dumps(str(value))

    def render(self, values: list[tuple[str, str]]) -> str:
        """One row as plain text from ``(column, value text)`` pairs (for prompts)."""
        parts = [self.name(col, i == 0) + " " + text for i, (col, text) in enumerate(values)]
        return "".join(parts) + self.close


@dataclasses.dataclass
class TokenTrie:
    """Token sequences of a column's allowed spellings; ``terminal[node]`` is the category
    code spelled by the path to ``node`` (or -1)."""

    children: list[dict[int, int]]
    terminal: list[int]

    def __post_init__(self) -> None:
        # per node: the allowed next tokens and the nodes they lead to (read every decoding step)
        self.options = [np.fromiter(kids.keys(), dtype=np.int64, count=len(kids)) for kids in self.children]
        self.targets = [np.fromiter(kids.values(), dtype=np.int64, count=len(kids)) for kids in self.children]

    @classmethod
    def build(cls, sequences: list[list[int]]) -> TokenTrie:
        children: list[dict[int, int]] = [{}]
        terminal = [-1]
        for code, seq in enumerate(sequences):
            node = 0
            for tok in seq:
                nxt = children[node].get(tok)
                if nxt is None:
                    nxt = len(children)
                    children[node][tok] = nxt
                    children.append({})
                    terminal.append(-1)
                node = nxt
            if terminal[node] != -1:
                raise DataError(f"Two categories tokenise to the same token ids {seq}; rename one of them.")
            terminal[node] = code
        return cls(children, terminal)


class NumberAutomaton:
    """Characters of a number value piece: ``" "``, optional ``"-"``, digits, and for
    non-integer columns one ``"."`` followed by digits; or the missing-value word.

    Token transitions are precomputed for the tokens made only of those characters, so a
    step is one table lookup per row.
    """

    START, SPACE, MINUS, INT, DOT, FRAC = range(6)
    MISSING = 6  #: states from here on spell the missing-value word

    def __init__(self, *, integer: bool, negative: bool, missing: str | None) -> None:
        self.integer = integer
        self.negative = negative
        self.missing = missing or ""
        self.n_states = self.MISSING + len(self.missing)
        self.accepting = np.zeros(self.n_states, dtype=bool)
        self.accepting[[self.INT, self.FRAC]] = True
        if self.missing:
            self.accepting[-1] = True

    def step(self, state: int, ch: str) -> int:
        if state == self.START:
            return self.SPACE if ch == " " else -1
        if ch.isdigit() and ch.isascii():
            if state in (self.SPACE, self.MINUS, self.INT):
                return self.INT
            if state in (self.DOT, self.FRAC):
                return self.FRAC
            return -1
        if state == self.SPACE:
            if ch == "-" and self.negative:
                return self.MINUS
            if self.missing and ch == self.missing[0]:
                return self.MISSING
            return -1
        if state == self.INT and ch == "." and not self.integer:
            return self.DOT
        at = state - self.MISSING + 1  # next character of the missing word
        if state >= self.MISSING and at < len(self.missing) and ch == self.missing[at]:
            return state + 1
        return -1

    def compile(self, strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(token_ids, table)``: the candidate tokens and ``table[state, k]``, the state after
        token ``token_ids[k]`` (-1 when not allowed)."""
        alphabet = set(" -.0123456789" + self.missing)
        ids = [i for i, s in enumerate(strings) if s and set(s) <= alphabet]
        table = np.full((self.n_states, len(ids)), -1, dtype=np.int32)
        for k, i in enumerate(ids):
            for q in range(self.n_states):
                state = q
                for ch in strings[i]:
                    state = self.step(state, ch)
                    if state < 0:
                        break
                table[q, k] = state
        return np.asarray(ids, dtype=np.int64), table


@dataclasses.dataclass
class ColumnCodec:
    """Spelling of one column's values and the limits on reading them back."""

    column: str
    kind: str  # "cat" or "num"
    index: int  # position in spec.categorical or spec.numerical
    spellings: list[str] = dataclasses.field(default_factory=list)  # cat: one per code, then missing
    has_missing: bool = False
    integer: bool = False
    decimals: int = 0
    low: float = 0.0
    high: float = 0.0

    def render(self, value: Any, fmt: RowFormat) -> str:
        """The value piece text (without the leading space) of a code or a number."""
        if self.kind == "cat":
            code = int(value)
            return self.spellings[code] if code >= 0 else self.spellings[-1]
        x = float(value)
        if np.isnan(x):
            return fmt.missing
        if self.integer:
            return str(round(x))
        text = f"{x:.{self.decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text

    def parse(self, text: str, fmt: RowFormat) -> float:
        text = text.strip()
        return float("nan") if text == fmt.missing else float(text)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _decimals(values: np.ndarray, limit: int = 6) -> int:
    finite = values[np.isfinite(values)][:5000]
    for d in range(limit + 1):
        if np.allclose(np.round(finite, d), finite, rtol=0, atol=10.0 ** -(limit + 2)):
            return d
    return limit


def build_codecs(spec: TableSpec, num: np.ndarray, codes: np.ndarray, fmt: RowFormat) -> list[ColumnCodec]:
    """One codec per column of ``spec`` in table order."""
    out = []
    for col in spec.columns:
        if col in spec.categorical:
            j = spec.categorical.index(col)
            spellings = [fmt.category(v) for v in spec.categories[col]]
            missing = bool((codes[:, j] < 0).any())
            if missing:
                word = fmt.missing
                while word in spellings:
                    word += "_"
                spellings.append(word)
            out.append(ColumnCodec(col, "cat", j, spellings=spellings, has_missing=missing))
        else:
            j = spec.numerical.index(col)
            values = num[:, j]
            finite = values[np.isfinite(values)]
            integer = bool(spec.integer[col])
            out.append(
                ColumnCodec(
                    col,
                    "num",
                    j,
                    has_missing=bool(np.isnan(values).any()),
                    integer=integer,
                    decimals=0 if integer else _decimals(finite),
                    low=float(finite.min()),
                    high=float(finite.max()),
                )
            )
    return out


def token_strings(tokenizer: Any) -> list[str]:
    """The text each token id adds when it follows other text (leading spaces kept, which a
    plain ``decode([id])`` drops for sentencepiece tokenizers)."""
    anchor = tokenizer.encode("a", add_special_tokens=False)[:1] or [0]
    base = tokenizer.decode(anchor, clean_up_tokenization_spaces=False)
    pairs = tokenizer.batch_decode([[anchor[0], i] for i in range(len(tokenizer))], clean_up_tokenization_spaces=False)
    return [p[len(base) :] if p.startswith(base) else p for p in pairs]


def number_prefix_ok(text: str, low: float, high: float, decimals: int) -> bool:
    """Can the number being written as ``text`` (no leading space) still end inside
    ``[low, high]`` with at most ``decimals`` decimal places? ``text`` may be empty or end in
    ``"-"`` or ``"."``. No leading zeros ("07")."""
    neg = text.startswith("-")
    body = text[1:] if neg else text
    lo_m, hi_m = (max(0.0, -high), -low) if neg else (max(0.0, low), high)
    if hi_m < lo_m:
        return False
    if not body:
        return True
    whole, dot, frac = body.partition(".")
    if not whole or (len(whole) > 1 and whole[0] == "0") or len(frac) > decimals:
        return False
    if dot:
        a = float(f"{whole}.{frac}" if frac else whole)
        if len(frac) == decimals:
            return lo_m <= a <= hi_m
        return a <= hi_m and a + 10.0 ** -len(frac) > lo_m
    w = int(whole)
    scale = 1
    while w * scale <= hi_m:
        top = (w + 1) * scale
        if (top > lo_m) if decimals else (top - 1 >= lo_m):
            return True
        if w == 0:
            break
        scale *= 10
    return False


def number_in_range(text: str, low: float, high: float) -> bool:
    """Is the finished number ``text`` inside ``[low, high]``?"""
    try:
        x = float(text)
    except ValueError:
        return False
    return low <= x <= high
