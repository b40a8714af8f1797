"""Why a selection helps or hurts: what each selector picks and what the generator makes of it.

For every dataset of the targeting experiment (one seed, the larger training size, the same
split code as the runner), each selector's rows are described (share of positives, mean
KNN-Shapley value) and a Gaussian copula fitted on them writes synthetic rows (budget 100%);
those rows are compared with all training rows (column shapes, column pairs, detection AUC:
how different the synthetic distribution is from the real one) and placed against them
(median distance to the closest training row; and against the validation rows).

    python benchmarks/targeting_why.py   # writes benchmarks/results/targeting/why.json and why.md
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _machine import command_line, machine_info, versions
from make_specs import TARGETING_SELECTORS

from tabaugment import Augmenter
from tabaugment._registry import get_class
from tabaugment.data import load_dataset, split_table
from tabaugment.evaluation.fidelity import fidelity_report
from tabaugment.evaluation.privacy import privacy_report

# the experiment's selections, except denoised_drop (it changes the training rows, not the synthetic ones)
SELECTORS = {k: v for k, v in TARGETING_SELECTORS.items() if k != "denoised_drop"}
DATASETS = {
    "adult": 2000,
    "bank_marketing": 2000,
    "german_credit": 500,
    "churn_modelling": 2000,
    "give_me_some_credit": 2000,
}


def main() -> None:
    started = time.perf_counter()
    rows = []
    for name, size in DATASETS.items():
        ds = load_dataset(name)
        split = split_table(ds.table, ds.schema, test=ds.test, train_size=size, random_state=0)
        target = ds.schema.target
        y = ds.schema.encode_target(split.train[target])
        # scored once (K=10, the validation rows as reference), shared by every selection
        feats = [c for c in split.train.columns if c != target]
        scores = (
            get_class("hardness", "knn_shapley")()
            .fit(split.train[feats], split.train[target], X_val=split.validation[feats], y_val=split.validation[target])
            .result_
        )
        for sname, (selector, params, extra) in SELECTORS.items():
            aug = Augmenter(
                hardness=scores,
                selector=get_class("selectors", selector)(**params),
                generator="gaussian_copula",
                budget=1.0,
                random_state=0,
                **extra,
            )
            result = aug.fit_augment(split.train, target, validation=split.validation)
            pos = np.asarray(result.hardness.index.get_indexer(result.selected))
            shapley = result.hardness.values.get("shapley")
            fid = fidelity_report(split.train, result.synthetic, random_state=0)
            priv = privacy_report(
                split.train,
                result.synthetic,
                split.validation.sample(min(len(split.validation), 2000), random_state=0),
                random_state=0,
            )
            rows.append(
                {
                    "dataset": name,
                    "train_rows": size,
                    "base_positive_share": round(float(y.mean()), 3),
                    "selector": sname,
                    "selected_rows": len(result.selected),
                    "selected_positive_share": round(float(y[pos].mean()), 3),
                    "synthetic_positive_share": round(
                        float(ds.schema.encode_target(result.synthetic[target]).mean()), 3
                    ),
                    "mean_shapley_selected": float(np.mean(shapley[pos])) if shapley is not None else None,
                    "column_shapes": round(fid.summary["column_shapes"], 4),
                    "column_pairs": round(fid.summary["column_pairs"], 4),
                    "detection_auc": round(fid.summary.get("detection_auc", float("nan")), 4),
                    "dcr_train_median": round(priv.summary["dcr_train_median"], 4),
                    "dcr_holdout_median": round(priv.summary.get("dcr_holdout_median", float("nan")), 4),
                }
            )
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    out = Path(__file__).parent / "results" / "targeting"
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "command": command_line(),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "pandas", "scikit-learn", "lightgbm")),
        "seed": 0,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "why.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in frame.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r) + " |")
    (out / "why.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
