"""Computes SDMetrics' values for tests/test_sdmetrics_agreement.py.

Runs in a separate interpreter with SDMetrics installed (it pins pandas < 3):
    python tests/sdmetrics_reference.py real.parquet synthetic.parquet columns.json
and prints one JSON object.
"""

import json
import sys
import warnings

import pandas as pd

warnings.filterwarnings("ignore")

from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity  # noqa: E402
from sdmetrics.single_column import KSComplement, TVComplement  # noqa: E402
from sdmetrics.single_table import NewRowSynthesis  # noqa: E402

real = pd.read_parquet(sys.argv[1])
synthetic = pd.read_parquet(sys.argv[2])
with open(sys.argv[3]) as fh:
    kinds = json.load(fh)
num = [c for c, k in kinds.items() if k == "numerical"]
cat = [c for c, k in kinds.items() if k == "categorical"]
out = {"shapes": {}, "pairs": {}}
for c in num:
    out["shapes"][c] = KSComplement.compute(real[c], synthetic[c])
for c in cat:
    out["shapes"][c] = TVComplement.compute(real[c].astype(object), synthetic[c].astype(object))
cols = list(kinds)
for i, a in enumerate(cols):
    for b in cols[i + 1 :]:
        if a in num and b in num:
            v = CorrelationSimilarity.compute(real[[a, b]], synthetic[[a, b]], coefficient="Pearson")
        else:
            cont = [c for c in (a, b) if c in num] or None
            v = ContingencySimilarity.compute(
                real[[a, b]].astype({c: object for c in (a, b) if c in cat}),
                synthetic[[a, b]].astype({c: object for c in (a, b) if c in cat}),
                continuous_column_names=cont,
                num_discrete_bins=10,
            )
        out["pairs"][f"{a}|{b}"] = v
meta = {"columns": {c: {"sdtype": kinds[c]} for c in cols}}
as_object = {c: object for c in cat}  # SDMetrics quotes category values only for object columns
out["new_row_synthesis"] = NewRowSynthesis.compute(
    real.astype(as_object), synthetic.astype(as_object), meta, numerical_match_tolerance=0.01
)
print(json.dumps(out))
