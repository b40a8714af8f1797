"""Generators on Adult, side by side with the reference implementations (the ``ctgan`` package).

Data: 22,000 training rows of adult.csv (stratified, seed 0); the official adult test file
(16,281 rows) for train-synthetic-test-real (TSTR). Both sides: 1 thread, the same epochs and
batch size (500), seed 0. The reference runs in its own virtual environment (``.venv-ctgan``;
it needs pandas < 3), in a subprocess, and hands its synthetic rows back for scoring.

Measured per generator: fit time; preprocessing time, timed inside the fit (our mode-specific
normalisation vs the reference's DataTransformer, whose fit/transform are wrapped in timers); fit throughput = rows x epochs / (fit -
preprocessing) seconds; sampling throughput; peak resident memory of the fitting process;
fidelity (column shapes and column pairs, our metrics) against the training rows; and TSTR
ROC-AUC (LightGBM trained on 22,000 synthetic rows, scored on the real test file), beside the
same model trained on the real rows. Also: a 100,000-row table with a 20,000-level column,
fitted by our TVAE and CTGAN for one epoch, with peak memory.

Run: python benchmarks/generators.py [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _adult import adult, tstr_auc
from _machine import command_line, machine_info, versions

ROOT = Path(__file__).resolve().parents[1]


def fidelity(train, synthetic) -> dict:
    from tabaugment.evaluation.fidelity import fidelity_report

    s = fidelity_report(train, synthetic[train.columns], with_detection=False).summary
    return {"column_shapes": round(s["column_shapes"], 4), "column_pairs": round(s["column_pairs"], 4)}


def _ours_child(name: str, params: dict, train, target: str, n_rows: int, epochs: int, queue) -> None:
    import torch

    torch.set_num_threads(1)
    from threadpoolctl import threadpool_limits

    from tabaugment._registry import get_class

    with threadpool_limits(1):
        gen = get_class("generators", name)(**params)
        t0 = time.perf_counter()
        gen.fit(train, target=target)
        fit = time.perf_counter() - t0
        prep = getattr(gen, "preprocess_seconds_", 0.0)  # timed inside fit
        t0 = time.perf_counter()
        syn = gen.sample(n_rows, random_state=1)
        sample = time.perf_counter() - t0
    queue.put(
        {
            "fit_s": fit,
            "preprocess_s": prep,
            "sample_s": sample,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "synthetic": syn,
        }
    )


def run_ours(name, params, train, target, epochs) -> tuple[dict, object]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_ours_child, args=(name, params, train, target, len(train), epochs, q))
    p.start()
    out = q.get()
    p.join()
    syn = out.pop("synthetic")
    return out, syn


_REFERENCE = """
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd, torch
torch.set_num_threads(1)
from threadpoolctl import threadpool_limits
from ctgan import CTGAN, TVAE
import ctgan.data_transformer as dt
prep = [0.0]
for meth in ("fit", "transform"):  # time the reference's preprocessing inside its own fit
    orig = getattr(dt.DataTransformer, meth)
    def timed(self, *a, _orig=orig, **k):
        t0 = time.perf_counter(); out = _orig(self, *a, **k); prep[0] += time.perf_counter() - t0; return out
    setattr(dt.DataTransformer, meth, timed)
train = pd.read_parquet(sys.argv[1]); name, epochs, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
discrete = [c for c in train.columns if not pd.api.types.is_numeric_dtype(train[c])]
for c in discrete:
    train[c] = train[c].astype(object)
with threadpool_limits(1):
    model = (TVAE if name == "tvae" else CTGAN)(epochs=epochs, batch_size=500, enable_gpu=False) if name == "tvae" else CTGAN(epochs=epochs, batch_size=500, pac=10, enable_gpu=False)
    model.set_random_state(0)
    t0 = time.perf_counter(); model.fit(train, discrete); fit = time.perf_counter() - t0; prep = prep[0]
    t0 = time.perf_counter(); syn = model.sample(len(train)); sample = time.perf_counter() - t0
