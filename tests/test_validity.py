"""Validity: learned rules flag impossible rows; user rules; filtering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabaugment.data import Constraints
from tabaugment.exceptions import RuleError


def _people(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    edu = rng.choice(["HS-grad", "Bachelors", "Doctorate"], n, p=[0.5, 0.35, 0.15])
    years = pd.Series(edu).map({"HS-grad": 9, "Bachelors": 13, "Doctorate": 16}).to_numpy()
    base = pd.Series(edu).map({"HS-grad": 17, "Bachelors": 21, "Doctorate": 26}).to_numpy()
    age = base + rng.integers(0, 50, n)
    start = age - rng.integers(0, 10, n)
    return pd.DataFrame(
        {
            "age": age,
            "education": pd.Series(edu, dtype=object),
            "education-num": years,
            "start_age": start,
            "hours": rng.integers(10, 80, n),
        }
    )


def test_twelve_year_old_doctor_is_flagged() -> None:
    real = _people()
    rules = Constraints.learn(real)
    kid = pd.DataFrame(
        {"age": [12], "education": ["Doctorate"], "education-num": [16], "start_age": [12], "hours": [40]}
    )
    result = rules.check(kid)
    assert not result.valid[0]
    broken = set(result.rules.query("violations > 0").rule)
    assert "range(age)" in broken
    assert "range_by(education, age)" in broken


def test_learned_relations_and_filter() -> None:
    real = _people()
    rules = Constraints.learn(real)
    names = {r.name for r in rules.rules}
    assert "determines(education, education-num)" in names
    assert "order(start_age <= age)" in names
    assert "integer(hours)" in names
    fake = real.head(5).astype({"hours": float})
    fake.loc[fake.index[0], "education-num"] = 3  # breaks education -> education-num
    fake.loc[fake.index[1], "start_age"] = fake.loc[fake.index[1], "age"] + 5  # breaks the order
    fake.loc[fake.index[2], "hours"] = 40.5  # not a whole number (within the range)
    result = rules.check(fake)
    assert result.valid.tolist() == [False, False, False, True, True]
    assert len(result.filter(fake)) == 2
    counts = result.rules.set_index("rule")["violations"]
    assert counts["determines(education, education-num)"] == 1
    assert counts["order(start_age <= age)"] == 1
    assert counts["integer(hours)"] == 1


def test_real_rows_satisfy_their_own_rules_and_roundtrip() -> None:
    real = _people()
    rules = Constraints.learn(real)
    assert rules.check(real).valid.all()
    again = Constraints.from_dict(rules.to_dict())
    assert again.check(real.head(50)).valid.all()


def test_user_rules_and_their_errors() -> None:
    real = _people()
    rules = Constraints.learn(real, user_rules={"adult": "age >= 18", "sane_hours": "hours <= 70"})
    result = rules.check(real)
    counts = result.rules.set_index("rule")["violations"]
    assert counts["adult"] == (real.age < 18).sum()
    assert counts["sane_hours"] == (real.hours > 70).sum()
    with pytest.raises(RuleError, match=r"Rule 'agee > 3' reads column 'agee'.*Did you mean 'age'"):
        Constraints.learn(real, user_rules=["agee > 3"])  # before anything is sampled


@pytest.mark.datasets
def test_adult_learned_rules_flag_the_classic_row(datasets_dir) -> None:
    from tabaugment.data import load_dataset

    ds = load_dataset("adult", root=datasets_dir)
    real = ds.schema.prepare(ds.table)
    rules = Constraints.learn(real)
    row = real.iloc[[0]].copy()
    row["age"] = 12.0
    row["education"] = "Doctorate"
    row["education-num"] = 16.0
    row["marital-status"] = "Divorced"
    row["hours-per-week"] = 87.0
    result = rules.check(row)
    assert not result.valid[0]
    broken = set(result.rules.query("violations > 0").rule)
    assert {"range(age)", "range_by(education, age)", "range_by(marital-status, age)"} <= broken
