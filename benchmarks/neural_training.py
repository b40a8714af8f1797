"""Epochs the neural generators need, early stopping, and diffusion's sampler (issue 17).

Data: Adult, a stratified sample of the training file (``--rows``, seed 0); the official test
file (16,281 rows) is never seen by a generator and judges everything: fidelity (our
SDMetrics-style column shapes and column pairs against the test rows) and TSTR ROC-AUC
(LightGBM trained on as many synthetic rows as were fitted, scored on the test rows).

Part 1, for ``tvae``, ``ctgan`` and ``diffusion``, per fit seed: early stopping (on
the held-out distance: binned column and pair fidelity plus 1 - the held-out ROC-AUC of a
logistic regression trained on generated rows, checked every 5 epochs, patience 6 checks, 300
epochs at most for TVAE and CTGAN, 200 for diffusion; the default of TVAE and diffusion)
beside the same generator with ``early_stopping=False`` (every epoch, on every row; CTGAN's
default). Reported: epochs run, fit CPU seconds,
sampling speed, fidelity and TSTR; the ratio of CPU seconds.

Part 2, diffusion's sampler: the default fit of the first seed, then 5,000 rows drawn with every training step
(100, the ancestral DDPM chain) and with 50, 20, 10 and 5 evenly spaced steps (eta = 1: the
posterior draw; eta = 0: DDIM's deterministic move; both add back the spread lost by large
steps); rows per CPU-second, fidelity, TSTR.

Everything on one thread, one process, back to back; CPU seconds by ``time.process_time``.

Part 3 (``--default-only``): a generator in its default setting only, no comparison of
settings; how ``tabsyn`` and ``ctabgan_plus`` are measured.

A run replaces the rows of the generators it measures and keeps the others already in
``--out`` (read when the results are written, so two runs of other generators can share the
file); every row records the command that measured it.

Run: python benchmarks/neural_training.py [--rows 5000] [--seeds 0 1] [--generators tvae ctgan diffusion]
     python benchmarks/neural_training.py --generators tabsyn ctabgan_plus --default-only
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _adult import adult, tstr_auc
from _machine import command_line, machine_info, versions

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "neural_training.json"


def judge(schema, synthetic, test) -> dict[str, float]:
    from tabaugment.evaluation.fidelity import fidelity_report

    summary = fidelity_report(test, synthetic[test.columns], with_detection=False).summary
    return {
        "column_shapes": round(summary["column_shapes"], 4),
        "column_pairs": round(summary["column_pairs"], 4),
        "quality": round(summary["quality"], 4),
        "tstr_roc_auc": round(tstr_auc(schema, synthetic, test), 4),
    }


def fit_one(name: str, early_stopping: bool | None, schema, train, test, seed: int) -> tuple[dict, object]:
    """Fit and judge one generator; ``early_stopping=None`` keeps its default."""
    from tabaugment._registry import get_class

    cls = get_class("generators", name)
    early_stopping = cls().early_stopping if early_stopping is None else early_stopping
    gen = cls(random_state=seed, n_threads=1, early_stopping=early_stopping)
    c0 = time.process_time()
    gen.fit(train, target=schema.target)
    fit_cpu = time.process_time() - c0
    checks = [h for h in gen.history_ if "held_out" in h]
    best = min(checks, key=lambda h: h["held_out"]) if checks else None
    c0 = time.process_time()
    syn = gen.sample(len(train), random_state=seed + 100)
    sample_cpu = time.process_time() - c0
    row = {
        "generator": name,
        "seed": seed,
        "setting": "early stopping" if early_stopping else "every epoch, no early stopping",
        "default": early_stopping == cls().early_stopping,
        "epochs_run": len(gen.history_),
        "best_check_epoch": None if best is None else int(best["epoch"]) + 1,
        "fit_cpu_s": round(fit_cpu, 1),
        "command": command_line(),
        "sample_rows_per_cpu_s": round(len(train) / max(sample_cpu, 1e-9)),
        **judge(schema, syn, test),
    }
    if hasattr(gen, "vae_history_"):  # TabSyn: how well its first stage reconstructs the rows
        row["vae_last_epoch_recon_loss"] = round(gen.vae_history_[-1]["recon"], 4)
    print(json.dumps(row), flush=True)
    return row, gen


def sampler_rows(gen, schema, test, n: int) -> list[dict]:
    rows = []
    for steps, eta in [(None, 1.0), (50, 1.0), (20, 1.0), (10, 1.0), (10, 0.0), (5, 1.0)]:
        gen.set_params(sample_steps=steps, eta=eta)
        c0 = time.process_time()
        syn = gen.sample(n, random_state=7)
        cpu = time.process_time() - c0
        row = {
            "sample_steps": steps or gen.steps,
            "eta": eta,
            "rows": n,
            "sample_cpu_s": round(cpu, 2),
            "rows_per_cpu_s": round(n / cpu),
            **judge(schema, syn, test),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--generators", nargs="+", default=["tvae", "ctgan", "diffusion"])
    parser.add_argument("--default-only", action="store_true", help="fit each generator in its default setting only")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    schema, train, test = adult(Path(args.datasets), args.rows)
    training, sampler = [], None
    with threadpool_limits(1):
        for name in args.generators:
            for seed in args.seeds:
                if args.default_only:
                    training.append(fit_one(name, None, schema, train, test, seed)[0])
                    continue
                stop_row, gen = fit_one(name, True, schema, train, test, seed)
                full_row, full_gen = fit_one(name, False, schema, train, test, seed)
                stop_row["cpu_ratio_every_epoch_over_early_stopping"] = round(
                    full_row["fit_cpu_s"] / stop_row["fit_cpu_s"], 2
                )
                training += [stop_row, full_row]
                gen = gen if stop_row["default"] else full_gen
                if name == "diffusion" and seed == args.seeds[0]:
                    sampler = sampler_rows(gen, schema, test, 5000)
    # merged when written, so runs measuring other generators side by side keep each other's rows
    old = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    kept = [
        {"command": old.get("command"), **r} for r in old.get("training", []) if r["generator"] not in args.generators
    ]
    training = kept + training
    sampler = old.get("diffusion_sampler", []) if sampler is None else sampler
    Path(args.out).write_text(
        json.dumps(
            {
                "benchmark": "neural generators: epochs, early stopping, diffusion sampler",
                "command": command_line(),
                "machine": machine_info(),
                "versions": versions(("tabaugment", "torch", "numpy", "pandas", "scikit-learn", "lightgbm")),
                "setup": {
                    "data": f"adult: {args.rows} training rows (stratified, seed 0); judged on the official test file",
                    "test_rows": len(test),
                    "seeds": sorted({r["seed"] for r in training}),
                    "threads": 1,
                },
                "training": training,
                "diffusion_sampler": sampler,
            },
            indent=1,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
