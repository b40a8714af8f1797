"""The generator contract, as one function plugin authors can call in their own tests.

``check_generator(make, table, target)`` fits fresh generators from ``make()`` and checks:
declared and validated parameters; unfitted use raises; fitted columns, dtypes and category domains are preserved; conditions
on the target are honoured exactly; the same seed gives the same rows; a save/load round
trip gives the same rows for the same seed; ``n_samples=0`` gives an empty frame with the
right dtypes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from tabaugment.exceptions import NotFittedError
from tabaugment.generators.base import BaseGenerator, load_generator
from tabaugment.testing.common import check_parameters

__all__ = ["check_generator", "contract_table"]


#: Class names of :func:`contract_table`'s target, most frequent first after the first two.
_CLASSES = ("bad", "good", "fair", "poor", "prime", "risky", "stable", "new")


def contract_table(n: int = 120, random_state: int = 0, n_classes: int = 2) -> tuple[pd.DataFrame, str]:
    """A small mixed table (ints, floats with NaN, categories, object text, text in pandas' default
    string dtype with missing values, bool, dates with missing values) and its target.

    Two classes: "bad" (35%) and "good". More (up to 8): class ``i`` has weight ``1 / (i + 1)``,
    so the last classes are rare.
    """
    if not 2 <= n_classes <= len(_CLASSES):
        raise ValueError(f"n_classes must be between 2 and {len(_CLASSES)}; got {n_classes}.")
    rng = np.random.default_rng(random_state)
    u = rng.random(n)
    if n_classes == 2:
        y = np.where(u < 0.35, "bad", "good")
    else:
        weights = 1.0 / np.arange(1, n_classes + 1)
        edges = np.cumsum(weights / weights.sum())[:-1]
        y = np.asarray(_CLASSES[:n_classes], dtype=object)[np.searchsorted(edges, u, side="right")]
    age = rng.integers(18, 80, n)
    income = np.round(rng.lognormal(10, 0.5, n), 2)
    income[rng.random(n) < 0.1] = np.nan
    city = pd.Categorical(
        rng.choice(["Oslo", "Lima", "Pune"], n, p=[0.5, 0.3, 0.2]), categories=["Lima", "Oslo", "Pune", "Rome"]
    )
    plan = rng.choice(["basic", "gold"], n).astype(object)
    owner = rng.random(n) < 0.4
    table = pd.DataFrame({"age": age, "income": income, "city": city, "plan": plan, "owner": owner, "label": y})
    table["plan"] = table["plan"].astype(object)
    table["label"] = table["label"].astype(object)
    # text as pandas reads it by default ("str" in pandas 3), with missing values
    channel = pd.Series(list(rng.choice(["web", "shop"], n)))
    table.insert(5, "channel", channel.where(rng.random(n) > 0.1))
    opened = pd.Series(pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"))
    table.insert(6, "opened", opened.where(rng.random(n) > 0.05).astype("datetime64[ns]"))
    return table, "label"


def check_generator(make: Callable[[], BaseGenerator], table: pd.DataFrame, target: str, n_samples: int = 50) -> None:
    """Run every contract check; raise AssertionError naming the broken one."""
    probe = make()
    name = type(probe).__name__

    def fail(msg: str) -> None:
        raise AssertionError(f"{name}: {msg}")

    needs_model = getattr(type(probe), "needs_local_model", False)
    check_parameters(type(probe), {"model_path": probe.get_params()["model_path"]} if needs_model else None)

    # unfitted use raises
    try:
        make().sample(5)
    except NotFittedError:
        pass
    else:
        fail("sample() before fit() must raise NotFittedError")

    gen = make().fit(table, target=target)
    rows = gen.sample(n_samples, random_state=7)
    if list(rows.columns) != list(table.columns):
        fail(f"columns {list(rows.columns)} differ from the fitted {list(table.columns)}")
    if len(rows) != n_samples:
        fail(f"asked for {n_samples} rows, got {len(rows)}")
    for col in table.columns:
        if rows[col].dtype != table[col].dtype:
            fail(f"column {col!r} has dtype {rows[col].dtype}, fitted {table[col].dtype}")
        if isinstance(table[col].dtype, pd.CategoricalDtype):
            if list(rows[col].cat.categories) != list(table[col].cat.categories):
                fail(f"column {col!r} lost its category domain")
        elif table[col].dtype == object:
            extra = set(rows[col].dropna()) - set(table[col].dropna())
            if extra:
                fail(f"column {col!r} has values never fitted: {sorted(map(str, extra))[:3]}")
    for col in [*table.select_dtypes("number").columns, *table.select_dtypes("datetime").columns]:
        lo, hi = table[col].min(), table[col].max()
        if (rows[col].dropna() < lo).any() or (rows[col].dropna() > hi).any():
            fail(f"column {col!r} left the fitted range [{lo}, {hi}]")

    # same seed, same rows; another seed, other rows
    again = gen.sample(n_samples, random_state=7)
    if not rows.equals(again):
        fail("the same random_state gave different rows")
    refit = make().fit(table, target=target).sample(n_samples, random_state=7)
    if not rows.equals(refit):
        fail("refitting with the same parameters and sampling with the same seed gave different rows")

    # conditions honoured exactly
    for label in pd.unique(table[target]):
        part = gen.sample(n_samples, conditions={target: label}, random_state=3)
        if len(part) != n_samples or not (part[target] == label).all():
            fail(f"conditions={{{target!r}: {label!r}}} returned other labels or a wrong count")

    # conditions beyond the label: another category and a numerical range, met exactly
    others = [c for c in table.columns if c != target and isinstance(table[c].dtype, pd.CategoricalDtype)]
    numbers = [c for c in table.select_dtypes("number").columns if c != target]
    if others and numbers:
        cat, num = others[0], numbers[0]
        value = table[cat].value_counts().index[0]
        lo, hi = table[num].min(), table[num].median()
        label = table[target].value_counts().index[0]
        wanted = {target: label, cat: value, num: (lo, hi)}
        few = min(n_samples, 8)
        part = gen.sample(few, conditions=wanted, random_state=5)
        ok = (part[target] == label) & (part[cat] == value) & part[num].between(lo, hi)
        if len(part) != few or not ok.all():
            fail(f"conditions={wanted!r} returned rows that break them or a wrong count")
        if not part.equals(gen.sample(few, conditions=wanted, random_state=5)):
            fail("the same random_state gave different rows under conditions")

    # empty request
    empty = gen.sample(0)
    if len(empty) != 0 or list(empty.dtypes) != list(table.dtypes):
        fail("sample(0) must return an empty frame with the fitted dtypes")

    # save / load round trip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model"
        gen.save(path)
        files = sorted(p.name for p in path.iterdir())
        if files != ["arrays.safetensors", "config.json"]:
            fail(f"save() must write config.json + arrays.safetensors only; wrote {files}")
        loaded = load_generator(path)
        if type(loaded) is not type(gen):
            fail("load_generator returned another class")
        if not loaded.sample(n_samples, random_state=7).equals(rows):
            fail("a loaded generator gave different rows for the same seed")
