"""Every number the README quotes, written from the committed result files.

The README and the results folders' READMEs hold blocks between ``<!-- numbers: NAME -->`` and
``<!-- /numbers: NAME -->``; this script rewrites each block from the files under
``benchmarks/results`` it names. ``--check`` rewrites nothing and exits 1 when a block differs
from what the files give (the test suite runs it, so a quoted number cannot drift from its
file).

    python benchmarks/readme_numbers.py           # rewrite the blocks
    python benchmarks/readme_numbers.py --check   # fail if any block is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCUMENTS = [ROOT / "README.md", *sorted(RESULTS.glob("*/README.md"))]
_BLOCK = re.compile(r"(<!-- numbers: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /numbers: (?P=name) -->)", re.DOTALL)

BLOCKS: dict[str, Callable[[], str]] = {}


def block(name: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def register(fn: Callable[[], str]) -> Callable[[], str]:
        BLOCKS[name] = fn
        return fn

    return register


# ---------------------------------------------------------------------- helpers
def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3g}"


def _evaluation(path: Path) -> Any:
    from tabaugment.experiment.evaluate import EvaluationResult

    data = json.loads(path.read_text())
    return EvaluationResult(
        scores=pd.DataFrame(data["scores"]),
        comparison=pd.DataFrame(data["comparison"]),
        runs=pd.DataFrame(data["runs"]),
        config=data["config"],
    )


def _analysis(folder: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / folder / "analysis.csv", dtype={"train_size": str, "budget": str})


def _runs(folder: str) -> list[dict]:
    return [json.loads(line) for line in (RESULTS / folder / "runs.jsonl").read_text().splitlines() if line.strip()]


def _minutes(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m} min {s} s" if m else f"{s} s"


# ---------------------------------------------------------------------- blocks
@block("demo")
def _demo() -> str:
    result = _evaluation(RESULTS / "demo" / "results.json")
    runs, cfg = result.runs, result.config
    aug = runs[runs.strategy != "baseline"]
    lines = [
        f"dataset {cfg['data']}: {int(runs.train_rows.iloc[0]):,} training rows, {int(runs.test_rows.iloc[0]):,} real test "
        f"rows, model {cfg['model']}, seeds {cfg['seeds']}",
        f"selected {aug.selected_rows.mean():,.0f} rows per seed ({aug.selected_positive_share.mean():.0%} positive), "
        f"{aug.synthetic_rows.mean():,.0f} synthetic rows per seed",
        "",
        *result.table(metrics=("roc_auc", "gini")).splitlines(),
        "...",
    ]
    return "```\n" + "\n".join(lines) + "\n```\n"


@block("evaluate-adult")
def _evaluate_adult() -> str:
    result = _evaluation(RESULTS / "evaluate_adult_2000.json")
    comp = result.comparison.set_index("metric")
    names = {"roc_auc": "ROC-AUC", "gini": "Gini", "pr_auc": "PR-AUC", "f1": "F1 (threshold 0.5)"}
    rows = [
        "| metric | baseline | augmented | diff | 95% CI | p (corrected) | wins |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for metric, label in names.items():
        r = comp.loc[metric]
        rows.append(
            f"| {label} | {r.baseline_mean:.4f} | {r.treatment_mean:.4f} | {r.mean_diff:+.4f} | "
            f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}] | {_p(r.p)} | {int(r.wins)}/{int(r.n_seeds)} |"
        )
    share = result.runs.query("strategy != 'baseline'").selected_positive_share.mean()
    cfg = result.config
    return (
        f"`benchmarks/results/evaluate_adult_2000.json` (`{cfg['command']}`; {cfg['seconds']:.0f} s wall): "
        f"the hardest 20% by KNN-Shapley are {share:.0%} positives.\n\n" + "\n".join(rows) + "\n"
    )


@block("runner-overhead")
def _runner_overhead() -> str:
    small = _runs("small_grid")[-1]
    shares = [
        r["overhead_share"]
        for folder in ("scarce_data", "imbalance", "targeted_vs_not", "targeting")
        for r in _runs(folder)
        if r.get("overhead_share") is not None
    ]
    return (
        f"On `examples/small_grid.toml` (cells of about 0.1 s) the median job spends "
        f"{small['median_job_overhead_share']:.1%} of its work time on the runner's bookkeeping, "
        f"{small['total_overhead_share']:.1%} over the whole run including the one-off imports; on the "
        f"reproductions' larger cells it was {min(shares):.2%}-{max(shares):.2%} (`benchmarks/results/*/runs.jsonl`).\n"
    )


@block("recommend")
def _recommend() -> str:
    text = (RESULTS / "recommend_german_credit" / "output.txt").read_text().splitlines()
    reason = next(line for line in text if line.startswith(("Do not augment", "Use ")))
    setting = next(line for line in text if " splits (" in line)
    wall = next(line for line in text if line.startswith("real"))
    m = re.match(r"real\s+(\d+)m([\d.]+)s", wall)
    seconds = int(m.group(1)) * 60 + float(m.group(2)) if m else float("nan")
    return (
        f'On german_credit ({setting}; {seconds:.0f} s) it answers: "{reason}" '
        "(`benchmarks/results/recommend_german_credit/`).\n"
    )


def _reference(folder: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / folder / "analysis_vs_reference.csv", dtype={"train_size": str, "budget": str})


def _budget(value: str) -> str:
    """A budget as the README writes it: fractions of the training rows as percentages."""
    try:
        return f"{float(value):.0%}"
    except ValueError:
        return value


def _n(k: int, word: str) -> str:
    """``k`` with ``word``, plural unless one ("1 win", "2 wins")."""
    plural = word + ("es" if word.endswith("s") else "s")
    return f"{k} {word}" if k == 1 else f"{k} {plural}"


def _size(value: str) -> str:
    return f"{int(value):,}" if str(value).isdigit() else str(value)


def _row(r: Any, with_model: bool = False) -> str:
    where = f"{r.dataset} {_size(r.train_size)}" + (f", {r.model}" if with_model else "")
    return f"`{r.strategy}` at {_budget(r.budget)} on {where} ({r.mean_diff:+.4f}, Holm p {_p(r.p_holm)})"


def _listing(rows: list[str]) -> str:
    if not rows:
        return "none"
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


@block("targeting")
def _targeting() -> str:
    base = _analysis("targeting").query("metric == 'gini'")
    ref = _reference("targeting").query("metric == 'gini'")
    base_by = base.set_index(["dataset", "train_size", "strategy", "budget"])
    wins_ref = []
    for r in ref[ref.verdict == "win"].itertuples():
        own = base_by.loc[(r.dataset, r.train_size, r.reference, r.budget)]
        wins_ref.append(f"{_row(r)}, against `{r.reference}` which itself changed Gini by {own.mean_diff:+.4f}")
    wins = [_row(r) for r in base[base.verdict == "win"].sort_values(["dataset", "train_size"]).itertuples()]
    targeted = base[~base.strategy.str.startswith("all+")]
    ranking = pd.read_csv(RESULTS / "targeting" / "ranking.csv", dtype={"budget": str}).iloc[0]
    return (
        f"Against the same generator on all rows at the same budget, targeted strategies won "
        f"{(ref.verdict == 'win').sum()} of {len(ref)} comparisons and lost {(ref.verdict == 'loss').sum()}: "
        f"{_listing(wins_ref)}. Against no augmentation, {(base.verdict == 'win').sum()} of {len(base)} comparisons "
        f"were wins, all non-targeted: {_listing(wins)}; {(base.verdict == 'loss').sum()} were losses, "
        f"{(targeted.verdict == 'loss').sum()} of them targeted. Ranked first: `{ranking.strategy}` at "
        f"{_budget(ranking.budget)} ({_n(ranking.wins_vs_none, 'win')}, {_n(ranking.losses_vs_none, 'loss')}, mean Gini "
        f"{ranking.mean_gini_diff_vs_none:+.4f}). (Gini; corrected resampled t-test over 10 seeds, Holm over the 64 "
        "strategies of each dataset x size; `analysis.csv`, `analysis_vs_reference.csv`, `ranking.csv`.)\n"
    )


@block("targeted-vs-not")
def _targeted_vs_not() -> str:
    base = _analysis("targeted_vs_not").query("metric == 'gini'")
    ref = _reference("targeted_vs_not").query("metric == 'gini'")
    wins_ref = [f"{_row(r, True)} over `{r.reference}`" for r in ref[ref.verdict == "win"].itertuples()]
    wins = [_row(r, True) for r in base[base.verdict == "win"].itertuples()]
    return (
        f"Targeted against the same generator on all rows: {_n((ref.verdict == 'win').sum(), 'win')}, "
        f"{_n((ref.verdict == 'loss').sum(), 'loss')} in {len(ref)} comparisons: {_listing(wins_ref)}. Against no "
        f"augmentation: {_n((base.verdict == 'win').sum(), 'win')}, {_n((base.verdict == 'loss').sum(), 'loss')} in "
        f"{len(base)}: "
        f"{_listing(wins)}. (Gini, corrected resampled t-test over 5 seeds, Holm.)\n"
    )


@block("imbalance")
def _imbalance() -> str:
    base = _analysis("imbalance").query("metric == 'roc_auc'")
    ref = _reference("imbalance").query("metric == 'roc_auc'")
    wins = [_row(r) for r in base[base.verdict == "win"].itertuples()]
    won = ref[ref.verdict == "win"]
    per = "; ".join(
        f"`{s}` at {', '.join(_budget(b) for b in g.budget)} on {', '.join(sorted(set(g.dataset)))} "
        f"({g.mean_diff.min():+.4f} to {g.mean_diff.max():+.4f})"
        for s, g in won.groupby("strategy")
    )
    smote = base[base.strategy.isin(["minority+smote", "minority+duplicate"])]
    return (
        f"Against no resampling: {_n((base.verdict == 'win').sum(), 'win')} and "
        f"{_n((base.verdict == 'loss').sum(), 'loss')} in "
        f"{len(base)} comparisons ({_listing(wins)}). Against SMOTE: {_n(len(won), 'win')}, "
        f"{_n((ref.verdict == 'loss').sum(), 'loss')} in {len(ref)}: {per}. SMOTE and duplication themselves changed "
        f"ROC-AUC by {smote.mean_diff.min():+.4f} to {smote.mean_diff.max():+.4f} against no resampling. "
        "(ROC-AUC, corrected resampled t-test over 5 seeds, Holm.)\n"
    )


@block("scarce-data")
def _scarce_data() -> str:
    base = _analysis("scarce_data").query("metric == 'roc_auc'")
    models = sorted(base.model.unique())
    rows = [
        "| generator | " + " | ".join(f"{m}: diff (Holm p)" for m in models) + " |",
        "|---|" + "---:|" * len(models),
    ]
    table = base.set_index(["strategy", "model"])
    order = base[base.model == models[0]].sort_values("mean_diff", ascending=False).strategy
    for strategy in order:
        cells = [f"{table.loc[(strategy, m)].mean_diff:+.4f} ({_p(table.loc[(strategy, m)].p_holm)})" for m in models]
        rows.append(f"| `{strategy.removeprefix('all+')}` | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def _table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "|---" + "|---:" * (len(header) - 1) + "|"
    return "\n".join(["| " + " | ".join(header) + " |", align, *("| " + " | ".join(r) + " |" for r in rows)]) + "\n"


def _run_block(folder: str) -> Callable[[], str]:
    def render() -> str:
        run = _runs(folder)[-1]
        results = pd.read_parquet(RESULTS / folder / "results.parquet", columns=["cell_id", "seed"])
        seeds = sorted(results.seed.unique())
        return (
            f"Run {run['finished'][:10]} ({run['machine']}; tabaugment {run['tabaugment']}): "
            f"{results.cell_id.nunique():,} cells, seeds {seeds[0]}-{seeds[-1]}, {run['n_jobs']} worker(s), "
            f"{_minutes(run['wall_s'])} wall for {_minutes(run['work_s'])} of work; the runner's own overhead "
            f"{run['overhead_share']:.2%} of the work (`runs.jsonl`).\n"
        )

    return render


_RUN_FOLDERS = (
    "targeting",
    "targeted_vs_not",
    "imbalance",
    "scarce_data",
    "small_grid",
    "utility",
    "multiclass",
    "groups",
)
for _folder in _RUN_FOLDERS:
    block(f"run-{_folder.replace('_', '-')}")(_run_block(_folder))


@block("targeting-selectors")
def _targeting_selectors() -> str:
    ref = _reference("targeting").query("metric == 'gini'").copy()
    ref["selector"] = ref.strategy.str.split("+").str[0]
    rows = []
    for selector, g in sorted(ref.groupby("selector"), key=lambda kv: -kv[1].mean_diff.mean()):
        means = [g[g.budget == b].mean_diff.mean() for b in ("0.2", "1.0")]
        counts = [int((g.verdict == v).sum()) for v in ("win", "tie", "loss")]
        rows.append([selector, *(f"{m:+.4f}" for m in means), " / ".join(map(str, counts))])
    return _table(["selector", "20% budget", "100% budget", "wins / ties / losses against all rows"], rows)


@block("targeting-why")
def _targeting_why() -> str:
    why = pd.DataFrame(json.loads((RESULTS / "targeting" / "why.json").read_text())["rows"])
    rows = []
    for ds, g in why.groupby("dataset", sort=False):
        every = g[g.selector == "all"].iloc[0]
        hardest = g[g.selector == "hardest"].iloc[0]
        targeted = g[g.selector != "all"]
        rows.append(
            [
                ds,
                f"{every.base_positive_share:.0%}",
                f"{hardest.selected_positive_share:.0%}",
                f"{every.column_shapes:.2f}",
                f"{targeted.column_shapes.min():.2f}-{targeted.column_shapes.max():.2f}",
                f"{every.detection_auc:.2f}",
                f"{targeted.detection_auc.min():.2f}-{targeted.detection_auc.max():.2f}",
            ]
        )
    header = [
        "dataset",
        "positives",
        "positives among the hardest 20%",
        "column shapes, all rows",
        "targeted",
        "detection AUC, all rows",
        "targeted",
    ]
    return _table(header, rows)


@block("targeted-vs-not-table")
def _targeted_vs_not_table() -> str:
    ref = _reference("targeted_vs_not").query("metric == 'gini'")
    pivot = ref.pivot_table(index="strategy", columns="dataset", values="mean_diff", aggfunc="mean")
    order = sorted(pivot.index, key=lambda s: (s.split("+")[1], s.split("_")[1], int(s.split("_")[0][4:])))
    rows = [[f"`{s}`", *(f"{pivot.loc[s, d]:+.4f}" for d in pivot.columns)] for s in order]
    return _table(["strategy (mean over the two models)", *pivot.columns], rows)


@block("targeted-vs-not-cost")
def _targeted_vs_not_cost() -> str:
    res = pd.read_parquet(RESULTS / "targeted_vs_not" / "results.parquet")
    res = res[(res.metric == "gini") & (res.strategy != "baseline")].drop_duplicates("cell_id")
    res["generator"] = res.strategy.str.split("+").str[1]
    res["where"] = np.where(res.strategy.str.startswith("all+"), "all rows", "hardest 10%")
    res = res[res.strategy.str.startswith(("all+", "hard10_"))]
    fit = res.groupby(["generator", "where"]).generator_fit_s.mean().unstack()
    parts = [
        f"{g.upper()} {fit.loc[g, 'hardest 10%']:.1f} s on the hardest 10% against {fit.loc[g, 'all rows']:.1f} s on "
        f"all rows ({fit.loc[g, 'all rows'] / fit.loc[g, 'hardest 10%']:.1f}x)"
        for g in fit.index
    ]
    return "Mean generator fit per cell: " + "; ".join(parts) + " (`generator_fit_s`).\n"


@block("imbalance-table")
def _imbalance_table() -> str:
    base = _analysis("imbalance").query("metric == 'roc_auc'")
    base = base.assign(generator=base.strategy.str.removeprefix("minority+"))
    cols = [(d, b) for d in sorted(base.dataset.unique()) for b in ("0.5x", "1x", "2x", "4x")]
    rows = []
    for gen, g in base.groupby("generator"):
        cells = []
        for d, b in cols:
            r = g[(g.dataset == d) & (g.budget == b)]
            cells.append(f"{r.mean_diff.iloc[0]:+.4f}" + (" *" if (r.verdict == "win").any() else "") if len(r) else "")
        rows.append([gen, *cells])
    names = {"bank_marketing": "bank", "give_me_some_credit": "credit"}
    baselines = ", ".join(f"{d} {m:.3f}" for d, m in base.groupby("dataset").baseline_mean.mean().items())
    return (
        _table(["generator", *(f"{names.get(d, d)} {b}" for d, b in cols)], rows)
        + f"\n(* = significant after Holm; baseline ROC-AUC: {baselines}.)\n"
    )


def _verdict_cell(r: Any) -> str:
    mark = {"win": " (better)", "loss": " (worse)"}.get(r.verdict, "")
    return f"{r.mean_diff:+.4f}{mark}"


def _verdict_table(folder: str, metrics: dict[str, str], prefix: str, note: str) -> str:
    """Per strategy and budget: each metric's change against no augmentation, with verdicts."""
    table = _analysis(folder)
    keyed = table.set_index(["strategy", "budget", "metric"])
    rows = [
        [f"`{strategy.removeprefix(prefix)}` {budget}"]
        + [_verdict_cell(keyed.loc[(strategy, budget, m)]) for m in metrics]
        for (strategy, budget), _ in table.groupby(["strategy", "budget"], sort=True)
    ]
    base = table.groupby("metric").baseline_mean.mean()
    baselines = ", ".join(f"{m} {base[m]:.3f}" for m in metrics)
    return (
        _table(["strategy, budget", *metrics.values()], rows)
        + f"\n(Mean difference to no augmentation over 10 seeds; better/worse = significant after Holm, corrected "
        f"resampled t-test{note}. Baseline: {baselines}.)\n"
    )


