"""Evaluation metrics at scale: tabaugment's fidelity, privacy and validity beside SDMetrics'.

A. Adult: 22,000 real training rows (adult.csv, seed 0), 22,000 synthetic rows from
   tabaugment's Gaussian copula fitted on them, 5,000 real holdout rows. Every metric
   (fidelity with detection, privacy with holdout and membership attack, learned validity
   rules) on 1 BLAS thread, timed one by one. Goal: all together under 60 s.
B. give_me_some_credit: all 150,000 real rows against 150,000 copula rows: NRS, DCR and
   NNDR (exact nearest neighbours, chunked at max_memory_mb=512) in a fresh process; peak
   resident memory from the OS. Goal: under 4 GB.
C. SDMetrics on the data of A, in its own virtual environment (it pins pandas < 3):
   QualityReport (column shapes + pairs), NewRowSynthesis on a 500-row synthetic sample
   scaled to 22,000, and DCROverfittingProtection (the counterpart of our
   closer-to-training share), each with a time limit.

Run: python benchmarks/evaluation.py [--sdmetrics-python .venv-sdmetrics/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, versions

ROOT = Path(__file__).resolve().parents[1]


def adult_tables(datasets: Path):
    from sklearn.model_selection import train_test_split

    from tabaugment.data import load_dataset
    from tabaugment.generators import GaussianCopula

    ds = load_dataset("adult", root=datasets)
    frame = ds.schema.prepare(ds.table)
    y = ds.schema.encode_target(frame[ds.schema.target])
    tr, rest = train_test_split(np.arange(len(frame)), train_size=22_000, stratify=y, random_state=0)
    ho, _ = train_test_split(rest, train_size=5_000, stratify=y[rest], random_state=0)
    real, holdout = frame.iloc[tr].reset_index(drop=True), frame.iloc[ho].reset_index(drop=True)
    synthetic = GaussianCopula(random_state=0).fit(real, target=ds.schema.target).sample(22_000, random_state=1)
    return real, synthetic, holdout


def part_a(real, synthetic, holdout) -> dict:
    from tabaugment.data import Constraints
    from tabaugment.evaluation.fidelity import fidelity_report
    from tabaugment.evaluation.privacy import privacy_report

    out = {}
    with threadpool_limits(1):
        t0 = time.perf_counter()
        fid = fidelity_report(real, synthetic, with_detection=False)
        out["fidelity_shapes_pairs_mismatch_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        from tabaugment.evaluation.fidelity import detection

        det = detection(real, synthetic)
        out["fidelity_detection_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        priv = privacy_report(real, synthetic, holdout)
        out["privacy_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rules = Constraints.learn(real)
        val = rules.check(synthetic)
        out["validity_s"] = time.perf_counter() - t0
    out = {k: round(v, 2) for k, v in out.items()}
    out["total_s"] = round(sum(out.values()), 2)
    out["values"] = {
        "column_shapes": round(fid.summary["column_shapes"], 4),
        "column_pairs": round(fid.summary["column_pairs"], 4),
        "detection_auc": round(det["auc"], 4),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in priv.summary.items()},
        "valid_share": round(val.valid_share, 4),
        "rules": len(rules.rules),
    }
    return out


_PART_B = """
import json, resource, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from tabaugment.data import load_dataset
from tabaugment.generators import GaussianCopula
from tabaugment.evaluation.privacy import privacy_report
ds = load_dataset("give_me_some_credit", root=sys.argv[1])
real = ds.schema.prepare(ds.table).reset_index(drop=True)
syn = GaussianCopula(random_state=0).fit(real, target=ds.schema.target).sample(len(real), random_state=1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with threadpool_limits(1):
    t0 = time.perf_counter()
    rep = privacy_report(real, syn, None, max_memory_mb=512)
    secs = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(real), "synthetic_rows": len(syn), "seconds": round(secs, 1),
                  "peak_rss_mb": round(peak / 1024, 1), "rss_before_mb": round(before / 1024, 1),
                  "summary": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in rep.summary.items()}}))
