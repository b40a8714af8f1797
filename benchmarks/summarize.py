"""Summarise a results folder of `tabaugment run`: Markdown tables for its README.

    python benchmarks/summarize.py benchmarks/results/targeting --metric gini > summary.md

Writes analysis.csv (every strategy against no augmentation) and, when the spec has
compare_to, analysis_vs_reference.csv; prints per strategy and training size how many
datasets it wins / ties / loses (Holm-corrected paired t-tests within each dataset x size x
model), the significant comparisons, the class make-up of the selected rows, and the run
log (machine, wall time, runner overhead).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine_info, versions

from tabaugment.experiment import ResultStore, analyze
from tabaugment.experiment.spec import references


def _verdicts(table: pd.DataFrame) -> pd.DataFrame:
    counts = table.groupby(["strategy", "train_size", "model", "verdict"]).size().unstack("verdict", fill_value=0)
    for col in ("win", "tie", "loss"):
        if col not in counts:
            counts[col] = 0
    return counts[["win", "tie", "loss"]].reset_index()


def _md(frame: pd.DataFrame, digits: int = 4) -> str:
    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--metric", default="gini")
    args = ap.parse_args()
    folder = Path(args.folder)
    results = ResultStore(folder).load()
    spec = json.loads((folder / "spec.json").read_text())
    refs = references(spec["strategies"])
    vs_base = analyze(results)
    vs_base.to_csv(folder / "analysis.csv", index=False)
    out = [f"# {spec['name']}: summary ({args.metric})", ""]
    out += [
        f"{results.cell_id.nunique()} cells; datasets {sorted(results.dataset.unique())}; "
        f"seeds {sorted(results.seed.unique().tolist())}; machine {json.dumps(machine_info())}; "
        f"versions {json.dumps(versions(('tabaugment', 'numpy', 'pandas', 'scikit-learn', 'lightgbm', 'xgboost', 'torch')))}",
        "",
    ]
    m = vs_base[vs_base.metric == args.metric]
    out += ["## Against no augmentation: datasets won / tied / lost", "", _md(_verdicts(m)), ""]
    sig = m[m.verdict != "tie"].sort_values(["verdict", "p_holm"])
    cols = [
        "dataset",
        "train_size",
        "model",
        "strategy",
        "budget",
        "mean_diff",
        "ci_low",
        "ci_high",
        "p_holm",
        "verdict",
    ]
    out += ["### Significant differences against no augmentation", "", _md(sig[cols]) if len(sig) else "none", ""]
    if refs:
        vs_ref = analyze(results, reference=refs)
        vs_ref.to_csv(folder / "analysis_vs_reference.csv", index=False)
        r = vs_ref[vs_ref.metric == args.metric]
        out += ["## Against the compared strategy (compare_to): datasets won / tied / lost", "", _md(_verdicts(r)), ""]
        sig = r[r.verdict != "tie"].sort_values(["verdict", "p_holm"])
        cols_r = ["dataset", "train_size", "model", "strategy", "reference", "budget", "mean_diff", "p_holm", "verdict"]
        out += [
            "### Significant differences against the compared strategy",
            "",
            _md(sig[cols_r]) if len(sig) else "none",
            "",
        ]
    comp = results[(results.metric == args.metric) & (results.strategy != "baseline")]
    if "selected_positive_share" in comp:
        make_up = comp.pivot_table(
            index="strategy", columns=["dataset", "train_size"], values="selected_positive_share", aggfunc="mean"
        )
        make_up.columns = [f"{d} {n}" for d, n in make_up.columns]
        out += [
            "## Share of positives among the selected rows (mean over seeds)",
            "",
            _md(make_up.round(2).reset_index(), 2),
            "",
        ]
    cost_cols = [c for c in ("hardness_s", "generator_fit_s", "sample_s", "model_s") if c in comp]
    cost = comp.drop_duplicates("cell_id").groupby("strategy")[cost_cols].mean().round(3).reset_index()
    out += ["## Mean seconds per cell", "", _md(cost, 3), ""]
    runs = folder / "runs.jsonl"
    if runs.is_file():
        out += ["## Runs (runs.jsonl)", "", "```", runs.read_text().strip(), "```", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
