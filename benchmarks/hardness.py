"""Hardness at scale: exact KNN-Shapley on ~120k x 15k rows, approximate on 1M rows, Data-IQ cost.

1. give_me_some_credit (../shared/datasets): 120,000 training and 15,000 validation rows
   (stratified, seed 0), standardised features; exact KNN-Shapley (K = 10, 1 BLAS thread,
   max_memory_mb = 1024) with the compiled kernel (numba) and with the numpy path; time, and
   peak resident memory of the process. Beside it, on the same chunks: the machine's floor (the
   product in float32 and a plain sort of each row's float32 distances) and the product plus
   numpy's fastest argsort; and pyDVL's ``KNNShapleyValuation`` on the first ``--pydvl-val``
   validation rows (same data, its own virtual environment, see benchmarks/knn_shapley.py),
   scaled linearly to 15,000.
2. Approximate KNN-Shapley (top T = 100 neighbours per validation row, faiss flat index) on
   the same data: time, and rank agreement with the exact values (Spearman, overlap of the
   hardest 10%).
3. Approximate KNN-Shapley on 1,000,000 rows: give_me_some_credit resampled with Gaussian
   noise (0.05 standard deviations, seed 0), 10,000 validation rows, faiss IVF index (nprobe
   16); time and peak memory.
4. Data-IQ on Adult (26,048 training rows = adult.csv minus a 20% split, seed 0) with 200
   LightGBM rounds: time, against training the same model once.

Run: python benchmarks/hardness.py
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, machine_lower_bound, product_time, sort_lower_bound, versions
from knn_shapley import pydvl_comparison

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def credit(datasets: Path):
    from sklearn.model_selection import train_test_split

    from tabaugment.data import FeatureEncoder, load_dataset

    ds = load_dataset("give_me_some_credit", root=datasets)
    frame = ds.schema.prepare(ds.table)
    y = ds.schema.encode_target(frame[ds.schema.target])
    X = frame[list(ds.schema.features)]
    tr, rest = train_test_split(np.arange(len(frame)), train_size=120_000, stratify=y, random_state=0)
    va, _ = train_test_split(rest, train_size=15_000, stratify=y[rest], random_state=0)
    enc = FeatureEncoder().fit(X.iloc[tr])
    return enc.transform(X.iloc[tr]), y[tr], enc.transform(X.iloc[va]), y[va]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "hardness.json"))
    parser.add_argument("--pydvl-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    parser.add_argument("--pydvl-val", type=int, default=200, help="validation rows given to pyDVL")
    args = parser.parse_args()
    from scipy.stats import spearmanr

    from tabaugment.hardness import approximate_knn_shapley, knn_shapley
    from tabaugment.hardness._knn_shapley import knn_shapley_chunk_size

    out: dict = {
        "benchmark": "hardness at scale",
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "numba", "scipy", "scikit-learn", "lightgbm", "faiss-cpu")),
        "seeds": {"splits": 0, "noise": 0},
    }
    Z, y, Zv, yv = credit(Path(args.datasets))
    with threadpool_limits(1):
        t0 = time.perf_counter()
        exact = knn_shapley(Z, y, Zv, yv, n_neighbors=10, max_memory_mb=1024, progress=True, backend="compiled")
        t_exact = time.perf_counter() - t0
        rss_compiled = peak_mb()
        t0 = time.perf_counter()
        numpy_values = knn_shapley(Z, y, Zv, yv, n_neighbors=10, max_memory_mb=1024, backend="numpy")
        t_numpy = time.perf_counter() - t0
        chunk = knn_shapley_chunk_size(len(Z), 1024)
        t_product = product_time(Z, Zv, chunk)
        lb_fast = sort_lower_bound(Z, Zv, chunk, "quicksort")
        lb_machine = machine_lower_bound(Z, Zv, chunk)
        out["exact_give_me_some_credit"] = {
            "train_rows": len(Z),
            "validation_rows": len(Zv),
            "features": Z.shape[1],
            "k": 10,
            "blas_threads": 1,
            "seconds": round(t_exact, 1),
            "peak_rss_mb_so_far": rss_compiled,
            "numpy_path_s": round(t_numpy, 1),
            "compiled_equals_numpy_path": bool(np.array_equal(exact, numpy_values)),
            "float64_product_s": round(t_product, 1),
            "lower_bound_fastest_argsort_s": round(lb_fast, 1),
            "ratio_to_lower_bound_fastest": round(t_exact / lb_fast, 3),
            "machine_lower_bound_s": round(lb_machine, 1),
            "ratio_to_machine_lower_bound": round(t_exact / lb_machine, 3),
        }
        cmp = pydvl_comparison(args.pydvl_python, Z, y, Zv, yv, args.pydvl_val, t_exact)
        if cmp is not None:
            out["versions"]["pydvl"] = cmp["version"]
            out["exact_give_me_some_credit"].update(
                pydvl_validation_rows=cmp["validation_rows"],
                pydvl_measured_s=round(cmp["measured_s"], 1),
                pydvl_scaled_s=round(cmp["scaled_s"], 1),
                speedup_vs_pydvl=round(cmp["speedup"], 1),
                max_abs_diff_vs_pydvl=cmp["max_abs_diff"],
            )
        print(json.dumps(out["exact_give_me_some_credit"]), flush=True)
        t0 = time.perf_counter()
        approx = approximate_knn_shapley(Z, y, Zv, yv, n_neighbors=10, top=100, index="flat")
        t_approx = time.perf_counter() - t0
        h = len(Z) // 10
        overlap = len(set(np.argsort(exact)[:h]) & set(np.argsort(approx)[:h])) / h
        out["approximate_vs_exact_give_me_some_credit"] = {
            "top": 100,
            "index": "faiss flat",
            "seconds": round(t_approx, 1),
            "speedup_vs_exact": round(t_exact / t_approx, 1),
            "spearman": round(float(spearmanr(exact, approx).statistic), 4),
            "hardest_10pct_overlap": round(overlap, 4),
        }
        print(json.dumps(out["approximate_vs_exact_give_me_some_credit"]), flush=True)
        rng = np.random.default_rng(0)
        idx = rng.integers(0, len(Z), 1_000_000)
        big = Z[idx] + rng.normal(scale=0.05, size=(1_000_000, Z.shape[1]))
        t0 = time.perf_counter()
        approximate_knn_shapley(big, y[idx], Zv[:10_000], yv[:10_000], n_neighbors=10, top=100, index="ivf")
        out["approximate_1m_rows"] = {
            "train_rows": 1_000_000,
            "validation_rows": 10_000,
            "top": 100,
            "index": "faiss IVF, nprobe 16",
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_mb_so_far": peak_mb(),
        }
        print(json.dumps(out["approximate_1m_rows"]), flush=True)
        del big
        from tabaugment.data import load_dataset, split_table
        from tabaugment.hardness import DataIQ
        from tabaugment.hardness._dynamics import _lgbm, _lgbm_frame

        ds = load_dataset("adult", root=Path(args.datasets))
        split = split_table(ds.table, ds.schema, test=ds.test, validation_size=0.2, random_state=0)
        X = split.train[list(ds.schema.features)]
        ya = ds.schema.encode_target(split.train[ds.schema.target])
        t0 = time.perf_counter()
        _lgbm(200, 0.1, 0, False).fit(_lgbm_frame(X), ya)
        t_once = time.perf_counter() - t0
        t0 = time.perf_counter()
        DataIQ(n_estimators=200).fit(X, ya)
        t_iq = time.perf_counter() - t0
        out["data_iq_adult"] = {
            "train_rows": len(X),
            "rounds": 200,
            "train_once_s": round(t_once, 2),
            "data_iq_s": round(t_iq, 2),
            "overhead_ratio": round(t_iq / t_once, 2),
        }
        print(json.dumps(out["data_iq_adult"]), flush=True)
    out["peak_rss_mb"] = peak_mb()
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
