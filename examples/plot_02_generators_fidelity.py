"""
Comparing generators' fidelity on the Adult table
=================================================

Fit three generators that need no extra dependencies on 2,000 Adult rows and compare their
synthetic rows with the real ones: column shapes (KS / total variation complement), column
pairs (correlation and contingency similarity) and a detection classifier's AUC (0.5 means it
cannot tell synthetic rows from real ones).
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd

from tabaugment import AdversarialRandomForest, GaussianCopula, SMOTEGenerator, load_dataset
from tabaugment.evaluation import fidelity_report

ds = load_dataset("adult")
frame = ds.schema.prepare(ds.table).sample(2000, random_state=0)
target = ds.schema.target

rows = []
for generator in (
    GaussianCopula(random_state=0),
    AdversarialRandomForest(random_state=0),
    SMOTEGenerator(random_state=0),
):
    synthetic = generator.fit(frame, target=target).sample(2000, random_state=1)
    summary = fidelity_report(frame, synthetic, random_state=0).summary
    rows.append({"generator": type(generator).__name__, **summary})
table = pd.DataFrame(rows).set_index("generator")
print(table[["column_shapes", "column_pairs", "detection_auc"]].round(3))

# %%
ax = table[["column_shapes", "column_pairs", "detection_auc"]].plot.bar(figsize=(7, 3.2), rot=0)
ax.set_ylim(0, 1)
ax.set_ylabel("score")
ax.legend(loc="lower right")
plt.tight_layout()
