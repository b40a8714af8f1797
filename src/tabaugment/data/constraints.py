"""Validity constraints: rules learned from the real rows, plus user rules, checked on every row.

Learned rule kinds (each a :class:`Rule` with a readable description):

- ``range``: a numerical column stays within the real [min, max]; no missing value where
  the real column had none.
- ``integer``: a numerical column whose real values are all whole numbers stays whole.
- ``domain``: a categorical column only takes categories seen in the real rows.
- ``range_by``: within each category of a categorical column that has at least
  ``min_support`` real rows, a numerical column stays within that category's real range
  (this is what flags a 12-year-old with a doctorate: the youngest real doctorate is older).
- ``determines``: a categorical column whose every value fixes another column's value
  (e.g. Adult's ``education`` fixes ``education-num``) keeps that mapping.
- ``order``: one numerical column never exceeds another in the real rows (only learned when
  the ranges overlap, so the bounds alone do not already imply it).

User rules are conditions that a *valid* row satisfies, e.g.
``"age >= 18 or `marital-status` == 'Never-married'"``, in the small language of
:mod:`tabaugment.data.rules` (parsed by us: no rule can run code).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._json import records
from tabaugment.data.encoding import split_column_kinds
from tabaugment.data.rules import parse_rule
from tabaugment.exceptions import DataError

__all__ = ["RULE_KINDS", "Constraints", "Rule", "ValidityResult", "learn_constraints", "user_rule_items"]

#: The kinds of rules, learned and given.
RULE_KINDS = ("range", "integer", "domain", "range_by", "determines", "order", "user")


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclasses.dataclass
class Rule:
    """One constraint; ``check(frame)`` is True for rows that satisfy it."""

    name: str
    kind: str
    columns: list[str]
    description: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def check(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array: True where the row satisfies the rule."""
        p = self.params
        if self.kind == "range":
            s = frame[self.columns[0]].to_numpy(dtype=float)
            ok = (s >= p["min"]) & (s <= p["max"])
            return ok | (np.isnan(s) & p["allow_missing"])
        if self.kind == "integer":
            s = frame[self.columns[0]].to_numpy(dtype=float)
            return np.isnan(s) | (np.mod(s, 1) == 0)
        if self.kind == "domain":
            s = frame[self.columns[0]].astype(object)
            return (s.isin(p["values"]) | (s.isna() & p["allow_missing"])).to_numpy()
        if self.kind == "range_by":
            by, col = self.columns
            keys = frame[by].astype(object).map(str)
            lo = keys.map(p["min"]).to_numpy(dtype=float)
            hi = keys.map(p["max"]).to_numpy(dtype=float)
            s = frame[col].to_numpy(dtype=float)
            known = ~np.isnan(lo) & ~np.isnan(s)
            return ~known | ((s >= lo) & (s <= hi))
        if self.kind == "determines":
            by, col = self.columns
            keys = frame[by].astype(object).map(str)
            expected = keys.map(p["mapping"])
            values = frame[col].astype(object)
            known = expected.notna() & values.notna()
            same = values.map(str) == expected.map(str)
            if p.get("numeric"):
                same = pd.to_numeric(values, errors="coerce") == pd.to_numeric(expected, errors="coerce")
            return (~known | same).to_numpy()
        if self.kind == "order":
            a = frame[self.columns[0]].to_numpy(dtype=float)
            b = frame[self.columns[1]].to_numpy(dtype=float)
            return np.isnan(a) | np.isnan(b) | (a <= b)
        if self.kind == "user":
            return parse_rule(p["query"]).evaluate(frame)
        raise DataError(f"Unknown rule kind {self.kind!r}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ValidityResult:
    """Per-row validity and per-rule violation counts."""

    valid: np.ndarray
    failures: pd.DataFrame
    rules: pd.DataFrame

    @property
    def valid_share(self) -> float:
        """Share of rows that satisfy every rule."""
        return float(self.valid.mean()) if len(self.valid) else float("nan")

    def filter(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (the checked table) that satisfy every rule."""
        return frame.loc[self.valid]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "rows": len(self.valid),
            "valid_rows": int(self.valid.sum()),
            "valid_share": self.valid_share,
            "rules": records(self.rules),
        }


@dataclasses.dataclass
class Constraints:
    """A set of rules; learn them with :meth:`learn`, check rows with :meth:`check`."""

    rules: list[Rule]

    @classmethod
    def learn(
        cls,
        real: pd.DataFrame,
        *,
        min_support: int = 30,
        user_rules: Sequence[str] | Mapping[str, str] | None = None,
        conditional_ranges: bool = True,
        relations: bool = True,
    ) -> Constraints:
        """Learn rules from the real rows and add the user's query rules."""
        if len(real) == 0:
            raise DataError("Cannot learn constraints from an empty table.")
        cat, num = split_column_kinds(real)
        rules: list[Rule] = []
        for col in num:
            s = real[col].to_numpy(dtype=float)
            present = s[~np.isnan(s)]
            if not len(present):
                continue
            lo, hi = float(present.min()), float(present.max())
            allow = bool(np.isnan(s).any())
            rules.append(
                Rule(
                    f"range({col})",
                    "range",
                    [col],
                    f"{col} within [{lo:g}, {hi:g}]" + ("" if allow else ", never missing"),
                    {"min": lo, "max": hi, "allow_missing": allow},
                )
            )
            if np.all(np.mod(present, 1) == 0):
                rules.append(Rule(f"integer({col})", "integer", [col], f"{col} is a whole number"))
        for col in cat:
            s = real[col].astype(object)
            values = sorted({_py(v) for v in s.dropna()}, key=str)
            allow = bool(s.isna().any())
            shown = ", ".join(map(str, values[:5])) + (" ..." if len(values) > 5 else "")
            rules.append(
                Rule(
                    f"domain({col})",
                    "domain",
                    [col],
                    f"{col} in {{{shown}}}",
                    {"values": values, "allow_missing": allow},
                )
            )
        if conditional_ranges:
            for by in cat:
                keys = real[by].astype(object)
                counts = keys.value_counts()
                supported = [k for k, n in counts.items() if n >= min_support]
                if len(supported) < 2:
                    continue
                for col in num:
                    grouped = real[col].groupby(keys.map(str)).agg(["min", "max"])
                    grouped = grouped.loc[[str(k) for k in supported]].dropna()
                    if grouped.empty:
                        continue
                    overall = (real[col].min(), real[col].max())
                    if (grouped["min"] == overall[0]).all() and (grouped["max"] == overall[1]).all():
                        continue  # adds nothing to the plain range
                    rules.append(
                        Rule(
                            f"range_by({by}, {col})",
                            "range_by",
                            [by, col],
                            f"{col} within the range of real rows with the same {by} (categories with >= {min_support} rows)",
                            {
                                "min": {k: float(v) for k, v in grouped["min"].items()},
                                "max": {k: float(v) for k, v in grouped["max"].items()},
                            },
                        )
                    )
        if relations:
            rules += _dependencies(real, cat, num, min_support)
            rules += _orders(real, num, min_support)
        for i, (name, query) in enumerate(user_rule_items(user_rules)):
            parse_rule(query).check_columns(real.columns)  # a typo fails here, before any sampling
            rules.append(Rule(name or f"user_{i + 1}", "user", [], f"user rule: {query}", {"query": query}))
        return cls(rules=rules)

    def check(self, frame: pd.DataFrame) -> ValidityResult:
        """Check every row against every rule."""
        missing = sorted({c for r in self.rules for c in r.columns if c not in frame.columns})
        if missing:
            raise DataError(f"Columns {missing} used by the rules are missing from the table.")
        fails = {}
        rows = []
        for rule in self.rules:
            ok = rule.check(frame)
            fails[rule.name] = ~ok
            rows.append(
                {
                    "rule": rule.name,
                    "kind": rule.kind,
                    "description": rule.description,
                    "violations": int((~ok).sum()),
                    "violation_share": float((~ok).mean()) if len(ok) else 0.0,
                }
            )
        failures = pd.DataFrame(fails, index=frame.index)
        valid = ~failures.any(axis=1).to_numpy() if len(self.rules) else np.ones(len(frame), dtype=bool)
        table = pd.DataFrame(rows, columns=["rule", "kind", "description", "violations", "violation_share"])
        return ValidityResult(
            valid=valid, failures=failures, rules=table.sort_values("violations", ascending=False, kind="stable")
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; :meth:`from_dict` reads it back."""
        return {"rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraints:
        """Inverse of :meth:`to_dict`; every rule is checked (kinds, fields, user rules parsed)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
            raise DataError("A constraints file is a table with a list of 'rules'.")
        rules = []
        fields = {f.name for f in dataclasses.fields(Rule)}
        for i, r in enumerate(data["rules"]):
            if (
                not isinstance(r, Mapping)
                or set(r) - fields
                or not {"name", "kind", "columns", "description"} <= set(r)
            ):
                raise DataError(
                    f"Rule {i} of the constraints file must have the fields {sorted(fields)}; got {r!r:.200}."
                )
            if r["kind"] not in RULE_KINDS:
                raise DataError(
                    f"Rule {r['name']!r} has unknown kind {r['kind']!r}; kinds are {', '.join(RULE_KINDS)}."
                )
            if r["kind"] == "user":
                parse_rule(r.get("params", {}).get("query"))
            rules.append(Rule(**r))
        return cls(rules=rules)


def learn_constraints(real: pd.DataFrame, **kwargs: Any) -> Constraints:
    """Shorthand for :meth:`Constraints.learn`."""
    return Constraints.learn(real, **kwargs)


def user_rule_items(user_rules: Sequence[str] | Mapping[str, str] | None) -> list[tuple[str | None, str]]:
    """``(name or None, rule text)`` of user rules given as one text, a list, or ``{name: text}``."""
    if user_rules is None:
        return []
    if isinstance(user_rules, Mapping):
        return [(str(k), str(v)) for k, v in user_rules.items()]
    if isinstance(user_rules, str):
        return [(None, user_rules)]
    return [(None, str(q)) for q in user_rules]


def _dependencies(real: pd.DataFrame, cat: list[str], num: list[str], min_support: int) -> list[Rule]:
    rules = []
    n = len(real)
    for by in cat:
        keys = real[by].astype(object)
        n_keys = keys.nunique()
        if n_keys < 2 or n_keys > n / 2 or keys.notna().sum() < min_support:
            continue
        for col in cat + num:
            if col == by:
                continue
            values = real[col]
            if values.nunique() < 2:
                continue
            both = pd.DataFrame({"k": keys.map(str), "v": values.astype(object)}).dropna()
            if len(both) < min_support:
                continue
            per_key = both.groupby("k")["v"].nunique()
            if (per_key == 1).all():
                mapping = both.groupby("k")["v"].first()
                rules.append(
                    Rule(
                        f"determines({by}, {col})",
                        "determines",
                        [by, col],
                        f"{by} fixes {col} (as in every real row)",
                        {"mapping": {k: _py(v) for k, v in mapping.items()}, "numeric": col in num},
                    )
                )
    return rules


def _orders(real: pd.DataFrame, num: list[str], min_support: int) -> list[Rule]:
    rules = []
    for a, b in itertools.permutations(num, 2):
        pair = real[[a, b]].dropna()
        if len(pair) < min_support:
            continue
        va, vb = pair[a].to_numpy(dtype=float), pair[b].to_numpy(dtype=float)
        if np.all(va <= vb) and va.max() > vb.min() and not np.all(va == vb):
            rules.append(Rule(f"order({a} <= {b})", "order", [a, b], f"{a} never exceeds {b}"))
    return rules