@block("multiclass-table")
def _multiclass_table() -> str:
    metrics = {"roc_auc": "macro ROC-AUC", "balanced_accuracy": "balanced accuracy", "f1_macro": "macro F1"}
    metrics["log_loss"] = "log loss"
    return _verdict_table("multiclass", metrics, "minority+", "; lower log loss is better")


@block("groups-table")
def _groups_table() -> str:
    metrics = {"roc_auc": "ROC-AUC", "accuracy": "accuracy"}
    metrics.update(worst_group_roc_auc="worst-group ROC-AUC", worst_group_accuracy="worst-group accuracy")
    return _verdict_table("groups", metrics, "cell+", "")


@block("imbalance-scaling")
def _imbalance_scaling() -> str:
    fits = pd.read_csv(RESULTS / "imbalance" / "scaling.csv").sort_values(
        ["dataset", "fitted_gain"], ascending=[True, False]
    )
    rows = [
        [
            r.dataset,
            r.strategy.removeprefix("minority+"),
            f"{int(r.best_synthetic_rows):,}",
            f"{int(r.best_rows_low):,}-{int(r.best_rows_high):,}",
            f"{r.fitted_gain:+.4f}",
            f"{r.r2:.2f}",
        ]
        for r in fits.itertuples()
    ]
    return _table(["dataset", "generator", "best synthetic rows", "90% interval", "fitted gain", "R²"], rows)


