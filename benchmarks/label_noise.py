"""Issue 18: hardness checked against ground truth, on every shared table.

    python benchmarks/label_noise.py            # about 15 minutes on 2 cores
    python benchmarks/readme_numbers.py         # the README's label-noise block

For each of the seven shared tables (2,000 training rows drawn at random, stratified, seed 0;
german_credit and diabetes have fewer and use all of theirs), flip 5%, 10% and 20% of the
labels, uniformly or from the rarest class only, five noise draws each, and score the rows with
every registered hardness method on the noisy labels. A method is good when its hardest rows
are the flipped ones: ROC-AUC of its scores against the flipped indicator, and precision at
the flip count. Writes ``results/label_noise/{results.csv,summary.json,summary.md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine_info, versions
from utility_analysis import markdown

FOLDER = Path(__file__).parent / "results" / "label_noise"
DATASETS = ("adult", "bank_marketing", "buddy", "churn_modelling", "give_me_some_credit", "german_credit", "diabetes")
RATES = (0.05, 0.1, 0.2)
SEEDS = 5
ROWS = 2000


def one_table(name: str, rows: int, seeds: int) -> pd.DataFrame:
    """The study on one table's training rows."""
    from sklearn.model_selection import train_test_split

    from tabaugment import load_dataset
    from tabaugment.hardness import label_noise_study

    ds = load_dataset(name)
    frame = ds.schema.prepare(ds.table)
    y = ds.schema.encode_target(frame[ds.schema.target])
    if len(frame) > rows:
        frame, _, y, _ = train_test_split(frame, y, train_size=rows, stratify=y, random_state=0)
    X = frame[list(ds.schema.features)].reset_index(drop=True)
    study = label_noise_study(X, y, rates=RATES, seeds=seeds)
    study.insert(0, "dataset", name)
    study.insert(1, "rows", len(X))
    return study


def summarise(results: pd.DataFrame) -> dict[str, object]:
    """The ranking overall, per noise kind and per table."""
    from tabaugment.hardness import rank_noise_methods

    overall = rank_noise_methods(results)
    # rank of each method within each table x kind x rate setting (1 = best mean ROC-AUC)
    means = results.groupby(["dataset", "kind", "rate", "method"]).roc_auc.mean().reset_index()
    means["rank"] = means.groupby(["dataset", "kind", "rate"]).roc_auc.rank(ascending=False)
    overall["mean_rank"] = overall.method.map(means.groupby("method")["rank"].mean())
    overall["settings_won"] = overall.method.map((means["rank"] == 1).groupby(means.method).sum()).astype(int)
    per_kind = results.groupby(["kind", "method"])[["roc_auc", "precision_at_k"]].mean().reset_index().round(4)
    per_table = results.pivot_table(index="method", columns="dataset", values="roc_auc", aggfunc="mean").round(4)
    return {
        "ranking": json.loads(overall.round(4).to_json(orient="records")),
        "per_kind": json.loads(per_kind.to_json(orient="records")),
        "per_table": {m: row.to_dict() for m, row in per_table.iterrows()},
        "settings": int(means.groupby(["dataset", "kind", "rate"]).ngroups),
        "runs": len(results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    parts = Parallel(n_jobs=args.n_jobs)(delayed(one_table)(n, args.rows, args.seeds) for n in DATASETS)
    results = pd.concat(parts, ignore_index=True)
    FOLDER.mkdir(parents=True, exist_ok=True)
    results.to_csv(FOLDER / "results.csv", index=False)
    summary = summarise(results)
    summary["config"] = {
        "datasets": list(DATASETS),
        "rows": args.rows,
        "rates": list(RATES),
        "kinds": sorted(results.kind.unique()),
        "seeds": args.seeds,
        "command": f"python benchmarks/label_noise.py --rows {args.rows} --seeds {args.seeds} --n-jobs {args.n_jobs}",
        "wall_s": round(time.perf_counter() - t0, 1),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "pandas", "scikit-learn", "lightgbm")),
    }
    (FOLDER / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    ranking = pd.DataFrame(summary["ranking"])
    lines = [
        "# Hardness against ground truth: which method finds flipped labels",
        "",
        f"Made by `{summary['config']['command']}`; {summary['runs']:,} scorings: "
        f"{len(DATASETS)} tables ({args.rows:,} training rows at most), flip rates {', '.join(map(str, RATES))}, "
        f"uniform and class-conditional noise, {args.seeds} draws each.",
        "",
        "## Ranking (mean over every table, rate, kind and draw)",
        "",
        markdown(ranking, "{:.3f}"),
        "",
        "## Mean ROC-AUC per table",
        "",
        markdown(pd.DataFrame(summary["per_table"]).T.rename_axis("method").reset_index(), "{:.3f}"),
        "",
        "## Per noise kind",
        "",
        markdown(pd.DataFrame(summary["per_kind"]), "{:.3f}"),
        "",
    ]
    (FOLDER / "summary.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
