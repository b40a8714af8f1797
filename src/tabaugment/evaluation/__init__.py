"""Evaluation on real held-out rows: models, metrics, paired statistics, utility over seeds."""

from tabaugment.evaluation.lle import lm_effectiveness
from tabaugment.evaluation.metrics import METRICS, score_predictions
from tabaugment.evaluation.models import MODELS, make_model
from tabaugment.evaluation.stats import bootstrap_ci, paired_comparison
from tabaugment.evaluation.utility import EvaluationResult, evaluate_augmentation

__all__ = [
    "METRICS",
    "MODELS",
    "EvaluationResult",
    "bootstrap_ci",
    "evaluate_augmentation",
    "lm_effectiveness",
    "make_model",
    "paired_comparison",
    "score_predictions",
]