def _utility() -> dict[str, Any]:
    return json.loads((RESULTS / "utility" / "summary.json").read_text())


def _tally_line(rows: list[dict[str, Any]], name: str) -> str:
    r = next(x for x in rows if x["strategy"] == name)
    return f"{_n(r['wins'], 'win')} and {_n(r['losses'], 'loss')} in {r['groups']} groups (mean {r['mean_diff']:+.4f})"


@block("utility")
def _utility_block() -> str:
    u = _utility()
    by = u["by_strategy"]
    cal = u["calibration"]
    le0, power = cal["true_effect_le_0"], cal["true_effect_gt_0.005"]
    outcomes = u["auto_outcomes"]
    runs = sum(o["runs"] for o in outcomes)
    augmented = sum(o["runs"] * o["augmented_share"] for o in outcomes)
    better = sum(
        o["runs"] * o["augmented_share"] * (o["share_of_augmented_runs_better_on_test"] or 0) for o in outcomes
    )
    beyond = {r["strategy"]: r for r in u["beyond_teacher"]}
    regular = {r["strategy"]: r for r in u["versus_regularised"]}
    largest = max(outcomes, key=lambda o: o["train_size"])
    sizes = ", ".join(f"{o['train_size']:,}: {o['augmented_share']:.0%}" for o in outcomes)

    def rate(rule: str, part: dict[str, Any]) -> str:
        x = part[rule]
        return f"{x['count']} ({x['rate']:.1%}, 95% CI {x['ci95'][0]:.1%}-{x['ci95'][1]:.1%})"

    lines = [
        f"`benchmarks/results/utility/` ({u['cells']:,} cells: 7 tables, 100 to 2,000 training rows, LightGBM, "
        "a regularised LightGBM and logistic regression, 10 seeds; ROC-AUC on the real test rows, corrected "
        "resampled t-test over the seeds, Holm within each group):",
        "",
        f"- against no augmentation, self-distillation: {_tally_line(by, 'self_distillation')}; copula rows with "
        f"the teacher's labels: {_tally_line(by, 'copula_teacher')}; ARF rows curated by Data-IQ: "
        f"{_tally_line(by, 'arf_curated_teacher')}; **auto**: {_tally_line(by, 'auto')};",
        f"- synthetic rows beyond the teacher: against self-distillation, copula rows won "
        f"{beyond['copula_teacher']['wins']} and lost {beyond['copula_teacher']['losses']}, ARF rows won "
        f"{beyond['arf_curated_teacher']['wins']} and lost {beyond['arf_curated_teacher']['losses']} of "
        f"{beyond['copula_teacher']['groups']} groups;",
        f"- is it regularisation? LightGBM with self-distillation against the regularised LightGBM without: "
        f"{_n(regular['self_distillation (lightgbm)']['wins'], 'win')}, "
        f"{_n(regular['self_distillation (lightgbm)']['losses'], 'loss')} "
        f"in {regular['self_distillation (lightgbm)']['groups']} groups (mean "
        f"{regular['self_distillation (lightgbm)']['mean_diff']:+.4f}); plain LightGBM against it: "
        f"{regular['baseline (lightgbm)']['losses']} losses (mean {regular['baseline (lightgbm)']['mean_diff']:+.4f});",
        f"- auto added rows in {augmented:.0f} of {runs} runs (by training size: {sizes}); in "
        f"{better:.0f} of them the model was then better on the test rows;",
        f"- calibration: of {le0['verdicts']:,} verdicts on candidates whose true effect (their mean test gain over "
        f"the 10 seeds) was not positive, auto said use in {rate('use_auto', le0)}; the plain paired t-test in the "
        f"same sequence would have in {rate('use_plain_sequence', le0)}, alone in {rate('use_plain_alone', le0)};",
        f"- power: on {power['verdicts']:,} verdicts on candidates with a true effect above +0.005, auto said use in "
        f"{rate('use_auto', power)};",
        f"- cost: auto took a median {largest['median_auto_s']:.0f} s at {largest['train_size']:,} training rows "
        f"(one fit of the model without it: {largest['median_baseline_model_s']:.2f} s).",
    ]
    return "\n".join(lines) + "\n"


