"""
Which hardness method finds flipped labels?
===========================================

Flip 10% of the training labels of the German credit table. The flipped rows are, by
construction, rows a model should find hard, so a good hardness method ranks them first. We
score the rows with four methods and count how many flipped rows each puts among its
hardest 10%.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from tabaugment import load_dataset
from tabaugment.hardness import DataIQ, KNNShapley, OutOfFoldLoss, RandomHardness

ds = load_dataset("german_credit")
frame = ds.schema.prepare(ds.table)
X = frame.drop(columns=[ds.schema.target])
y = ds.schema.encode_target(frame[ds.schema.target])

rng = np.random.default_rng(0)
flipped = rng.choice(len(y), size=len(y) // 10, replace=False)
y_noisy = y.copy()
y_noisy[flipped] = 1 - y_noisy[flipped]
print(f"{len(y)} rows, {len(flipped)} labels flipped")

# %%
# Score every row with each method (KNN-Shapley is cross-fitted when no validation rows are
# given) and look at the hardest 10%.
methods = {
    "knn_shapley": KNNShapley(),
    "data_iq": DataIQ(n_estimators=100),
    "oof_loss": OutOfFoldLoss(),
    "random": RandomHardness(random_state=0),
}
k = len(flipped)
found = {}
for name, method in methods.items():
    scores = method.fit(X, y_noisy).result_.scores
    hardest = np.argsort(-scores)[:k]
    found[name] = np.isin(hardest, flipped).mean()
    print(f"{name:12s} {found[name]:.0%} of its hardest {k} rows were flipped")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(list(found), list(found.values()), color=["#4C72B0", "#4C72B0", "#4C72B0", "#999999"])
ax.axhline(len(flipped) / len(y), color="grey", ls="--", lw=1, label="chance")
ax.set_ylabel("flipped share of the hardest 10%")
ax.legend()
fig.tight_layout()
