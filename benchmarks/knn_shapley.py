"""Exact KNN-Shapley on Adult: tabaugment vs a per-point loop vs pyDVL vs this machine's lower bound.

Adult (../shared/datasets): 22,000 training rows and 5,000 validation rows drawn with seed 0
(stratified) from adult.csv; one-hot + standardised features (tabaugment's FeatureEncoder,
fitted on the training rows); K = 10; BLAS limited to 1 thread.

- tabaugment: ``tabaugment.hardness.knn_shapley`` with each backend: the compiled kernel (numba:
  radix sort of float32-rounded packed keys, recursion and scatter fused per validation row) and
  the numpy path (an in-place sort of packed (distance, index) keys, vectorised recursion); both
  timed, checked to give identical values, and run again under tracemalloc for peak memory
  (numpy's arrays; the kernel's own scratch is five arrays of the training-set length).
- lower bound: the two steps no exact method avoids, at the same chunk size: the distance
  product (one GEMM) and one argsort per validation row; with numpy's stable argsort (the
  order the recursion needs, ties by index: the issue's definition) and with numpy's
  fastest argsort (unstable, vectorised), which tabaugment can use because its sort keys
  carry the row index; and the machine's floor (issue 18): the distance product in float32 and
  a plain sort of each row's float32 distances.
- per-point loop: the straightforward implementation, one validation point at a time
  (numpy distance, argsort, recursion with a cumulative sum).
- Ours and the machine floor are timed three times each, interleaved, and the fastest of
  each is kept (the machine is shared and noisy); the other rows once.
- pyDVL: ``KNNShapleyValuation`` (run in a separate virtual environment, because pyDVL pins
  an older numpy; see ``--pydvl-python``), on the first ``--pydvl-val`` validation rows and
  scaled linearly to 5,000 (its work is linear in the validation rows). Values are checked
  against ours on those rows.

Run: python benchmarks/knn_shapley.py [--pydvl-python .venv-bench/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, machine_lower_bound, product_time, sort_lower_bound, versions

from tabaugment.data import FeatureEncoder, load_dataset
from tabaugment.hardness import knn_shapley
from tabaugment.hardness._knn_shapley import knn_shapley_chunk_size

ROOT = Path(__file__).resolve().parents[1]
K = 10
N_TRAIN, N_VAL = 22_000, 5_000


def load(datasets: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    ds = load_dataset("adult", root=datasets)
    frame = ds.schema.prepare(ds.table)
    y = ds.schema.encode_target(frame[ds.schema.target])
    X = frame[list(ds.schema.features)]
    tr, rest = train_test_split(np.arange(len(frame)), train_size=N_TRAIN, stratify=y, random_state=0)
    va, _ = train_test_split(rest, train_size=N_VAL, stratify=y[rest], random_state=0)
    enc = FeatureEncoder().fit(X.iloc[tr])
    return enc.transform(X.iloc[tr]), y[tr], enc.transform(X.iloc[va]), y[va]


def per_point_loop(Z: np.ndarray, y: np.ndarray, Zv: np.ndarray, yv: np.ndarray) -> np.ndarray:
    n = len(Z)
    values = np.zeros(n)
    ranks = np.arange(1, n, dtype=np.float64)
    weights = np.minimum(K, ranks) / (K * ranks)
    for xv, t in zip(Zv, yv):
        order = np.argsort(((Z - xv) ** 2).sum(axis=1), kind="stable")
        m = (y[order] == t).astype(np.float64)
        s = np.empty(n)
        s[-1] = m[-1] / max(n, K)
        s[:-1] = s[-1] + np.cumsum(((m[:-1] - m[1:]) * weights)[::-1])[::-1]
        values[order] += s
    return values / len(Zv)


_PYDVL_SCRIPT = """
import json, sys, time, numpy as np, warnings
warnings.filterwarnings("ignore")
from threadpoolctl import threadpool_limits
from sklearn.neighbors import KNeighborsClassifier
from pydvl.valuation.dataset import Dataset
from pydvl.valuation.methods import KNNShapleyValuation
d = np.load(sys.argv[1])
train = Dataset(d["Z"], d["y"]); test = Dataset(d["Zv"], d["yv"])
with threadpool_limits(1):
    t0 = time.perf_counter()
    v = KNNShapleyValuation(KNeighborsClassifier(n_neighbors=int(sys.argv[2])), test, progress=False).fit(train)
    secs = time.perf_counter() - t0