def _label_noise() -> dict[str, Any]:
    return json.loads((RESULTS / "label_noise" / "summary.json").read_text())


@block("label-noise")
def _label_noise_block() -> str:
    u = _label_noise()
    cfg = u["config"]
    header = [
        "method",
        "ROC-AUC",
        "precision at k",
        "worst setting ROC-AUC",
        "mean rank",
        "settings won",
        "s per scoring",
    ]
    rows = [
        [
            f"`{r['method']}`",
            f"{r['roc_auc']:.3f}",
            f"{r['precision_at_k']:.3f}",
            f"{r['worst_setting_roc_auc']:.3f}",
            f"{r['mean_rank']:.1f}",
            f"{r['settings_won']}",
            f"{r['seconds']:.2f}",
        ]
        for r in u["ranking"]
    ]
    chance = u["ranking"][0]["chance_precision"]
    intro = (
        f"`benchmarks/results/label_noise/` ({u['runs']:,} scorings: {len(cfg['datasets'])} shared tables, at most "
        f"{cfg['rows']:,} training rows each, {', '.join(f'{r:.0%}' for r in cfg['rates'])} of the labels flipped, "
        f"uniform and class-conditional noise, {cfg['seeds']} draws each; {u['settings']} table x kind x rate "
        f"settings; precision at k by chance: {chance:.3f}; `{cfg['command']}`):\n\n"
    )
    return intro + _table(header, rows)


