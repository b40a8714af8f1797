"""Plots for the HTML report, as base64 PNG strings (matplotlib, Agg backend)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabaugment._optional import import_optional
from tabaugment.hardness import HardnessComparison

__all__ = [
    "correlation_heatmap",
    "dcr_histogram",
    "hardness_comparison_plot",
    "hardness_histogram",
    "marginal_plot",
    "save_png",
    "utility_plot",
]

REAL, SYNTH, SELECTED = "#4C72B0", "#DD8452", "#C44E52"


def _plt() -> Any:
    mpl = import_optional("matplotlib", extra="report", purpose="report plots")
    mpl.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _short(text: Any, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (the full name stays in the tables)."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _wrapped(name: str, width: int = 16) -> str:
    """A strategy name over lines, broken after its ``+`` parts."""
    lines: list[str] = []
    for part in str(name).replace("+", "+\n").split("\n"):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def _encode(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def save_png(b64: str, path: str | Path) -> None:
    """Write a plot of this module (a base64 PNG string) to ``path``, atomically."""
    from tabaugment._io import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_bytes(base64.b64decode(b64))


def hardness_comparison_plot(comparison: HardnessComparison) -> str:
    """Two heatmaps of a :class:`~tabaugment.hardness.HardnessComparison`: the Jaccard overlap
    of the methods' hardest rows and the Spearman correlation of their scores."""
    plt = _plt()
    names = list(comparison.jaccard.columns)
    fig, axes = plt.subplots(1, 2, figsize=(4.5 + 1.1 * len(names), 2.3 + 0.45 * len(names)))
    for ax, frame, title in (
        (axes[0], comparison.jaccard, f"Jaccard of the hardest {comparison.fraction:.0%}"),
        (axes[1], comparison.spearman, "Spearman correlation of scores"),
    ):
        im = ax.imshow(frame.to_numpy(dtype=float), vmin=-1 if "Spearman" in title else 0, vmax=1, cmap="viridis")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        for i in range(len(names)):
            for j in range(len(names)):
                ax.text(j, i, f"{frame.iloc[i, j]:.2f}", ha="center", va="center", fontsize=7, color="white")
        ax.set_title(title, fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
    return _encode(fig)


def hardness_histogram(
    scores: np.ndarray,
    selected: np.ndarray,
    positive: np.ndarray,
    method: str,
    names: tuple[str, str] = ("negative class", "positive class"),
) -> str:
    """Hardness of every training row; selected rows highlighted, for rows with ``positive`` 0 and 1
    (titled by ``names``)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=False)
    bins = np.histogram_bin_edges(scores, bins=40)
    for ax, mask, title in ((axes[0], positive == 0, names[0]), (axes[1], positive == 1, names[1])):
        ax.hist(scores[mask & ~selected], bins=bins, color=REAL, alpha=0.8, label="not selected")
        ax.hist(scores[mask & selected], bins=bins, color=SELECTED, alpha=0.9, label="selected")
        ax.set_title(f"{title} ({int(mask.sum())} rows, {int((mask & selected).sum())} selected)", fontsize=11)
        ax.set_xlabel(f"hardness ({method}; higher = harder)", fontsize=10)
        ax.tick_params(labelsize=9)
    axes[0].legend(fontsize=9)
    return _encode(fig)


def marginal_plot(real: pd.Series, synthetic: pd.Series, *, numerical: bool) -> str:
    """One column: overlaid histograms (numerical) or side-by-side category shares."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(3.6, 2.8))
    if numerical:
        r, s = real.dropna().to_numpy(dtype=float), synthetic.dropna().to_numpy(dtype=float)
        both = np.concatenate([r, s]) if len(s) else r
        bins = np.histogram_bin_edges(both, bins=30) if len(both) else 10
        ax.hist(r, bins=bins, density=True, alpha=0.55, color=REAL, label="real")
        ax.hist(s, bins=bins, density=True, alpha=0.55, color=SYNTH, label="synthetic")
        ax.locator_params(axis="x", nbins=5)
        ax.ticklabel_format(axis="both", style="sci", scilimits=(-3, 4))
    else:
        p = real.astype(object).value_counts(normalize=True)
        q = synthetic.astype(object).value_counts(normalize=True)
        cats = list(p.index[:12]) + [c for c in q.index[:12] if c not in set(p.index[:12])][:3]
        x = np.arange(len(cats))
        ax.bar(x - 0.2, [p.get(c, 0) for c in cats], 0.4, color=REAL, label="real")
        ax.bar(x + 0.2, [q.get(c, 0) for c in cats], 0.4, color=SYNTH, label="synthetic")
        ax.set_xticks(x, [_short(c, 16) for c in cats], rotation=45, fontsize=8, ha="right")
    ax.set_title(_short(real.name, 40), fontsize=11)
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8)
    return _encode(fig)


