"""
The HTML report
===============

:func:`tabaugment.report.build_report` runs a strategy once and examines it from every side:
utility over seeds, TSTR, what the strategy decided, hardness, fidelity, privacy and validity.
It writes one self-contained HTML file and a JSON file with every number. Here we build one
for the hardest rows of each class of the breast-cancer table and show two of its plots.
"""

# %%
import base64
import io
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from tabaugment import Augmenter
from tabaugment.data import load_breast_cancer
from tabaugment.report import build_report

report = build_report(
    load_breast_cancer(),
    strategy=Augmenter(selector="hardest_per_class", generator="gaussian_copula", random_state=0),
    strategy_name="hardest+copula",
    seeds=3,
)
html_path, json_path = report.save(Path(tempfile.mkdtemp()) / "report.html")
print(report.data["utility"]["verdict"])
print("fidelity:", {k: round(v, 3) for k, v in report.data["fidelity"]["summary"].items()})
print(f"wrote {html_path.name} ({html_path.stat().st_size // 1024} KB) and {json_path.name}")

# %%
# The report's plots are PNG images embedded in the page. Here is the hardness of every
# training row, with the rows the generator was fitted on highlighted, read back from the page.
d = report.data["hardness"]
print(f"{d['selected_rows']} of {d['training_rows']} rows selected")
page = html_path.read_text()
encoded = page.split('alt="hardness histogram" src="data:image/png;base64,')[1].split('"')[0]
fig, ax = plt.subplots(figsize=(9, 3))
ax.imshow(mpimg.imread(io.BytesIO(base64.b64decode(encoded))))
ax.axis("off")
fig.tight_layout()