"""

_SDMETRICS = """
import json, sys, time, warnings, signal
warnings.filterwarnings("ignore")
import pandas as pd
from threadpoolctl import threadpool_limits
real = pd.read_parquet(sys.argv[1]); syn = pd.read_parquet(sys.argv[2]); hold = pd.read_parquet(sys.argv[3])
limit = int(sys.argv[4])
cat = [c for c in real.columns if not pd.api.types.is_numeric_dtype(real[c])]
for f in (real, syn, hold):
    for c in cat:
        f[c] = f[c].astype(object)
meta = {"columns": {c: {"sdtype": "categorical" if c in cat else "numerical"} for c in real.columns}}
out = {}
class Timeout(Exception):
    pass
def handler(*a):
    raise Timeout()
signal.signal(signal.SIGALRM, handler)
def timed(name, fn):
    signal.alarm(limit)
    t0 = time.perf_counter()
    try:
        value = fn()
        out[name] = {"seconds": round(time.perf_counter() - t0, 2), "value": value}
    except Timeout:
        out[name] = {"seconds": None, "value": f"did not finish within {limit} s"}
    finally:
        signal.alarm(0)
with threadpool_limits(1):
    from sdmetrics.reports.single_table import QualityReport
    def quality():
        r = QualityReport(); r.generate(real, syn, meta, verbose=False)
        props = r.get_properties()
        return {row.Property: round(float(row.Score), 4) for row in props.itertuples()}
    timed("quality_report", quality)
    from sdmetrics.single_table import NewRowSynthesis, DCROverfittingProtection
    timed("new_row_synthesis_500", lambda: NewRowSynthesis.compute(real, syn, meta, synthetic_sample_size=500))
    timed("dcr_overfitting_protection", lambda: DCROverfittingProtection.compute_breakdown(real, syn, hold, meta, None))
import importlib.metadata as md
out["version"] = md.version("sdmetrics")
print(json.dumps(out, default=str))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--sdmetrics-python", default=str(ROOT / ".venv-sdmetrics" / "bin" / "python"))
    parser.add_argument("--sdmetrics-limit", type=int, default=600, help="seconds per SDMetrics metric")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "evaluation.json"))
    args = parser.parse_args()
    out: dict = {
        "benchmark": "evaluation metrics at scale",
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "pandas", "scipy", "scikit-learn", "lightgbm")),
        "seeds": {"split": 0, "copula_fit": 0, "copula_sample": 1, "metrics": 0},
    }
    real, synthetic, holdout = adult_tables(Path(args.datasets))
    out["adult_22000x22000"] = part_a(real, synthetic, holdout)
    print(json.dumps(out["adult_22000x22000"], indent=1), flush=True)
    proc = subprocess.run([sys.executable, "-c", _PART_B, args.datasets], capture_output=True, text=True)
    out["give_me_some_credit_150000x150000"] = (
        json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else proc.stderr[-2000:]
    )
    print(json.dumps(out["give_me_some_credit_150000x150000"], indent=1), flush=True)
    if Path(args.sdmetrics_python).exists():
        with tempfile.TemporaryDirectory() as tmp:
            for name, frame in (("real", real), ("syn", synthetic), ("hold", holdout)):
                frame.to_parquet(Path(tmp) / f"{name}.parquet")
            proc = subprocess.run(
                [
                    args.sdmetrics_python,
                    "-c",
                    _SDMETRICS,
                    *(str(Path(tmp) / f"{n}.parquet") for n in ("real", "syn", "hold")),
                    str(args.sdmetrics_limit),
                ],
                capture_output=True,
                text=True,
            )
        sdm = (
            json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": proc.stderr[-2000:]}
        )
        nrs = sdm.get("new_row_synthesis_500", {})
        if isinstance(nrs.get("seconds"), (int, float)):
            nrs["scaled_to_22000_s"] = round(nrs["seconds"] * 22_000 / 500, 1)
        out["sdmetrics_adult"] = sdm
        print(json.dumps(sdm, indent=1), flush=True)
    else:
        out["sdmetrics_adult"] = f"not run: no interpreter at {args.sdmetrics_python}"
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