def correlation_heatmap(pairs: pd.DataFrame, columns: list[str]) -> str:
    """1 - pair score for every column pair: 0 = relation kept, higher = relation changed."""
    plt = _plt()
    n = len(columns)
    pos = {c: i for i, c in enumerate(columns)}
    mat = np.zeros((n, n))
    for row in pairs.itertuples():
        i, j = pos[row.column_a], pos[row.column_b]
        mat[i, j] = mat[j, i] = 1 - row.score if np.isfinite(row.score) else np.nan
    side = min(max(0.38 * n + 3.0, 5.0), 11.0)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    im = ax.imshow(mat, cmap="Reds", vmin=0, vmax=max(0.05, float(np.nanmax(mat)) if n > 1 else 0.05))
    size = 10 if n <= 20 else 8 if n <= 35 else 6
    ax.set_xticks(range(n), [_short(c, 28) for c in columns], rotation=60, fontsize=size, ha="right")
    ax.set_yticks(range(n), [_short(c, 28) for c in columns], fontsize=size)
    bar = fig.colorbar(im, ax=ax, fraction=0.04)
    bar.set_label("1 - pair similarity", fontsize=10)
    ax.set_title("How much each column pair's relation changed", fontsize=12)
    return _encode(fig)


def utility_plot(scores: pd.DataFrame, metrics: tuple[str, ...] | None = None) -> str:
    """Per-seed paired differences (augmented - baseline) on real test rows, with the mean (by
    default for the task's headline metrics)."""
    from tabaugment.evaluation.metrics import headline_metrics

    metrics = headline_metrics(scores["metric"]) if metrics is None else metrics
    plt = _plt()
    strategies = [s for s in scores.strategy.unique() if s != "baseline"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(2.8, 1.3 * len(strategies) + 1.6) * len(metrics), 3.4))
    wide = scores.pivot_table(index=["metric", "seed"], columns="strategy", values="value")
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        part = wide.loc[metric]
        for k, strategy in enumerate(strategies):
            diff = (part[strategy] - part["baseline"]).to_numpy()
            ax.scatter(np.full(len(diff), k) + np.linspace(-0.08, 0.08, len(diff)), diff, s=14, color=SYNTH)
            ax.hlines(diff.mean(), k - 0.25, k + 0.25, color="black")
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set_xticks(range(len(strategies)), [_wrapped(s) for s in strategies], fontsize=9)
        ax.set_xlim(-0.6, len(strategies) - 0.4)
        ax.set_title(f"{metric}: augmented - baseline", fontsize=11)
        ax.tick_params(labelsize=9)
    fig.tight_layout()
    return _encode(fig)


def dcr_histogram(distances: pd.DataFrame, reference: np.ndarray | None) -> str:
    """Distance of synthetic rows to their closest training row, beside fresh real rows'."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    d = distances["dcr_train"].to_numpy()
    top = np.quantile(np.concatenate([d, reference]) if reference is not None else d, 0.99)
    bins = np.linspace(0, max(top, 1e-9), 40)
    ax.hist(np.clip(d, 0, top), bins=bins, density=True, alpha=0.6, color=SYNTH, label="synthetic -> training")
    if reference is not None:
        ax.hist(np.clip(reference, 0, top), bins=bins, density=True, alpha=0.5, color=REAL, label="holdout -> training")
    ax.set_xlabel("distance to closest training row", fontsize=10)
    ax.legend(fontsize=9)
    ax.tick_params(labelsize=9)
    return _encode(fig)
