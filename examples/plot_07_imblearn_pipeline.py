"""
A targeted sampler in an imbalanced-learn pipeline
==================================================

:class:`tabaugment.TargetedSampler` is an imbalanced-learn sampler: inside an
``imblearn.pipeline.Pipeline`` it adds rows during ``fit`` only, so cross-validation scores
every fold on real rows. Here it generates SMOTE rows for the hardest rows of each class of
the breast-cancer table, next to the same pipeline without it.
"""

# %%
import matplotlib.pyplot as plt
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from tabaugment import TargetedSampler
from tabaugment.data import load_breast_cancer

ds = load_breast_cancer()
X = ds.table.drop(columns=[ds.schema.target])
y = ds.schema.encode_target(ds.table[ds.schema.target])

plain = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=1000))])
targeted = Pipeline(
    [
        ("augment", TargetedSampler(generator="smote", selector="hardest_per_class", budget=0.3, random_state=0)),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(max_iter=1000)),
    ]
)
folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {
    name: cross_val_score(p, X, y, cv=folds, scoring="roc_auc")
    for name, p in [("plain", plain), ("targeted", targeted)]
}
for name, s in scores.items():
    print(f"{name:9s} ROC-AUC {s.mean():.4f} (folds: {', '.join(f'{v:.3f}' for v in s)})")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.boxplot(list(scores.values()))
ax.set_xticks([1, 2], list(scores))
ax.set_ylabel("ROC-AUC per fold")
fig.tight_layout()
