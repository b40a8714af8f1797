"""
A language-model generator, on a tiny local model
=================================================

GReaT writes each row as text ("age is 42, job is nurse, ...") and fine-tunes a causal
language model on those sentences; sampling is constrained so every value it writes is valid
for its column. Models are never downloaded: here we build a two-layer GPT-2 from a
configuration (what the tests do), so the example runs anywhere in seconds. With a real model,
pass its local folder or GGUF file as ``model_path``.
"""

# %%
import tempfile
import warnings

import matplotlib.pyplot as plt
import transformers

from tabaugment import GReaT
from tabaugment.testing import contract_table
from tabaugment.testing.lm import make_tiny_lm

transformers.logging.set_verbosity_error()  # keep the library's own progress and deprecation output quiet
transformers.logging.disable_progress_bar()
warnings.filterwarnings("ignore", category=FutureWarning)

table, target = contract_table(n=200)
table = table[["age", "income", "city", "plan", target]]
corpus = [", ".join(f"{c} is {v}" for c, v in row.items()) for row in table.astype(str).to_dict("records")]
model_path = make_tiny_lm(tempfile.mkdtemp(), corpus, architecture="gpt2")

generator = GReaT(model_path=str(model_path), epochs=2, random_state=0).fit(table, target=target)
synthetic = generator.sample(100, random_state=1)
print(synthetic.head())

# %%
# Every synthetic value is one the column allows: categories from the fitted domain, numbers
# inside the fitted range (the tiny model has learnt little, so the shapes are rough).
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
axes[0].hist([table["age"], synthetic["age"]], bins=15, label=["real", "synthetic"], density=True)
axes[0].set_title("age")
axes[0].legend()
shares = table["city"].value_counts(normalize=True).to_frame("real")
shares["synthetic"] = synthetic["city"].value_counts(normalize=True)
shares.plot.bar(ax=axes[1], rot=0, title="city")
fig.tight_layout()
