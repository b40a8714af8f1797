"""Issue 20: what augmentation does on real test rows, and whether auto knows when it helps.

    tabaugment run benchmarks/utility.toml --out benchmarks/results/utility --n-jobs 2
    python benchmarks/utility_analysis.py   # writes results/utility/{summary.md,summary.json,...}

Reads the grid's cells (auto, and each of its candidates run explicitly, against no
augmentation; 10 seeds) and writes:

- ``outer.csv``: every strategy against no augmentation per table x size x model, on the real
  test rows (corrected resampled t-test over the seeds, Holm within each group);
- ``beyond_teacher.csv``: the synthetic candidates against self-distillation;
- ``calibration.csv``: auto's verdicts against each candidate's true effect. A candidate's true
  effect in a table x size x model group is its mean held-out gain over the 10 seeds of its
  explicit cells (thousands of real test rows each). Every auto run judged every candidate on
  its own training rows; a "use" verdict for a candidate whose true effect is <= 0 is a false
  positive. The same evidence judged by the plain paired t-test (with and without Holm) shows
  why the correction is there;
- ``summary.md`` / ``summary.json``: the tables the README quotes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tabaugment.evaluation.stats import holm, paired_comparison
from tabaugment.experiment import ResultStore, analyze
from tabaugment.experiment.analysis import overlap_ratio

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine_info, versions

FOLDER = Path(__file__).parent / "results" / "utility"
METRIC = "roc_auc"
ALPHA = 0.05
KEYS = ["dataset", "train_size", "model"]


def _size_order(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["_n"] = pd.to_numeric(out["train_size"], errors="coerce")
    return out.sort_values(["dataset", "_n", "model"]).drop(columns="_n")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of a rate k / n."""
    from scipy import stats

    if n == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    low = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 1, n - k))
    return low, high


