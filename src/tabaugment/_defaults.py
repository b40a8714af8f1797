"""The defaults of the pipeline, in one place.

The :class:`~tabaugment.Augmenter`, the imbalanced-learn sampler, experiment specs,
:func:`~tabaugment.experiment.evaluate_augmentation`, ``recommend`` and the command line all
read their defaults from here, so a strategy that leaves a choice open means the same thing
everywhere.

Why these values: no single strategy helps every table (``benchmarks/results/targeting``,
``benchmarks/results/utility``), so the default generator is ``"auto"``: it tries
:data:`AUTO_CANDIDATES` against no augmentation by repeated cross-validation on the training
rows, with the corrected resampled t-test (candidates in a fixed sequence), and adds rows only
when a candidate is significantly better. When a generator is named, the rest of a strategy defaults
to the one that did best across the targeting experiment: the Gaussian copula fitted on all
training rows, 20% synthetic rows; targeting is one ``selector=`` away.
"""

from __future__ import annotations

#: Hardness method that scores the rows (used only by selectors that look at scores).
HARDNESS = "knn_shapley"
#: Which rows the generator is fitted on.
SELECTOR = "all"
#: Which generator writes the synthetic rows: "auto" chooses a strategy per table.
GENERATOR = "auto"
#: The generator a named strategy without one uses (and the copula candidates of auto).
PLAIN_GENERATOR = "gaussian_copula"
#: How many synthetic rows: a fraction of the training rows (see ``resolve_budget``).
BUDGET = 0.2
#: "selected": fit the generator on the selected rows; "all": on every row, sampling the region.
FIT_ON = "selected"
#: Budgets above this multiple of the training rows are refused.
MAX_SYNTHETIC_RATIO = 10.0
#: With a validity filter or a curator: sampling rounds allowed to replace dropped rows.
MAX_ROUNDS = 10
#: With a curator: the pool drawn per requested row.
OVERSAMPLE = 3.0
#: The model that gives teacher labels.
TEACHER_MODEL = "lightgbm_small"

#: auto: repeated stratified k-fold on the training rows (folds, repeats).
AUTO_SPLITS = 5
AUTO_REPEATS = 2
#: auto: the candidates tried against no augmentation (dicts of Augmenter parameters), tested
#: in this order (the fixed-sequence procedure gives the first one the whole alpha):
#: - self-distillation: no generator; each real row also enters with the cross-fitted
#:   teacher's soft label (in benchmarks/results/utility the most reliable gain, and never beaten
#:   by synthetic rows labelled by the same teacher);
#: - the Gaussian copula on all rows, labelled softly by the teacher, at half weight.
#: ARF rows curated by Data-IQ were a third candidate; they lost to self-distillation in most
#: groups of the utility benchmark and cost most of auto's time, so they are left to users.
AUTO_CANDIDATES: list[dict[str, object]] = [
    {"name": "self_distillation", "generator": None, "teacher": "soft", "teach_real": True},
    {
        "name": "copula_teacher",
        "generator": "gaussian_copula",
        "budget": 1.0,
        "teacher": "soft",
        "synthetic_weight": 0.5,
    },
]

#: Downstream model that judges the augmentation.
MODEL = "lightgbm"
#: Seeds (resampled splits) of an evaluation.
SEEDS = 5
#: Shares of a table cut off as test and validation rows.
TEST_SIZE = 0.2
VALIDATION_SIZE = 0.2
#: Categories of validation/test rows never seen in training (see ``split_table``).
UNSEEN_CATEGORIES = "auto"
#: Significance level of the verdicts (after the correction for several comparisons).
ALPHA = 0.05
#: Metric that decides recommendations and is printed by default.
METRIC = "roc_auc"