@block("label-noise-kinds")
def _label_noise_kinds_block() -> str:
    u = _label_noise()
    kinds = pd.DataFrame(u["per_kind"]).set_index(["kind", "method"]).roc_auc
    parts = []
    for kind, words in (("uniform", "uniform flips"), ("class_conditional", "flips from the rarest class")):
        part = kinds.loc[kind].drop("random").sort_values(ascending=False)
        parts.append(
            f"{words}: best `{part.index[0]}` {part.iloc[0]:.3f}, `knn_shapley` {part['knn_shapley']:.3f}, "
            f"random {kinds.loc[(kind, 'random')]:.3f}"
        )
    return "Mean ROC-AUC by kind of noise: " + "; ".join(parts) + ".\n"


@block("knn-shapley-speed")
def _knn_shapley_speed_block() -> str:
    d = json.loads((RESULTS / "knn_shapley_adult.json").read_text())
    r, setup = d["results"], d["setup"]
    ours = r["tabaugment_s"]
    rows = [
        ["tabaugment `knn_shapley`, compiled kernel (numba, the `fast` extra)", f"{ours:.2f}", "1"],
        [
            "machine floor: float32 distance GEMM + a plain float32 sort per row",
            f"{r['machine_lower_bound_s']:.2f}",
            f"ours is {r['ratio_to_machine_lower_bound']:.2f}x of it",
        ],
        [
            "tabaugment `knn_shapley`, numpy path (no numba)",
            f"{r['numpy_path_s']:.1f}",
            f"{r['numpy_path_s'] / ours:.1f}x slower",
        ],
        [
            "distance GEMM + numpy's fastest (unstable) argsort",
            f"{r['lower_bound_fastest_argsort_s']:.1f}",
            f"{r['lower_bound_fastest_argsort_s'] / ours:.1f}x slower",
        ],
        [
            "distance GEMM + stable argsort",
            f"{r['lower_bound_s']:.1f}",
            f"{r['lower_bound_s'] / ours:.1f}x slower",
        ],
        [
            "straightforward per-validation-point loop",
            f"{r['per_point_loop_s']:.1f}",
            f"{r['speedup_vs_per_point_loop']:.1f}x slower",
        ],
        [
            f"pyDVL {d['versions'].get('pydvl', '?')} `KNNShapleyValuation` ({r['pydvl_validation_rows']:,} validation "
            f"rows, scaled to {setup['validation_rows']:,})",
            f"{r['pydvl_scaled_to_5000_s']:.0f}",
            f"{r['speedup_vs_pydvl']:.1f}x slower",
        ],
    ]
    intro = (
        f"Adult, {setup['train_rows']:,} training x {setup['validation_rows']:,} validation rows, "
        f"{setup['features']} encoded features, K = {setup['k']}, one BLAS thread, "
        f"{d['machine']['cpu']}; ours and the floor: fastest of three interleaved runs:\n\n"
    )
    same = "identical, bit for bit" if r["compiled_equals_numpy_path"] else "NOT identical"
    tail = (
        f"\nOf ours, {r['float64_product_s']:.2f} s is the float64 distance product (BLAS) and "
        f"{ours - r['float64_product_s']:.2f} s the kernel (keys, sort, recursion, scatter). "
        f"The two backends' values are {same}. Peak memory (numpy arrays, tracemalloc): "
        f"{r['tabaugment_peak_mb']:.0f} MB compiled, {r['numpy_path_peak_mb']:.0f} MB numpy path (chunks bounded by "
        f"`max_memory_mb=1024`). Values agree with the per-point loop to "
        f"{r['max_abs_diff_vs_per_point_loop']:.0e} and with pyDVL to {r['max_abs_diff_vs_pydvl']:.0e}.\n"
    )
    return intro + _table(["method", "seconds", "ratio"], rows) + tail