def paired_diffs(results: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Per table x size x model x seed: the strategy's held-out score minus the baseline's."""
    keys = [*KEYS, "seed"]
    base = results[results.strategy == "baseline"].set_index(keys)["value"]
    treat = results[results.strategy == strategy].set_index(keys)
    out = treat[["value"]].join(base.rename("baseline"), how="inner")
    out["diff"] = out["value"] - out["baseline"]
    for col in ("auto_choice", "auto_evidence", "auto_s", "model_s", "train_rows"):
        if col in treat:
            out[col] = treat[col]
    return out.reset_index()


def calibration(results: pd.DataFrame, candidates: list[str]) -> tuple[pd.DataFrame, dict[str, object]]:
    """auto's per-run verdicts on each candidate against the candidate's true effect, and what
    other rules would have said on the same evidence."""
    from tabaugment import _defaults

    order = [str(c["name"]) for c in _defaults.AUTO_CANDIDATES]  # auto's fixed sequence
    effects = {}
    for cand in candidates:
        d = paired_diffs(results, cand)
        effects[cand] = d.groupby(KEYS)["diff"].mean()
    runs = paired_diffs(results, "auto")
    rows = []
    for run in runs.itertuples(index=False):
        evidence = json.loads(run.auto_evidence)
        key = (run.dataset, run.train_size, run.model)
        tested = [c for c in order if c in evidence and "p" in evidence[c]]
        if not tested:
            continue
        plain = np.array([evidence[c].get("p_plain", 1.0) for c in tested])
        plain_sequence = np.maximum.accumulate(plain)
        corrected = np.array([evidence[c]["p"] for c in tested])
        for i, cand in enumerate(tested):
            ev = evidence[cand]
            better = ev["mean_diff"] > 0
            rows.append(
                {
                    **dict(zip([*KEYS, "seed"], [*key, run.seed])),
                    "candidate": cand,
                    "true_effect": float(effects[cand].get(key, np.nan)) if cand in effects else np.nan,
                    "inner_mean_diff": ev["mean_diff"],
                    "use_auto": ev["verdict"] == "use",
                    "use_corrected_alone": bool(better and corrected[i] < ALPHA),
                    "use_plain_sequence": bool(better and plain_sequence[i] < ALPHA),
                    "use_plain_alone": bool(better and plain[i] < ALPHA),
                    "chosen": run.auto_choice == cand,
                }
            )
    table = pd.DataFrame(rows)
    rules = ["use_auto", "use_corrected_alone", "use_plain_sequence", "use_plain_alone"]
    summary: dict[str, object] = {"rules": rules}
    for name, part in (
        ("true_effect_le_0", table[table.true_effect <= 0]),
        ("true_effect_gt_0", table[table.true_effect > 0]),
        ("true_effect_gt_0.005", table[table.true_effect > 0.005]),
    ):
        entry: dict[str, object] = {"verdicts": len(part)}
        for rule in rules:
            k = int(part[rule].sum())
            low, high = clopper_pearson(k, len(part))
            entry[rule] = {"rate": k / max(len(part), 1), "count": k, "ci95": [low, high]}
        summary[name] = entry
    # per run: did auto add rows whose true effect was <= 0?
    chosen = table[table.chosen]
    n_runs = int(runs.shape[0])
    bad = int((chosen.true_effect <= 0).sum())
    summary["runs"] = n_runs
    summary["runs_choosing_a_candidate"] = int(chosen.shape[0])
    summary["runs_choosing_a_candidate_with_true_effect_le_0"] = {
        "count": bad,
        "rate": bad / max(n_runs, 1),
        "ci95": list(clopper_pearson(bad, n_runs)),
    }
    return table, summary


def auto_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """Per training size: how often auto chose a candidate, and what it gave on the test rows."""
    d = paired_diffs(results, "auto")
    d["augmented"] = d["auto_choice"] != "none"
    d["n"] = pd.to_numeric(d["train_size"])
    rows = []
    for n, g in d.groupby("n"):
        aug = g[g.augmented]
        rows.append(
            {
                "train_size": int(n),
                "runs": len(g),
                "augmented_share": round(float(g.augmented.mean()), 3),
                "mean_test_gain_all_runs": round(float(g["diff"].mean()), 5),
                "mean_test_gain_when_augmented": round(float(aug["diff"].mean()), 5) if len(aug) else None,
                "share_of_augmented_runs_better_on_test": round(float((aug["diff"] > 0).mean()), 3)
                if len(aug)
                else None,
                "median_auto_s": round(float(g["auto_s"].median()), 2),
                "median_baseline_model_s": round(float(results_model_s(results, n)), 3),
                "choices": {str(k): int(v) for k, v in g.auto_choice.value_counts().items()},
            }
        )
    return pd.DataFrame(rows)


def results_model_s(results: pd.DataFrame, n: int) -> float:
    base = results[(results.strategy == "baseline") & (pd.to_numeric(results.train_size) == n)]
    return float(base["model_s"].median())


def versus_regularised(results: pd.DataFrame, model: str, reference: str) -> pd.DataFrame:
    """``model`` with and without auto against the baseline of ``reference`` (is auto's gain more
    than choosing a more regularised model?), paired by table, size and seed."""
    keys = ["dataset", "train_size", "seed"]
    ref = results[(results.strategy == "baseline") & (results.model == reference)]
    ref = ref[[*keys, "value"]].rename(columns={"value": "reference_value"})
    rows = []
    for strategy in ("baseline", "auto", "self_distillation"):
        mine = results[(results.strategy == strategy) & (results.model == model)]
        paired = mine.merge(ref, on=keys, how="inner")
        for (ds, n), g in paired.groupby(["dataset", "train_size"]):
            if len(g) < 2:
                continue
            stats = paired_comparison(g.reference_value.to_numpy(), g.value.to_numpy(), ratio=overlap_ratio(g))
            rows.append(
                {
                    "dataset": ds,
                    "train_size": n,
                    "strategy": f"{strategy} ({model})",
                    "reference": f"baseline ({reference})",
                    "mean_diff": stats["mean_diff"],
                    "p": stats["p"],
                }
            )
    table = pd.DataFrame(rows)
    if len(table):
        table["p_holm"] = np.nan
        for _, idx in table.groupby(["dataset", "train_size"]).groups.items():
            table.loc[idx, "p_holm"] = holm(table.loc[idx, "p"].to_numpy())
        sig = table.p_holm < ALPHA
        table["verdict"] = np.where(sig & (table.mean_diff > 0), "win", np.where(sig, "loss", "tie"))
    return table


def tally(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Groups, significant wins and losses, and the mean difference."""
    return (
        table.groupby(by)
        .agg(
            groups=("verdict", "size"),
            wins=("verdict", lambda v: int((v == "win").sum())),
            losses=("verdict", lambda v: int((v == "loss").sum())),
            mean_diff=("mean_diff", "mean"),
        )
        .reset_index()
    )


def markdown(frame: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [floatfmt.format(v) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=FOLDER)
    args = parser.parse_args(argv)
    folder: Path = args.results
    results = ResultStore(folder).load()
    results = results[results.metric == METRIC]
    spec = json.loads((folder / "spec.json").read_text())
    candidates = [s["name"] for s in spec["strategies"] if s["name"] != "auto"]
    refs = {s["name"]: s["compare_to"] for s in spec["strategies"] if s.get("compare_to")}

    outer = _size_order(analyze(results))
    outer.to_csv(folder / "outer.csv", index=False)
    by_strategy = tally(outer, ["strategy"])
    outer["n"] = pd.to_numeric(outer.train_size)
    by_size = tally(outer, ["strategy", "n"]).rename(columns={"n": "train_size"})
    by_model = tally(outer, ["strategy", "model"])
    beyond = _size_order(analyze(results, reference=refs))
    beyond.to_csv(folder / "beyond_teacher.csv", index=False)
    beyond_tally = tally(beyond, ["strategy", "reference"]) if len(beyond) else pd.DataFrame()
    cal_table, cal = calibration(results, candidates)
    cal_table.to_csv(folder / "calibration.csv", index=False)
    outcomes = auto_outcomes(results)
    regular = versus_regularised(results, "lightgbm", "lightgbm_small")
    regular.to_csv(folder / "versus_regularised.csv", index=False)
    regular_tally = tally(regular, ["strategy", "reference"]) if len(regular) else pd.DataFrame()

    info = {
        "command": "python benchmarks/utility_analysis.py",
        "grid": "tabaugment run benchmarks/utility.toml --out benchmarks/results/utility --n-jobs 2",
        "metric": METRIC,
        "alpha": ALPHA,
        "seeds": sorted(int(s) for s in results.seed.unique()),
        "cells": int(results.cell_id.nunique()),
        "machine": machine_info(),
        "versions": versions(("tabaugment", "numpy", "pandas", "scikit-learn", "lightgbm", "scipy")),
    }
    summary = {
        **info,
        "by_strategy": by_strategy.to_dict("records"),
        "by_size": by_size.to_dict("records"),
        "by_model": by_model.to_dict("records"),
        "beyond_teacher": beyond_tally.to_dict("records"),
        "auto_outcomes": outcomes.to_dict("records"),
        "calibration": cal,
        "versus_regularised": regular_tally.to_dict("records"),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")

    le0 = cal["true_effect_le_0"]
    parts = [
        "# Utility: auto and its candidates against no augmentation",
        "",
        f"Made by `{info['grid']}` then `{info['command']}`; {info['cells']:,} cells, seeds "
        f"{info['seeds'][0]}-{info['seeds'][-1]}, ROC-AUC on the real test rows; corrected resampled t-test over "
        f"the seeds, Holm within each table x size x model group, alpha {ALPHA}.",
        "",
        "## Against no augmentation (groups with a significant win / loss)",
        "",
        markdown(by_strategy),
        "",
        "By training size:",
        "",
        markdown(by_size),
        "",
        "By model:",
        "",
        markdown(by_model),
        "",
        "## What auto did",
        "",
        markdown(outcomes.drop(columns=["choices"])),
        "",
        "Choices: " + "; ".join(f"{r.train_size} rows: {r.choices}" for r in outcomes.itertuples()),
        "",
        "## Calibration: auto's verdicts against each candidate's true effect",
        "",
        f"{le0['verdicts']:,} verdicts on candidates whose true effect (mean held-out gain over {len(info['seeds'])} seeds) was <= 0:",
        "",
        markdown(
            pd.DataFrame(
                [
                    {
                        "rule": rule,
                        "use rate": f"{le0[rule]['rate']:.3f}",
                        "count": le0[rule]["count"],
                        "95% CI": f"{le0[rule]['ci95'][0]:.3f}-{le0[rule]['ci95'][1]:.3f}",
                    }
                    for rule in cal["rules"]
                ]
            )
        ),
        "",
        f"Power: on candidates with a true effect > 0.005 ({cal['true_effect_gt_0.005']['verdicts']:,} verdicts), "
        f"auto said use in {cal['true_effect_gt_0.005']['use_auto']['rate']:.1%}.",
        f"Runs where auto added rows whose true effect was <= 0: "
        f"{cal['runs_choosing_a_candidate_with_true_effect_le_0']['count']} of {cal['runs']} "
        f"({cal['runs_choosing_a_candidate_with_true_effect_le_0']['rate']:.1%}).",
        "",
        "## Synthetic rows beyond the teacher (against self-distillation)",
        "",
        markdown(beyond_tally) if len(beyond_tally) else "(none)",
        "",
        "## Is it just regularisation? LightGBM with and without auto against a regularised LightGBM",
        "",
        markdown(regular_tally) if len(regular_tally) else "(none)",
        "",
        f"Machine: {info['machine']['cpu']}, {info['machine']['logical_cores']} cores; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
    ]
    (folder / "summary.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    print("\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
