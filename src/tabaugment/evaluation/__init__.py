"""Measurements on real rows: downstream models and metrics, paired statistics, fidelity,
privacy, machine-learning efficacy (TSTR) and LLM Effectiveness.

Comparing strategies over seeds is the experiment engine's job:
:func:`tabaugment.experiment.evaluate_augmentation`.
"""

from tabaugment.evaluation.fidelity import FidelityReport, fidelity_report
from tabaugment.evaluation.lle import lm_effectiveness
from tabaugment.evaluation.metrics import METRICS, score_predictions
from tabaugment.evaluation.models import MODELS, make_model
from tabaugment.evaluation.privacy import PrivacyReport, data_leakage_test, new_row_synthesis, privacy_report
from tabaugment.evaluation.stats import bootstrap_ci, paired_comparison
from tabaugment.evaluation.tstr import train_synthetic_test_real

__all__ = [
    "METRICS",
    "MODELS",
    "FidelityReport",
    "PrivacyReport",
    "bootstrap_ci",
    "data_leakage_test",
    "fidelity_report",
    "lm_effectiveness",
    "make_model",
    "new_row_synthesis",
    "paired_comparison",
    "privacy_report",
    "score_predictions",
    "train_synthetic_test_real",
]
