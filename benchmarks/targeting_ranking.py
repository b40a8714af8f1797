"""Rank the strategies of the targeting experiment across datasets (for the defaults).

    python benchmarks/targeting_ranking.py   # prints Markdown; writes results/targeting/ranking.csv

For every strategy x budget: in how many dataset x training-size groups it is significantly
better / worse than no augmentation (Holm-corrected over all strategies of the group, Gini),
the same against the same generator on all rows, and its mean Gini difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tabaugment.experiment import ResultStore, analyze
from tabaugment.experiment.spec import references

FOLDER = Path(__file__).parent / "results" / "targeting"


def main() -> None:
    results = ResultStore(FOLDER).load()
    results = results[results.metric == "gini"]
    spec = json.loads((FOLDER / "spec.json").read_text())
    refs = references(spec["strategies"])
    base = analyze(results)
    ref = analyze(results, reference=refs)
    rows = []
    for (strategy, budget), g in base.groupby(["strategy", "budget"]):
        r = ref[(ref.strategy == strategy) & (ref.budget == budget)]
        rows.append(
            {
                "strategy": strategy,
                "budget": budget,
                "groups": len(g),
                "wins_vs_none": int((g.verdict == "win").sum()),
                "losses_vs_none": int((g.verdict == "loss").sum()),
                "mean_gini_diff_vs_none": round(float(g.mean_diff.mean()), 4),
                "wins_vs_all_rows": int((r.verdict == "win").sum()) if len(r) else None,
                "losses_vs_all_rows": int((r.verdict == "loss").sum()) if len(r) else None,
                "mean_gini_diff_vs_all_rows": round(float(r.mean_diff.mean()), 4) if len(r) else None,
            }
        )
    table = pd.DataFrame(rows)
    table["net"] = table.wins_vs_none - table.losses_vs_none
    table = table.sort_values(["net", "mean_gini_diff_vs_none"], ascending=False)
    table.to_csv(FOLDER / "ranking.csv", index=False)
    cols = list(table.columns)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
