"""
A resumable experiment grid
===========================

An experiment spec names tables and training sizes, strategies, models and seeds.
:func:`tabaugment.run_experiment` computes every cell once (one Parquet file per finished
cell), pairs each strategy with its baseline on the same split and model seed, and a rerun
computes only what is missing. Here: two strategies on the breast-cancer table at two
training sizes, four seeds.
"""

# %%
import tempfile

import matplotlib.pyplot as plt

from tabaugment import run_experiment
from tabaugment.experiment import analyze, load_spec

spec = load_spec(
    {
        "experiment": {"name": "small", "seeds": 4, "models": ["lightgbm"]},
        "datasets": [{"name": "breast_cancer", "train_size": [60, 200]}],
        "strategies": [
            {"name": "smote", "generator": "smote", "budget": 0.5},
            {"name": "copula_teacher", "generator": "gaussian_copula", "budget": 0.5, "teacher": "soft"},
        ],
    }
)
folder = tempfile.mkdtemp()
results = run_experiment(spec, folder)
again = run_experiment(spec, folder)  # resumes: every cell is already there, nothing is computed
print(f"{results.cell_id.nunique()} cells; the rerun read the same {again.cell_id.nunique()} back")

# %%
# Each strategy against its paired baseline, per training size (p: corrected resampled t-test,
# Holm-adjusted across the grid's comparisons).
table = analyze(results)
roc = table[table.metric == "roc_auc"]
print(
    roc[["strategy", "train_size", "baseline_mean", "mean_diff", "p", "p_holm", "wins", "n_seeds"]]
    .round(4)
    .to_string(index=False)
)

# %%
fig, ax = plt.subplots(figsize=(5, 3))
for name, part in roc.groupby("strategy"):
    ax.plot(part.train_size, part.mean_diff, marker="o", label=name)
ax.axhline(0, color="grey", ls="--", lw=1)
ax.set_xlabel("training rows")
ax.set_ylabel("ROC-AUC: augmented - baseline")
ax.legend()
fig.tight_layout()
