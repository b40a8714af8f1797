"""The from-scratch tabular transformer on Adult, beside TVAE (issue 7).

Data: 5,000 training rows of Adult (stratified split, seed 0) and 5,000 rows of the official
test file for train-synthetic-test-real (TSTR). Every generator: 1 thread, early stopping on
10% held-out rows, fitted with seeds 0, 1 and 2 (a fit's seed moves TSTR by up to 0.006, more
than the differences between variants, so one seed cannot rank them).

Variants: ``tabular_gpt`` (default ``label_position="auto"``, which on Adult means the label
written last and rows drawn whole, kept per class), ``tabular_gpt_label_first``
(``label_position="first"``: every row written label first with the label forced, the layout
of the previous release), ``tabular_gpt_slow`` (the default layout with a lower learning rate,
more dropout and more patience: ``learning_rate=3e-4, dropout=0.2, patience=20``) and
``tvae``; for ``tabular_gpt`` also nucleus sampling (``top_p=0.95``) from the same fits.

Measured per fit: training CPU-seconds (``time.process_time``, so a busy machine distorts it
less than wall time), sampling rows per CPU-second (5,000 rows), TSTR ROC-AUC (LightGBM on
5,000 synthetic rows, scored on the real test rows) beside the same model trained on the real
rows, the share of synthetic rows that parse into the training domains and satisfy every
validity rule learned from the training rows, column shapes (KS/TV complement), and the
median distance to the closest training row (DCR) against the same for real holdout rows.
For TabularGPT also the Data Leakage Test: perplexity (exp of the mean token cross-entropy,
natural log) of the training rows, the synthetic rows and real holdout rows under the model.
The pretrained-LM generators (GReaT, HARMONIC, LLE) are in ``lm_pretrained.py``.

Run: python benchmarks/lm_generators.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import command_line, machine_info, versions

from tabaugment.data import Constraints, load_dataset, split_table
from tabaugment.evaluation import make_model
from tabaugment.evaluation.fidelity import column_shapes
from tabaugment.evaluation.privacy import data_leakage_test, privacy_report

SEEDS = (0, 1, 2)
OUT = Path(__file__).parent / "results" / "lm_generators.json"


def main() -> None:
    import torch
    from sklearn.metrics import roc_auc_score

    from tabaugment.generators import TVAE, TabularGPT

    torch.set_num_threads(1)
    ds = load_dataset("adult")
    split = split_table(ds.table, ds.schema, test=ds.test, train_size=5000, random_state=0)
    target, feats = ds.schema.target, list(ds.schema.features)
    train = split.train
    test = split.test.sample(5000, random_state=0)
    holdout = split.validation.sample(2000, random_state=0)
    y_test = ds.schema.encode_target(test[target])

    def tstr(rows) -> float:
        model = make_model("lightgbm", random_state=0)
        model.fit(rows[feats], ds.schema.encode_target(rows[target]))
        return float(roc_auc_score(y_test, model.predict_proba(test[feats])[:, 1]))

    constraints = Constraints.learn(train)
    out: dict[str, dict] = {"real": {"tstr_auc": round(tstr(train), 4)}}
    variants = {
        "tabular_gpt": lambda seed: TabularGPT(random_state=seed),
        "tabular_gpt_label_first": lambda seed: TabularGPT(label_position="first", random_state=seed),
        "tabular_gpt_slow": lambda seed: TabularGPT(
            learning_rate=3e-4, dropout=0.2, patience=20, epochs=200, random_state=seed
        ),
        "tvae": lambda seed: TVAE(random_state=seed, early_stopping=True),
    }
    result = {
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "torch", "numpy", "pandas", "lightgbm", "scikit-learn")),
        "seeds": list(SEEDS),
        "data": "adult: 5,000 training rows (stratified, seed 0); 5,000 rows of the official test file",
        "results": out,
    }
    for name, make in variants.items():
        runs = []
        for seed in SEEDS:
            gen = make(seed)
            t0 = time.process_time()
            gen.fit(train, target)
            fit_cpu = time.process_time() - t0
            t0 = time.process_time()
            rows = gen.sample(5000, random_state=0)
            sample_cpu = time.process_time() - t0
            check = constraints.check(rows)
            priv = privacy_report(train, rows, holdout, random_state=0)
            run = {
                "seed": seed,
                "fit_cpu_s": round(fit_cpu, 1),
                "epochs_run": len(gen.history_),
                "sample_rows_per_cpu_s": round(5000 / sample_cpu, 1),
                "tstr_auc": round(tstr(rows), 4),
                "valid_share": round(float(np.mean(check.valid)), 4),
                "column_shapes": round(float(column_shapes(train, rows)["score"].mean()), 4),
                "dcr_train_median": round(priv.summary["dcr_train_median"], 4),
                "holdout_to_train_dcr_median": round(priv.summary.get("holdout_to_train_dcr_median", float("nan")), 4),
            }
            if name == "tabular_gpt":  # nucleus sampling from the same fit
                gen.top_p = 0.95
                nucleus = gen.sample(5000, random_state=0)
                gen.top_p = 1.0
                run["top_p_0.95"] = {
                    "tstr_auc": round(tstr(nucleus), 4),
                    "valid_share": round(float(np.mean(constraints.check(nucleus).valid)), 4),
                }
                run["label_position"] = gen.label_position_
            if hasattr(gen, "perplexity"):
                run["data_leakage_test"] = {
                    k: round(v, 4) for k, v in data_leakage_test(gen, train, rows, holdout).items()
                }
            print(name, run, flush=True)
            runs.append(run)
        keys = ("fit_cpu_s", "sample_rows_per_cpu_s", "tstr_auc", "valid_share", "column_shapes", "dcr_train_median")
        out[name] = {
            "mean": {k: round(float(np.mean([r[k] for r in runs])), 4) for k in keys},
            "tstr_auc_sd": round(float(np.std([r["tstr_auc"] for r in runs], ddof=1)), 4),
            "runs": runs,
        }
        OUT.write_text(json.dumps(result, indent=1))  # after every variant: a long run keeps its results
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
