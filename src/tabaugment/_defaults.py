"""The defaults of the pipeline, in one place.

The :class:`~tabaugment.Augmenter`, the imbalanced-learn sampler, experiment specs,
:func:`~tabaugment.experiment.evaluate_augmentation`, ``recommend`` and the command line all
read their defaults from here, so a strategy that leaves a choice open means the same thing
everywhere.

Why these values: across the committed targeting experiment
(``benchmarks/results/targeting``), the Gaussian copula fitted on all training rows with 20%
synthetic rows was the only strategy with a significant gain over no augmentation and no
significant loss; no targeted selection beat it across datasets. Targeting is therefore one
``selector=`` away, not the default.
"""

from __future__ import annotations

#: Hardness method that scores the rows (used only by selectors that look at scores).
HARDNESS = "knn_shapley"
#: Which rows the generator is fitted on.
SELECTOR = "all"
#: Which generator writes the synthetic rows.
GENERATOR = "gaussian_copula"
#: How many synthetic rows: a fraction of the training rows (see ``resolve_budget``).
BUDGET = 0.2
#: "selected": fit the generator on the selected rows; "all": on every row, sampling the region.
FIT_ON = "selected"
#: Budgets above this multiple of the training rows are refused.
MAX_SYNTHETIC_RATIO = 10.0
#: With a validity filter: sampling rounds allowed to replace rows that break a rule.
MAX_ROUNDS = 10

#: Downstream model that judges the augmentation.
MODEL = "lightgbm"
#: Seeds (resampled splits) of an evaluation.
SEEDS = 5
#: Shares of a table cut off as test and validation rows.
TEST_SIZE = 0.2
VALIDATION_SIZE = 0.2
#: Categories of validation/test rows never seen in training (see ``split_table``).
UNSEEN_CATEGORIES = "auto"
#: Significance level of the verdicts (after Holm's correction).
ALPHA = 0.05
#: Metric that decides recommendations and is printed by default.
METRIC = "roc_auc"