res = v.result
values = np.asarray(res.values)[np.argsort(np.asarray(res.indices))]
import importlib.metadata as md
print(json.dumps({"seconds": secs, "values": values.tolist(), "version": md.version("pydvl"), "numpy": np.__version__}))
"""


def run_pydvl(python: str, Z, y, Zv, yv) -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, Z=Z, y=y, Zv=Zv, yv=yv)
        script = Path(tmp) / "run.py"
        script.write_text(_PYDVL_SCRIPT)
        proc = subprocess.run([python, str(script), str(data), str(K)], capture_output=True, text=True)
        if proc.returncode != 0:
            print("pyDVL failed:", proc.stderr[-2000:], file=sys.stderr)
            return None
        return json.loads(proc.stdout.strip().splitlines()[-1])


def pydvl_comparison(python: str, Z, y, Zv, yv, n_val: int, ours_s: float) -> dict | None:
    """pyDVL on the first ``n_val`` validation rows, its time scaled linearly to all of them,
    and the largest difference from our values on those rows; None without its interpreter."""
    if not Path(python).exists():
        return None
    n_p = min(n_val, len(Zv))
    res = run_pydvl(python, Z, y, Zv[:n_p], yv[:n_p])
    if res is None:
        return None
    mine = knn_shapley(Z, y, Zv[:n_p], yv[:n_p], n_neighbors=K)
    scaled = res["seconds"] * len(Zv) / n_p
    print(f"pyDVL {res['seconds']:.2f} s on {n_p} rows -> {scaled:.1f} s scaled", flush=True)
    return {
        "validation_rows": n_p,
        "measured_s": res["seconds"],
        "scaled_s": scaled,
        "speedup": scaled / ours_s,
        "max_abs_diff": float(np.abs(np.asarray(res["values"]) - mine).max()),
        "version": res["version"],
        "numpy": res["numpy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--pydvl-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    parser.add_argument("--pydvl-val", type=int, default=500, help="validation rows given to pyDVL")
    parser.add_argument("--loop-val", type=int, default=N_VAL, help="validation rows for the per-point loop")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "knn_shapley_adult.json"))
    args = parser.parse_args()

    Z, y, Zv, yv = load(Path(args.datasets))
    chunk = knn_shapley_chunk_size(len(Z), 1024)
    out: dict = {
        "benchmark": "exact KNN-Shapley, Adult",
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "numba", "scipy", "scikit-learn", "threadpoolctl")),
        "setup": {
            "train_rows": len(Z),
            "validation_rows": len(Zv),
            "features": Z.shape[1],
            "k": K,
            "blas_threads": 1,
            "seed": 0,
            "chunk_rows": chunk,
            "max_memory_mb": 1024,
        },
    }
    with threadpool_limits(1):
        knn_shapley(Z, y, Zv[:200], yv[:200], n_neighbors=K, backend="compiled")  # compile (or load the cache)
        times: dict[str, list[float]] = {"compiled": [], "numpy": [], "floor": []}
        for _ in range(3):
            for backend in ("compiled", "numpy"):
                t0 = time.perf_counter()
                values = knn_shapley(Z, y, Zv, yv, n_neighbors=K, backend=backend)
                times[backend].append(time.perf_counter() - t0)
                if backend == "compiled":
                    compiled_values = values
                else:
                    identical = bool(np.array_equal(values, compiled_values))
            times["floor"].append(machine_lower_bound(Z, Zv, chunk))
        t_ours, t_numpy, t_machine = min(times["compiled"]), min(times["numpy"]), min(times["floor"])
        peaks = {}
        for backend in ("compiled", "numpy"):
            tracemalloc.start()
            knn_shapley(Z, y, Zv, yv, n_neighbors=K, backend=backend)
            peaks[backend] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        peak = peaks["compiled"]
        t_product = min(product_time(Z, Zv, chunk) for _ in range(3))
        t_lb = sort_lower_bound(Z, Zv, chunk, "stable")
        t_lb_fast = sort_lower_bound(Z, Zv, chunk, "quicksort")
        print(
            f"tabaugment {t_ours:.2f} s (numpy path {t_numpy:.2f} s), floor {t_machine:.2f} s, "
            f"lower bound {t_lb:.2f} s (stable) {t_lb_fast:.2f} s (quicksort)",
            flush=True,
        )
        n_loop = min(args.loop_val, len(Zv))
        t0 = time.perf_counter()
        loop_vals = per_point_loop(Z, y, Zv[:n_loop], yv[:n_loop])
        t_loop = (time.perf_counter() - t0) * len(Zv) / n_loop
        print(f"per-point loop {t_loop:.2f} s", flush=True)
    ref = knn_shapley(Z, y, Zv[:n_loop], yv[:n_loop], n_neighbors=K)
    out["results"] = {
        "tabaugment_s": round(t_ours, 3),
        "tabaugment_runs_s": [round(t, 3) for t in times["compiled"]],
        "tabaugment_peak_mb": round(peak / 2**20, 1),
        "numpy_path_s": round(t_numpy, 3),
        "numpy_path_runs_s": [round(t, 3) for t in times["numpy"]],
        "numpy_path_peak_mb": round(peaks["numpy"] / 2**20, 1),
        "compiled_equals_numpy_path": identical,
        "float64_product_s": round(t_product, 3),
        "machine_lower_bound_runs_s": [round(t, 3) for t in times["floor"]],
        "lower_bound_s": round(t_lb, 3),
        "ratio_to_lower_bound": round(t_ours / t_lb, 3),
        "lower_bound_fastest_argsort_s": round(t_lb_fast, 3),
        "ratio_to_lower_bound_fastest_argsort": round(t_ours / t_lb_fast, 3),
        "machine_lower_bound_s": round(t_machine, 3),
        "ratio_to_machine_lower_bound": round(t_ours / t_machine, 3),
        "per_point_loop_s": round(t_loop, 3),
        "per_point_loop_validation_rows": n_loop,
        "speedup_vs_per_point_loop": round(t_loop / t_ours, 2),
        "max_abs_diff_vs_per_point_loop": float(np.abs(loop_vals - ref).max()),
    }
    cmp = pydvl_comparison(args.pydvl_python, Z, y, Zv, yv, args.pydvl_val, t_ours)
    if cmp is None:
        out["results"]["pydvl"] = f"not run: no interpreter at {args.pydvl_python}"
    else:
        out["versions"]["pydvl"] = cmp["version"]
        out["versions"]["numpy (pydvl venv)"] = cmp["numpy"]
        out["results"].update(
            pydvl_validation_rows=cmp["validation_rows"],
            pydvl_measured_s=round(cmp["measured_s"], 3),
            pydvl_scaled_to_5000_s=round(cmp["scaled_s"], 3),
            speedup_vs_pydvl=round(cmp["speedup"], 1),
            max_abs_diff_vs_pydvl=cmp["max_abs_diff"],
        )
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out["results"], indent=2))


if __name__ == "__main__":
    main()
