"""The HTML report of an experiment folder: every strategy against its paired baseline."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from tabaugment.exceptions import DataError
from tabaugment.experiment import ResultStore, analyze
from tabaugment.experiment.analysis import SUMMARY_COLUMNS
from tabaugment.experiment.spec import references
from tabaugment.report.html import _CSS, _img, _table

__all__ = ["experiment_report"]


def _budget_plot(table: pd.DataFrame, metric: str) -> str:
    from tabaugment.report.plots import _encode, _plt

    plt = _plt()
    part = table[table.metric == metric]
    groups = list(part.groupby(["dataset", "train_size", "model"], sort=True))
    fig, axes = plt.subplots(1, max(1, len(groups)), figsize=(4.2 * max(1, len(groups)), 3.2), squeeze=False)
    for ax, ((ds, size, model), g) in zip(axes[0], groups):
        for strategy, s in g.groupby("strategy", sort=True):
            x = np.arange(len(s))
            ax.errorbar(
                x,
                s.mean_diff,
                yerr=[s.mean_diff - s.ci_low, s.ci_high - s.mean_diff],
                marker="o",
                capsize=3,
                label=strategy,
            )
            ax.set_xticks(x, s.budget.astype(str), fontsize=7)
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{ds}, train {size}, {model}", fontsize=8)
        ax.set_xlabel("budget", fontsize=8)
        ax.set_ylabel(f"{metric}: augmented - baseline", fontsize=8)
        ax.legend(fontsize=6)
    return _encode(fig)


def _scaling_plot(results: pd.DataFrame, fits: pd.DataFrame, metric: str) -> str:
    from tabaugment.experiment.scaling import ScalingFit
    from tabaugment.report.plots import _encode, _plt

    plt = _plt()
    groups = list(fits.groupby(["dataset", "train_size", "model"], sort=True))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.4 * len(groups), 3.3), squeeze=False)
    part = results[results.metric == metric]
    for ax, ((ds, size, model), g) in zip(axes[0], groups):
        cell = part[(part.dataset == ds) & (part.train_size == size) & (part.model == model)]
        base = cell[cell.strategy == "baseline"].value.mean()
        for i, row in enumerate(g.itertuples()):
            obs = cell[cell.strategy == row.strategy].groupby("synthetic_rows").value.mean()
            obs = pd.concat([pd.Series({0: base}), obs])
            color = f"C{i % 10}"
            ax.plot(obs.index, obs.to_numpy(), "o", color=color, ms=4)
            fit = ScalingFit(row.real_rows, row.a, row.alpha, row.b, row.c, row.r2, row.max_tried_rows)
            grid = np.linspace(0, row.max_tried_rows, 200)
            ax.plot(
                grid,
                1 - fit.loss(grid),
                "-",
                color=color,
                lw=1,
                label=f"{row.strategy} (best {row.best_synthetic_rows})",
            )
        ax.axhline(base, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{ds}, train {size}, {model}", fontsize=8)
        ax.set_xlabel("synthetic rows", fontsize=8)
        ax.set_ylabel(f"{metric} (mean over seeds)", fontsize=8)
        ax.legend(fontsize=5)
    return _encode(fig)


def experiment_report(folder: str | Path, *, metric: str = "roc_auc") -> str:
    """A self-contained HTML page summarising the results stored in ``folder``."""
    import json

    from tabaugment.experiment.scaling import scaling_table

    results = ResultStore(folder).load()
    if results.empty:
        raise DataError(f"No results in {str(folder)!r} (expected results.parquet or cells/*.parquet).")
    table = analyze(results)
    shown = table[table.metric == metric]
    counts = shown.verdict.value_counts()
    cols = SUMMARY_COLUMNS
    spec_file = Path(folder) / "spec.json"
    strategies = json.loads(spec_file.read_text())["strategies"] if spec_file.is_file() else []
    refs = references(strategies)
    vs_ref = analyze(results, reference=refs) if refs else pd.DataFrame()
    vs_ref = vs_ref[vs_ref.metric == metric] if len(vs_ref) else vs_ref
    fits = scaling_table(results, metric=metric) if "synthetic_rows" in results else pd.DataFrame()
    timing_cols = [c for c in ("hardness_s", "generator_fit_s", "sample_s", "model_s") if c in results]
    first_rows = results.drop_duplicates("cell_id")
    cost = first_rows.groupby("strategy")[timing_cols].mean().reset_index() if timing_cols else pd.DataFrame()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tabaugment experiment: {html.escape(str(folder))}</title><style>{_CSS}</style></head><body>",
        f"<h1>Experiment: {html.escape(Path(folder).name)}</h1>",
        f"<p class='muted'>{results.cell_id.nunique()} cells, seeds {sorted(results.seed.unique().tolist())}. Each strategy "
        "is compared with the baseline cells of the same split and model seed; p-values are paired t-tests, Holm-corrected "
        "within each dataset x size x model x metric.</p>",
        f"<p><b>{metric}</b>: {counts.get('win', 0)} wins, {counts.get('tie', 0)} ties, {counts.get('loss', 0)} losses.</p>",
        _img(_budget_plot(table, metric), "utility against the synthetic budget"),
        f"<h2>{html.escape(metric)}</h2>" + _table(shown[cols]),
        (
            f"<h2>Against the compared strategy ({html.escape(metric)})</h2><p class='muted'>Each strategy against the "
            "strategy its spec names in <code>compare_to</code> (same seeds and budget), Holm-corrected.</p>"
            + _table(vs_ref[["dataset", "train_size", "model", "strategy", "reference", *cols[4:]]])
            if len(vs_ref)
            else ""
        ),
        (
            "<h2>Scaling law: utility against the synthetic rows</h2><p class='muted'>Fitted loss(N) = c + a (n + N)"
            "<sup>-&alpha;</sup> + b (N / (n + N))<sup>2</sup> over seeds and budgets (baseline as N = 0); the best "
            "budget is the fitted minimum within the tried range, with a bootstrap 90% interval over seeds.</p>"
            + _img(_scaling_plot(results, fits, metric), "scaling law")
            + _table(fits)
            if len(fits)
            else ""
        ),
        "<h2>Cost per cell (seconds)</h2>" + (_table(cost) if len(cost) else ""),
        "<details><summary>All metrics</summary>" + _table(table[[*cols[:3], "metric", *cols[3:]]]) + "</details>",
        "</body></html>",
    ]
    return "\n".join(parts)
