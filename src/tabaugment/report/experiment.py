"""The HTML report of an experiment folder: every strategy against its paired baseline."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from tabaugment.experiment import ResultStore, analyze
from tabaugment.experiment.analysis import SUMMARY_COLUMNS
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


def experiment_report(folder: str | Path, *, metric: str = "roc_auc") -> str:
    """A self-contained HTML page summarising the results stored in ``folder``."""
    results = ResultStore(folder).load()
    if results.empty:
        raise ValueError(f"No results in {str(folder)!r} (expected {Path(folder) / 'cells'!s}/*.parquet).")
    table = analyze(results)
    shown = table[table.metric == metric]
    counts = shown.verdict.value_counts()
    cols = SUMMARY_COLUMNS
    cost = results.groupby("strategy")[["cell_s"]].mean().reset_index() if "cell_s" in results else pd.DataFrame()
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
        "<h2>Cost per cell (seconds)</h2>" + (_table(cost) if len(cost) else ""),
        "<details><summary>All metrics</summary>" + _table(table[[*cols[:3], "metric", *cols[3:]]]) + "</details>",
        "</body></html>",
    ]
    return "\n".join(parts)
