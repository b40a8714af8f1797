"""
Does augmentation help? The utility grid
========================================

The project's utility grid (``benchmarks/utility.toml``) runs ``auto`` and each of its
candidates, explicitly, against no augmentation on seven real tables, training sizes from 100
to 2,000 rows, three models and ten seeds, and judges every cell on real test rows. This
example reads its committed results (``benchmarks/results/utility/outer.csv``, written by
``benchmarks/utility_analysis.py``) and plots the mean gain in ROC-AUC per training size.
"""

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd


def results_file(name: str) -> Path:
    """The committed result file, from wherever the example runs inside the repository."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        candidate = folder / "benchmarks" / "results" / "utility" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"benchmarks/results/utility/{name}: run this example inside the repository")


outer = pd.read_csv(results_file("outer.csv"))
outer["train_size"] = pd.to_numeric(outer["train_size"])
print(f"{len(outer)} comparisons: {outer.dataset.nunique()} tables x sizes x {outer.model.nunique()} models")

# %%
# Mean gain over the tables, per strategy, training size and model (larger sizes exist only for
# the tables whose training pool has that many rows).
strategies = ["self_distillation", "copula_teacher", "arf_curated_teacher", "auto"]
models = list(dict.fromkeys(outer.model))
fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.4), sharey=True)
for ax, model in zip(axes, models):
    part = outer[outer.model == model]
    for name in strategies:
        rows = part[part.strategy == name]
        mean = rows.groupby("train_size").mean_diff.mean()
        ax.plot(mean.index, mean.to_numpy(), marker="o", label=name)
    ax.axhline(0, color="grey", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_title(model)
    ax.set_xlabel("training rows")
axes[0].set_ylabel("ROC-AUC gain on real test rows")
axes[-1].legend(fontsize=8)
fig.tight_layout()

# %%
# Significant wins and losses per strategy (each table x size x model is one group).
verdicts = outer.pivot_table(index="strategy", columns="verdict", values="mean_diff", aggfunc="size", fill_value=0)
print(verdicts)
