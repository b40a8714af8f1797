"""User validity rules: a small expression language of our own, evaluated column-wise.

A rule says what a *valid* row satisfies, e.g. ``"age >= 18 or `marital-status` ==
'Never-married'"``. Rules come from command lines, spec files and saved constraint files, so
they must never run code: they are parsed here, by a parser that knows only

- column names (``age``; in backticks when they are not plain names: ```marital-status```),
- literals: numbers, quoted text (``'...'`` or ``"..."``), ``true`` / ``false``,
- arithmetic ``+ - * / %`` and unary minus, parentheses,
- comparisons ``== != < <= > >=`` (chained, as ``18 <= age <= 99``),
- ``x in [a, b]``, ``x not in (a, b)``, ``x between a and b`` (inclusive),
- ``and`` / ``or`` / ``not`` (``&`` and ``|`` as synonyms, with the same precedence).

Anything else (attribute access, calls, indexing, names that are not columns) is refused with
a :class:`~tabaugment.exceptions.RuleError` naming the token and its position. As in pandas,
a comparison with a missing value is False, except ``!=`` and ``not in``, which are True.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment.exceptions import RuleError

__all__ = ["ParsedRule", "parse_rule"]

#: Longest rule accepted, deepest nesting, most items in an ``in`` list.
MAX_LENGTH = 100_000
MAX_DEPTH = 60
MAX_LIST = 10_000

_KEYWORDS = {"and", "or", "not", "in", "between", "true", "false"}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]+`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|%|\(|\)|\[|\]|,|&|\|)
    """,
    re.VERBOSE,
)
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str  # number, string, column, keyword, op, end
    text: str
    value: Any
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            why = " (attributes and calls are not allowed)" if text[pos] == "." else ""
            raise RuleError(f"Rule {text!r}: unexpected {text[pos]!r} at position {pos}{why}; {_ALLOWED}")
        kind = m.lastgroup
        raw = m.group()
        if kind == "number":
            out.append(_Token("number", raw, float(raw) if any(c in raw for c in ".eE") else int(raw), pos))
        elif kind == "string":
            body = raw[1:-1]
            out.append(_Token("string", raw, re.sub(r"\\(.)", r"\1", body), pos))
        elif kind == "quoted":
            out.append(_Token("column", raw, raw[1:-1], pos))
        elif kind == "name":
            low = raw.lower()
            if low in _KEYWORDS:
                out.append(_Token("keyword", raw, low, pos))
            else:
                out.append(_Token("column", raw, raw, pos))
        elif kind == "op":
            op = {"&": "and", "|": "or"}.get(raw)
            out.append(_Token("keyword", raw, op, pos) if op else _Token("op", raw, raw, pos))
        pos = m.end()
    out.append(_Token("end", "end of rule", None, len(text)))
    return out


_ALLOWED = (
    "a rule may use column names (in `backticks` when not plain names), numbers, quoted text, true/false, "
    "+ - * / %, comparisons, in [...], between ... and ..., and / or / not, and parentheses."
)