syn.to_parquet(out)
import importlib.metadata as md
print(json.dumps({"fit_s": fit, "preprocess_s": prep, "sample_s": sample, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "version": md.version("ctgan")}))
"""


def run_reference(python: str, name: str, train, epochs: int, tmp: Path) -> tuple[dict, object]:
    import pandas as pd

    src = tmp / "train.parquet"
    train.to_parquet(src)
    out = tmp / f"ref_{name}.parquet"
    proc = subprocess.run(
        [python, "-c", _REFERENCE, str(src), name, str(epochs), str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}, None
    return json.loads(proc.stdout.strip().splitlines()[-1]), pd.read_parquet(out)


def many_levels() -> dict:
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 100_000
    table = pd.DataFrame(
        {
            "id_like": pd.Series([f"level_{i}" for i in rng.integers(0, 20_000, n)], dtype=object),
            "x": rng.normal(size=n),
            "z": rng.exponential(size=n),
            "label": pd.Series(np.where(rng.random(n) < 0.3, "yes", "no"), dtype=object),
        }
    )
    out = {"rows": n, "distinct_levels": int(table["id_like"].nunique())}
    for name in ("tvae", "ctgan"):
        res, syn = run_ours(name, {"epochs": 1, "batch_size": 500, "random_state": 0}, table, "label", 1)
        out[name] = {
            "fit_s": round(res["fit_s"], 1),
            "peak_rss_mb": round(res["peak_rss_mb"], 1),
            "synthetic_distinct_levels": int(syn["id_like"].nunique()),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--reference-python", default=str(ROOT / ".venv-ctgan" / "bin" / "python"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "generators.json"))
    args = parser.parse_args()
    schema, train, test = adult(Path(args.datasets))
    target = schema.target
    out: dict = {
        "benchmark": "generators on Adult",
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "torch", "numpy", "pandas", "scikit-learn", "lightgbm")),
        "setup": {
            "train_rows": len(train),
            "test_rows": len(test),
            "epochs": args.epochs,
            "batch_size": 500,
            "threads": 1,
            "seed": 0,
        },
        "real_data_auc": round(tstr_auc(schema, train, test), 4),
        "generators": {},
    }
    e = args.epochs
    plans = {
        "gaussian_copula": {"random_state": 0},
        "smote": {"random_state": 0},
        "arf": {"random_state": 0},
        "tvae": {"epochs": e, "batch_size": 500, "random_state": 0},
        "ctgan": {"epochs": e, "batch_size": 500, "pac": 10, "random_state": 0},
        "diffusion": {"epochs": e, "batch_size": 500, "steps": 100, "random_state": 0},
    }
    for name, params in plans.items():
        res, syn = run_ours(name, params, train, target, e)
        row = {k: round(v, 2) for k, v in res.items()}
        if name in ("tvae", "ctgan", "diffusion"):
            row["fit_throughput_rows_epochs_per_s"] = round(
                len(train) * e / max(res["fit_s"] - res["preprocess_s"], 1e-9), 1
            )
        row["sample_rows_per_s"] = round(len(train) / res["sample_s"], 1)
        row.update(fidelity(train, syn))
        row["tstr_auc"] = round(tstr_auc(schema, syn, test), 4)
        out["generators"][name] = row
        print(name, json.dumps(row), flush=True)
    if Path(args.reference_python).exists():
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("tvae", "ctgan"):
                res, syn = run_reference(args.reference_python, name, train, e, Path(tmp))
                if syn is None:
                    out["generators"][f"reference_{name}"] = res
                    continue
                row = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in res.items()}
                row["fit_throughput_rows_epochs_per_s"] = round(
                    len(train) * e / max(res["fit_s"] - res["preprocess_s"], 1e-9), 1
                )
                row["sample_rows_per_s"] = round(len(train) / res["sample_s"], 1)
                for col in schema.numerical:
                    syn[col] = syn[col].astype(float)
                for col in [*schema.categorical, target]:
                    syn[col] = (
                        syn[col].astype(object).astype(train[col].dtype)
                        if col in schema.categorical
                        else syn[col].astype(object)
                    )
                row.update(fidelity(train, syn))
                row["tstr_auc"] = round(tstr_auc(schema, syn, test), 4)
                out["generators"][f"reference_{name}"] = row
                ours = out["generators"][name]
                row["our_throughput_ratio"] = round(
                    ours["fit_throughput_rows_epochs_per_s"] / row["fit_throughput_rows_epochs_per_s"], 2
                )
                row["our_preprocessing_speedup"] = round(row["preprocess_s"] / max(ours["preprocess_s"], 1e-9), 2)
                print(f"reference_{name}", json.dumps(row), flush=True)
    out["many_level_stress"] = many_levels()
    print(json.dumps(out["many_level_stress"]), flush=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
