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
        "| metric | baseline | augmented | diff | 95% CI | p (paired t) | wins |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for metric, label in names.items():
        r = comp.loc[metric]
        rows.append(
            f"| {label} | {r.baseline_mean:.4f} | {r.treatment_mean:.4f} | {r.mean_diff:+.4f} | "
            f"[{r.ci_low:+.4f}, {r.ci_high:+.4f}] | {_p(r.p_ttest)} | {int(r.wins)}/{int(r.n_seeds)} |"
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
    wall = next(line for line in text if line.startswith("real"))
    m = re.match(r"real\s+(\d+)m([\d.]+)s", wall)
    seconds = int(m.group(1)) * 60 + float(m.group(2)) if m else float("nan")
    return (
        f'On german_credit (5 splits, {seconds:.0f} s) it answers: "{reason}" '
        "(`benchmarks/results/recommend_german_credit/output.txt`).\n"
    )


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