# ---------------------------------------------------------------------- syntax tree
# Nodes are tuples: ("col", name) ("lit", value) ("neg", x) ("arith", op, a, b)
# ("cmp", [ops], [operands]) ("in", x, values, negated) ("between", x, lo, hi)
# ("and", a, b) ("or", a, b) ("not", x)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0

    # helpers
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, value: Any = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: Any, what: str) -> _Token:
        if not self.at(kind, value):
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, message: str) -> None:
        tok = self.peek()
        raise RuleError(f"Rule {self.text!r}: {message}, found {tok.text!r} at position {tok.pos}.")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleError(f"Rule {self.text[:60]!r}...: nested more than {MAX_DEPTH} levels deep.")

    # grammar
    def parse(self) -> tuple[Any, ...]:
        node = self.disjunction()
        if not self.at("end"):
            tok = self.peek()
            if tok.text in (".", "(") or (tok.kind == "op" and tok.text == "["):
                self.fail("calls, attributes and indexing are not allowed")
            self.fail("expected and / or, or the end of the rule")
        return node

    def disjunction(self) -> tuple[Any, ...]:
        node = self.conjunction()
        while self.at("keyword", "or"):
            self.take()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple[Any, ...]:
        node = self.negation()
        while self.at("keyword", "and"):
            self.take()
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple[Any, ...]:
        if self.at("keyword", "not"):
            self.take()
            self.nest()
            node = ("not", self.negation())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> tuple[Any, ...]:
        left = self.sum()
        if self.at("keyword", "between"):
            self.take()
            low = self.sum()
            self.expect("keyword", "and", "'and' in 'between ... and ...'")
            return ("between", left, low, self.sum())
        negated = False
        if self.at("keyword", "not") and self.tokens[self.i + 1].value == "in":
            self.take()
            negated = True
        if self.at("keyword", "in"):
            self.take()
            return ("in", left, self.literal_list(), negated)
        ops, operands = [], [left]
        while self.peek().kind == "op" and self.peek().text in _COMPARISONS:
            ops.append(self.take().text)
            operands.append(self.sum())
        return ("cmp", ops, operands) if ops else left

    def literal_list(self) -> list[Any]:
        if not (self.at("op", "[") or self.at("op", "(")):
            self.fail("expected a list of values after 'in', like [1, 2] or ('a', 'b')")
        close = "]" if self.take().text == "[" else ")"
        values: list[Any] = []
        while not self.at("op", close):
            values.append(self.literal())
            if len(values) > MAX_LIST:
                raise RuleError(f"Rule {self.text[:60]!r}...: more than {MAX_LIST} values in one list.")
            if not self.at("op", close):
                self.expect("op", ",", f"',' or '{close}'")
        self.take()
        return values

    def literal(self) -> Any:
        sign = 1
        if self.at("op", "-"):
            self.take()
            sign = -1
        tok = self.peek()
        if tok.kind == "number":
            self.take()
            return sign * tok.value
        if sign == 1 and tok.kind == "string":
            self.take()
            return tok.value
        if sign == 1 and tok.kind == "keyword" and tok.value in ("true", "false"):
            self.take()
            return tok.value == "true"
        self.fail("expected a number, quoted text, true or false")
        return None  # unreachable

    def sum(self) -> tuple[Any, ...]:
        node = self.product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            node = ("arith", op, node, self.product())
        return node

    def product(self) -> tuple[Any, ...]:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/", "%"):
            op = self.take().text
            node = ("arith", op, node, self.unary())
        return node

    def unary(self) -> tuple[Any, ...]:
        if self.at("op", "-"):
            self.take()
            self.nest()
            node = ("neg", self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> tuple[Any, ...]:
        tok = self.peek()
        if tok.kind in ("number", "string"):
            self.take()
            return ("lit", tok.value)
        if tok.kind == "keyword" and tok.value in ("true", "false"):
            self.take()
            return ("lit", tok.value == "true")
        if tok.kind == "column":
            self.take()
            if self.at("op", "(") or self.at("op", "["):
                self.fail(f"{tok.value!r} is followed by {self.peek().text!r}: calls and indexing are not allowed")
            return ("col", tok.value)
        if self.at("op", "("):
            self.take()
            self.nest()
            node = self.disjunction()
            self.depth -= 1
            self.expect("op", ")", "')'")
            return node
        self.fail(f"expected a column, a value or '('; {_ALLOWED}")
        return ()  # unreachable


@dataclasses.dataclass(frozen=True)
class ParsedRule:
    """A parsed rule: ``columns`` it reads, ``evaluate(frame)`` -> one bool per row."""

    text: str
    tree: tuple[Any, ...]
    columns: tuple[str, ...]

    def check_columns(self, columns: Iterable[Any]) -> None:
        """Raise :class:`RuleError` naming every column the rule reads that ``columns`` lacks."""
        known = [str(c) for c in columns]
        for name in self.columns:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=2)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise RuleError(
                    f"Rule {self.text!r} reads column {name!r}, which the table does not have.{hint} Write names "
                    "that are not plain words in backticks, like `marital-status`."
                )

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """True where the row satisfies the rule."""
        self.check_columns(frame.columns)
        with np.errstate(all="ignore"):
            result = _eval(self.tree, frame, self.text)
        if not isinstance(result, _Truth):
            raise RuleError(f"Rule {self.text!r} is a value, not a condition; compare it, e.g. `x > 0`.")
        return np.asarray(result.values, dtype=bool)


def parse_rule(text: str) -> ParsedRule:
    """Parse ``text`` (see the module docstring); a :class:`RuleError` says what is wrong."""
    if not isinstance(text, str):
        raise RuleError(f"A rule must be text; got {type(text).__name__}.")
    if not text.strip():
        raise RuleError("A rule is empty; write a condition such as `age >= 18`.")
    if len(text) > MAX_LENGTH:
        raise RuleError(f"A rule of {len(text):,} characters is longer than the {MAX_LENGTH:,} allowed.")
    tree = _Parser(text).parse()
    return ParsedRule(text, tree, tuple(dict.fromkeys(_columns(tree))))


def _columns(node: Any) -> Iterable[str]:
    if isinstance(node, tuple) and node:
        if node[0] == "col":
            yield node[1]
            return
        for part in node[1:]:
            yield from _columns(part)
    elif isinstance(node, list):
        for part in node:
            yield from _columns(part)


# ---------------------------------------------------------------------- evaluation
@dataclasses.dataclass
class _Truth:
    values: np.ndarray  # bool per row


@dataclasses.dataclass
class _Value:
    values: np.ndarray  # per row: float (NaN = missing) or object (None = missing)
    numeric: bool