@block("lm-memory")
def _lm_memory_block() -> str:
    d = json.loads((RESULTS / "lm_memory.json").read_text())
    rows = [
        [
            r["what"],
            f"{r['rss_after_model_load_mb']:,.0f}",
            f"**{r['peak_rss_mb']:,.0f}**",
            "yes" if r["within_goal"] else "**no**",
            f"{r['cpu_s']:,.0f}",
        ]
        for r in d["results"]
    ]
    intro = (
        f"{d['model']}; {d['data']}; default settings, one torch thread, each case in a fresh process "
        f"(peak = `ru_maxrss`, interpreter and libraries included; {d['machine']['cpu']}, "
        f"torch {d['versions']['torch']}, transformers {d['versions']['transformers']}):\n\n"
    )
    table = _table(["case", "MB after model load", "peak MB", f"within {d['goal_mb']:,} MB", "CPU s"], rows)
    return intro + table + f"\nCommand: `{d['command']}` (each result records the command that measured it).\n"


@block("neural-training")
def _neural_training_block() -> str:
    d = json.loads((RESULTS / "neural_training.json").read_text())
    by = pd.DataFrame(d["training"])
    rows = []
    for (name, setting), part in by.groupby(["generator", "setting"], sort=False):
        rows.append(
            [
                f"`{name}`, {setting}" + (" (**default**)" if part["default"].all() else ""),
                "/".join(str(int(v)) for v in part["epochs_run"]),
                f"{part['fit_cpu_s'].mean():.0f}",
                f"{part['sample_rows_per_cpu_s'].mean():,.0f}",
                f"{part['quality'].mean():.3f}",
                f"{part['tstr_roc_auc'].mean():.3f}",
            ]
        )
    head = ["generator, setting", "epochs run (per seed)", "fit CPU s", "sample rows/CPU-s", "quality", "TSTR ROC-AUC"]
    setup = d["setup"]
    intro = (
        f"{setup['data']} ({setup['test_rows']:,} rows); fit seeds {', '.join(map(str, setup['seeds']))}, "
        f"{setup['threads']} thread, {d['machine']['cpu']}; quality = mean of our SDMetrics-style column shapes "
        "and column pairs against the test file; TSTR = LightGBM on as many synthetic rows as were fitted; "
        "means over seeds:\n\n"
    )
    samp = d["diffusion_sampler"]
    full = next(r for r in samp if r["sample_steps"] == max(x["sample_steps"] for x in samp) and r["eta"] == 1.0)
    srows = [
        [
            str(r["sample_steps"]),
            f"{r['eta']:g}",
            f"{r['rows_per_cpu_s']:,}",
            f"{r['rows_per_cpu_s'] / full['rows_per_cpu_s']:.1f}x",
            f"{r['quality']:.3f}",
            f"{r['tstr_roc_auc']:.3f}",
        ]
        for r in samp
    ]
    sampler = (
        f"\n`diffusion`'s sampler on one default fit (seed {setup['seeds'][0]}), {samp[0]['rows']:,} rows each:\n\n"
        + _table(["sampling steps", "eta", "rows/CPU-s", "speed-up", "quality", "TSTR ROC-AUC"], srows)
    )
    commands = list(dict.fromkeys(r.get("command", d["command"]) for r in d["training"]))
    return intro + _table(head, rows) + sampler + "\nCommands: " + "; ".join(f"`{c}`" for c in commands) + ".\n"


