"""Our metrics agree with SDMetrics' where the definitions match.

SDMetrics pins pandas < 3, so it lives in its own virtual environment (``.ci/run`` makes
``.venv-sdmetrics``; set ``TABAUGMENT_SDMETRICS_PYTHON`` to use another). Stated tolerances:
KSComplement, CorrelationSimilarity, ContingencySimilarity 1e-9; TVComplement 1e-5 (SDMetrics
adds 1e-6 pseudo-counts for categories only the synthetic rows have); NewRowSynthesis exact.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tabaugment.evaluation.fidelity import column_pairs, column_shapes
from tabaugment.evaluation.privacy import new_row_synthesis
from tabaugment.generators import GaussianCopula
from tabaugment.testing import contract_table

ROOT = Path(__file__).resolve().parents[1]


def _sdmetrics_python() -> str:
    path = os.environ.get("TABAUGMENT_SDMETRICS_PYTHON", str(ROOT / ".venv-sdmetrics" / "bin" / "python"))
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide SDMetrics at {path} (.ci/run creates it)")
        pytest.skip(f"no SDMetrics interpreter at {path}")
    return path


def test_metrics_agree_with_sdmetrics(tmp_path) -> None:
    python = _sdmetrics_python()
    table, target = contract_table(n=300, random_state=3)
    # SDMetrics handles booleans differently by version, and dates by its own metadata
    table = table.drop(columns=["owner", "opened"])
    synthetic = GaussianCopula(random_state=0).fit(table, target=target).sample(300, random_state=1)
    synthetic.iloc[:20] = table.iloc[:20].to_numpy()  # some exact copies for NewRowSynthesis
    synthetic = synthetic.astype(table.dtypes.to_dict())
    kinds = {c: ("numerical" if c in ("age", "income") else "categorical") for c in table.columns}
    table.to_parquet(tmp_path / "real.parquet")
    synthetic.to_parquet(tmp_path / "syn.parquet")
    (tmp_path / "kinds.json").write_text(json.dumps(kinds))
    proc = subprocess.run(
        [
            python,
            str(ROOT / "tests" / "sdmetrics_reference.py"),
            str(tmp_path / "real.parquet"),
            str(tmp_path / "syn.parquet"),
            str(tmp_path / "kinds.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ref = json.loads(proc.stdout.strip().splitlines()[-1])

    shapes = column_shapes(table, synthetic).set_index("column")["score"]
    for col, value in ref["shapes"].items():
        tol = 1e-9 if kinds[col] == "numerical" else 1e-5
        assert shapes[col] == pytest.approx(value, abs=tol), col
    pairs = column_pairs(table, synthetic)
    ours = {f"{a}|{b}": s for a, b, s in zip(pairs.column_a, pairs.column_b, pairs.score)}
    for key, value in ref["pairs"].items():
        assert ours[key] == pytest.approx(value, abs=1e-9), key
    nrs = new_row_synthesis(table, synthetic, numerical_tolerance=0.01)
    assert nrs["score"] == pytest.approx(ref["new_row_synthesis"], abs=1e-12)
    assert np.isfinite(list(ref["shapes"].values())).all()
