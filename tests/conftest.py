from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# run by the SDMetrics interpreter, not imported by the test suite (the doctest collector would)
collect_ignore = ["sdmetrics_reference.py"]

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not (DATASETS / "catalog.json").is_file():
        pytest.skip(f"no dataset catalog at {DATASETS}")
    return DATASETS


@pytest.fixture
def mixed_table() -> tuple[pd.DataFrame, str]:
    from tabaugment.testing import contract_table

    return contract_table()


@pytest.fixture
def raw_table() -> pd.DataFrame:
    """A raw table as read from a CSV: text, markers, numbers as text."""
    rng = np.random.default_rng(1)
    n = 60
    return pd.DataFrame(
        {
            "age": rng.integers(18, 70, n),
            "income": [str(v) if i % 11 else "?" for i, v in enumerate(rng.integers(1000, 9000, n))],
            "job": rng.choice(["clerk", "nurse", "chef"], n).astype(object),
            "default": np.where(rng.random(n) < 0.3, "yes", "no").astype(object),
        }
    )