@block("hardness-at-scale")
def _hardness_at_scale_block() -> str:
    d = json.loads((RESULTS / "hardness.json").read_text())
    ex, ap, big, iq = (
        d["exact_give_me_some_credit"],
        d["approximate_vs_exact_give_me_some_credit"],
        d["approximate_1m_rows"],
        d["data_iq_adult"],
    )
    rows = [
        [
            f"exact KNN-Shapley, give_me_some_credit {ex['train_rows']:,} training x {ex['validation_rows']:,} "
            "validation rows",
            f"{ex['seconds']:.0f} s",
            f"compiled kernel; peak RSS {ex['peak_rss_mb_so_far']:.0f} MB (goal < 4 GB); "
            f"{ex['ratio_to_machine_lower_bound']:.2f}x the machine floor (float32 product + plain float32 sort, "
            f"{ex['machine_lower_bound_s']:.0f} s); the product + fastest argsort takes "
            f"{ex['lower_bound_fastest_argsort_s']:.0f} s; the numpy path {ex['numpy_path_s']:.0f} s "
            f"({'identical values' if ex['compiled_equals_numpy_path'] else 'values DIFFER'}); pyDVL "
            f"{ex['pydvl_scaled_s']:.0f} s ({ex['pydvl_validation_rows']} validation rows, scaled), "
            f"{ex['speedup_vs_pydvl']:.0f}x ours",
        ],
        [
            f"approximate KNN-Shapley, same data, T = {ap['top']} ({ap['index']})",
            f"{ap['seconds']:.1f} s",
            f"{ap['speedup_vs_exact']:.0f}x faster; Spearman with exact {ap['spearman']:.3f}, hardest-10% overlap "
            f"{ap['hardest_10pct_overlap']:.2f}",
        ],
        [
            f"approximate KNN-Shapley, {big['train_rows']:,} rows (resampled with noise) x {big['validation_rows']:,} "
            f"validation, {big['index']}",
            f"{big['seconds']:.1f} s",
            "",
        ],
        [
            f"Data-IQ on Adult ({iq['train_rows']:,} rows, {iq['rounds']} LightGBM rounds)",
            f"{iq['data_iq_s']:.1f} s",
            f"{iq['overhead_ratio']:.1f}x training the model once ({iq['train_once_s']:.1f} s)",
        ],
    ]
    tail = (
        f"\nExact KNN-Shapley here: {ex['seconds'] / ex['machine_lower_bound_s']:.2f}x the machine floor and "
        f"{ex['speedup_vs_pydvl']:.0f}x faster than pyDVL; pyDVL's values differ from ours by up to "
        f"{ex['max_abs_diff_vs_pydvl']:.0e}.\n"
    )
    return _table(["work", "time", "note"], rows, align="|---|---:|---|") + tail


# ---------------------------------------------------------------------- the rewrite
def render(text: str, failures: list[str]) -> str:
    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in BLOCKS:
            failures.append(f"unknown block {name!r}")
            return m.group(0)
        return m.group(1) + BLOCKS[name]() + m.group(4)

    return _BLOCK.sub(replace, text)


def stale(documents: list[Path] = DOCUMENTS) -> list[str]:
    """Documents whose blocks differ from what the result files give (and any unknown block)."""
    out: list[str] = []
    for path in documents:
        text = path.read_text(encoding="utf-8")
        if render(text, out) != text:
            out.append(str(path.relative_to(ROOT)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report stale blocks (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for p in problems:
            print(f"stale: {p}")
        return 1 if problems else 0
    failures: list[str] = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        new = render(text, failures)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
