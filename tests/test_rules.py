"""The rule language: pandas' answers where they overlap, refusals for everything else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabaugment.data import Constraints
from tabaugment.data.rules import MAX_DEPTH, parse_rule
from tabaugment.exceptions import DataError, RuleError


@pytest.fixture
def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [12.0, 30.0, np.nan, 45.0, 70.0],
            "income": [0, 3000, 2500, 5200, 1800],
            "marital-status": ["Never-married", "Married", None, "Divorced", "Married"],
            "owner": [False, True, True, False, True],
            "band": pd.Categorical(["a", "b", "b", "c", "a"]),
        }
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("age >= 18", [False, True, False, True, True]),
        ("not age >= 18", [True, False, True, False, False]),  # missing: the comparison is False
        ("age >= 18 or `marital-status` == 'Never-married'", [True, True, False, True, True]),
        ("18 <= age <= 50", [False, True, False, True, False]),
        ("age between 30 and 45", [False, True, False, True, False]),
        ("`marital-status` in ['Married', 'Divorced']", [False, True, False, True, True]),
        ("`marital-status` not in ('Married',)", [True, False, True, True, False]),
        ("income / 100 + 1 > 30 and owner", [False, True, False, False, False]),
        ("income % 1000 == 0", [True, True, False, False, False]),
        ("-age < -40", [False, False, False, True, True]),
        ("band == 'a' | band == 'c'", [True, False, False, True, True]),
        ("owner == true & income > 2000", [False, True, True, False, False]),
        ('band != "b"', [True, False, False, True, True]),
        ("income in [0, 1800]", [True, False, False, False, True]),
        ("`marital-status` > 'E'", [True, True, False, False, True]),
    ],
)
def test_rules_mean_what_they_say(people, rule: str, expected: list[bool]) -> None:
    assert parse_rule(rule).evaluate(people).tolist() == expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("age.to_csv('x.csv') or age >= 0", "unexpected '.' at position 3"),
        ("__import__('os').system('touch x') or age > 0", "unexpected '.' at position 16 (attributes and calls"),
        ("__import__('os') or age > 0", "'__import__' is followed by '('"),
        ("abs(age) > 1", "'abs' is followed by '('"),
        ("age[0] > 1", "'age' is followed by '['"),
        ("@age > 1", "unexpected '@'"),
        ("lambda: 1", "unexpected ':'"),
        ("age > 1; income > 2", "unexpected ';'"),
        ("age > ", "expected a column, a value or '('"),
        ("age in income", "expected a list of values after 'in'"),
        ("age in [income]", "expected a number, quoted text, true or false"),
        ("age between 1 or 2", "'and' in 'between ... and ...'"),
        ("(age > 1", "expected ')'"),
        ("age > 1 income", "expected and / or, or the end of the rule"),
        ("", "empty"),
        ("'unterminated", 'unexpected "\'"'),
    ],
)
def test_anything_outside_the_language_is_refused_with_the_token(tmp_path, monkeypatch, rule, message) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuleError, match=_escape(message)):
        parse_rule(rule).evaluate(pd.DataFrame({"age": [1.0], "income": [2.0]}))
    assert list(tmp_path.iterdir()) == []  # nothing ran


def _escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("agee > 18", "reads column 'agee'.*Did you mean 'age'"),
        ("band > 1", "compares a number with text"),
        ("band + 1 > 2", "'\\+' needs numbers"),
        ("age + 1", "is a value, not a condition"),
        ("band and age > 1", "text is used as a condition"),
    ],
)
def test_rules_that_do_not_fit_the_table_say_why(people, rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(rule).evaluate(people)


def test_deep_or_huge_rules_are_refused_without_exhausting_anything() -> None:
    for rule in ["(" * 100_000 + "a > 1" + ")" * 100_000, "not " * (MAX_DEPTH + 1) + "a > 1", "-" * 500 + "a > 1"]:
        with pytest.raises(RuleError, match="nested more than|longer than"):
            parse_rule(rule)
    with pytest.raises(RuleError, match="more than 10000 values"):
        parse_rule("a in [" + ", ".join(["1"] * 10_001) + "]")


def test_a_constraints_file_cannot_smuggle_code_or_unknown_kinds(people) -> None:
    learned = Constraints.learn(people, user_rules={"adult": "age >= 18"})
    data = learned.to_dict()
    again = Constraints.from_dict(data)
    assert again.check(people).valid.tolist() == learned.check(people).valid.tolist()
    user = next(r for r in data["rules"] if r["kind"] == "user")
    user["params"]["query"] = "age.__class__.__init__.__globals__['os'].system('touch pwned') or True"
    with pytest.raises(RuleError, match="unexpected '.'"):
        Constraints.from_dict(data)
    user["kind"] = "python"
    with pytest.raises(DataError, match="unknown kind 'python'"):
        Constraints.from_dict(data)
    with pytest.raises(DataError, match="list of 'rules'"):
        Constraints.from_dict({"rules": "everything"})
    with pytest.raises(RuleError, match="reads column 'height'"):
        Constraints.learn(people, user_rules=["height < 3"])


# ---------------------------------------------------------------------- pandas as the oracle
_names = st.sampled_from(["a", "b", "c"])
_numbers = st.integers(-3, 3).map(str)


def _arith(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(_names, _numbers)
    if depth == 0:
        return leaf
    sub = _arith(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    )


def _condition(depth: int) -> st.SearchStrategy[str]:
    with_column = st.one_of(  # every comparison reads a column (pandas folds constant ones its own way)
        _names,
        st.tuples(_names, st.sampled_from(["+", "-", "*"]), _arith(1)).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    )
    cmp = st.tuples(with_column, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _arith(1)).map(" ".join)
    member = st.tuples(_names, st.lists(st.integers(-2, 2), min_size=1, max_size=3)).map(
        lambda t: f"{t[0]} in {list(t[1])}"
    )
    leaf = st.one_of(cmp, member)
    if depth == 0:
        return leaf
    sub = _condition(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda x: f"not ({x})"),
    )


@settings(max_examples=300, deadline=None)
@given(rule=_condition(2), seed=st.integers(0, 1000))
def test_numeric_rules_agree_with_pandas_query(rule: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.integers(-2, 3, 40).astype(float) for c in "abc"})
    frame.loc[rng.random(40) < 0.15, "a"] = np.nan
    ours = parse_rule(rule).evaluate(frame)
    theirs = np.broadcast_to(frame.eval(rule, engine="python"), len(frame))  # trusted text, made by the test
    assert ours.tolist() == theirs.tolist(), rule