def _value(node: tuple[Any, ...], frame: pd.DataFrame, text: str) -> _Value:
    out = _eval(node, frame, text)
    if isinstance(out, _Truth):
        return _Value(out.values.astype(np.float64), True)
    return out


def _column(frame: pd.DataFrame, name: str) -> _Value:
    s = frame[name]
    if isinstance(s, pd.DataFrame):
        raise RuleError(f"Column {name!r} appears more than once in the table; rename the copies.")
    if pd.api.types.is_bool_dtype(s.dtype) or (
        pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        return _Value(pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), True)
    values = s.astype(object).to_numpy()
    missing = pd.isna(values)
    values = values.copy()
    values[missing] = None
    return _Value(values, False)


def _eval(node: tuple[Any, ...], frame: pd.DataFrame, text: str) -> _Truth | _Value:
    kind = node[0]
    n = len(frame)
    if kind == "col":
        return _column(frame, node[1])
    if kind == "lit":
        v = node[1]
        if isinstance(v, (bool, int, float)):
            return _Value(np.full(n, float(v)), True)
        return _Value(np.full(n, v, dtype=object), False)
    if kind == "neg":
        x = _numeric(_value(node[1], frame, text), text, "-")
        return _Value(-x, True)
    if kind == "arith":
        _, op, a, b = node
        x = _numeric(_value(a, frame, text), text, op)
        y = _numeric(_value(b, frame, text), text, op)
        out = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "%": np.mod}[op](x, y)
        return _Value(np.asarray(out, dtype=np.float64), True)
    if kind == "cmp":
        _, ops, operands = node
        values = [_value(o, frame, text) for o in operands]
        truth = np.ones(n, dtype=bool)
        for op, left, right in zip(ops, values, values[1:]):
            truth &= _compare(op, left, right, text)
        return _Truth(truth)
    if kind == "in":
        _, x, items, negated = node
        value = _value(x, frame, text)
        present = _isin(value, items) & _known(value)
        return _Truth(~present if negated else present)
    if kind == "between":
        _, x, lo, hi = node
        value, low, high = (_value(part, frame, text) for part in (x, lo, hi))
        return _Truth(_compare(">=", value, low, text) & _compare("<=", value, high, text))
    if kind in ("and", "or"):
        a, b = (_truth(_eval(part, frame, text), text) for part in node[1:])
        return _Truth(a & b if kind == "and" else a | b)
    if kind == "not":
        return _Truth(~_truth(_eval(node[1], frame, text), text))
    raise RuleError(f"Rule {text!r}: cannot evaluate {kind!r}.")


def _truth(out: _Truth | _Value, text: str) -> np.ndarray:
    if isinstance(out, _Truth):
        return out.values
    if out.numeric:  # a boolean column used as a condition
        return np.nan_to_num(out.values, nan=0.0) != 0
    raise RuleError(f"Rule {text!r}: text is used as a condition; compare it, e.g. `colour == 'red'`.")


def _numeric(value: _Value, text: str, op: str) -> np.ndarray:
    if not value.numeric:
        raise RuleError(f"Rule {text!r}: {op!r} needs numbers, but one side is text.")
    return value.values


def _known(value: _Value) -> np.ndarray:
    if value.numeric:
        return ~np.isnan(value.values)
    return np.array([v is not None for v in value.values], dtype=bool)


def _compare(op: str, left: _Value, right: _Value, text: str) -> np.ndarray:
    known = _known(left) & _known(right)
    if left.numeric and right.numeric:
        a, b = left.values, right.values
    elif not left.numeric and not right.numeric:
        a, b = left.values, right.values
        if op not in ("==", "!="):
            try:
                out = np.zeros(len(a), dtype=bool)
                idx = np.flatnonzero(known)
                fn = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
                out[idx] = fn(a[idx].astype(str), b[idx].astype(str))
                return out
            except TypeError as exc:  # pragma: no cover - str comparisons do not raise
                raise RuleError(f"Rule {text!r}: cannot order these values ({exc}).") from exc
    else:
        if op not in ("==", "!="):
            raise RuleError(f"Rule {text!r}: {op!r} compares a number with text; compare like with like.")
        return np.zeros(len(known), dtype=bool) if op == "==" else np.ones(len(known), dtype=bool)
    with np.errstate(all="ignore"):
        if op == "==":
            out = np.asarray(a == b, dtype=bool)
        elif op == "!=":
            return np.asarray(a != b, dtype=bool) | ~known  # missing differs from everything
        else:
            out = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op](a, b)
    return np.asarray(out, dtype=bool) & known


def _isin(value: _Value, items: Sequence[Any]) -> np.ndarray:
    if value.numeric:
        numbers = [float(v) for v in items if isinstance(v, (bool, int, float))]
        return np.isin(value.values, np.asarray(numbers, dtype=np.float64))
    texts = {v for v in items if isinstance(v, str)}
    return np.array([v in texts for v in value.values], dtype=bool)
