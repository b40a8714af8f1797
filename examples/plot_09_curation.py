"""
Curating synthetic rows
=======================

Hardness applies to synthetic rows too. With ``curate="data_iq"`` the sampler draws more rows
than it needs, scores each with a model trained on the *real* rows (its confidence in the
row's label over training checkpoints) and keeps the rows that model finds easy for the label
they were generated for. Here we draw Gaussian-copula rows for the German credit table with
and without curation and look at how a model of the real rows sees them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from tabaugment import Augmenter, load_dataset
from tabaugment.evaluation import make_model
from tabaugment.evaluation.models import model_frame

ds = load_dataset("german_credit")
frame = ds.schema.prepare(ds.table)
target = ds.schema.target

plain = Augmenter(generator="gaussian_copula", budget=1.0, random_state=0).fit_augment(frame, target)
curated = Augmenter(generator="gaussian_copula", budget=1.0, curate="data_iq", random_state=0).fit_augment(
    frame, target
)
print(curated.curation)

# %%
# A model of the real rows: how likely is each synthetic row's own label?
X_real, categories = model_frame(frame.drop(columns=[target]))
model = make_model("lightgbm", random_state=0).fit(X_real, ds.schema.encode_target(frame[target]))


def own_label_probability(rows):
    X, _ = model_frame(rows.drop(columns=[target]), categories)
    p_positive = model.predict_proba(X)[:, 1]
    positive = ds.schema.encode_target(rows[target]) == 1
    return np.where(positive, p_positive, 1 - p_positive)


fig, ax = plt.subplots(figsize=(6, 3))
bins = np.linspace(0, 1, 21)
for name, result in (("not curated", plain), ("curated (data_iq)", curated)):
    p = own_label_probability(result.synthetic)
    ax.hist(p, bins=bins, alpha=0.6, label=f"{name}: median {np.median(p):.2f}")
ax.set_xlabel("p(the row's own label) under a model of the real rows")
ax.set_ylabel("synthetic rows")
ax.legend()
fig.tight_layout()
