"""Experiments: strategies against a paired baseline over seeds, on one engine.

:func:`evaluate_augmentation` (one table, a few strategies) and :func:`run_experiment` (a grid
from a TOML spec, resumable, on several backends) compute the same cells the same way;
:func:`analyze` compares every strategy with its baseline (Holm-corrected),
:func:`scaling_table` fits utility against the synthetic budget, and :func:`recommend` says
whether to augment a table at all.
"""

from tabaugment.experiment.analysis import analyze, holm
from tabaugment.experiment.evaluate import EvaluationResult, evaluate_augmentation
from tabaugment.experiment.grid import Cell, ModelSpec
from tabaugment.experiment.recommend import Recommendation, recommend
from tabaugment.experiment.runner import run_cells, run_experiment
from tabaugment.experiment.scaling import ScalingFit, fit_scaling_law, scaling_table
from tabaugment.experiment.spec import ExperimentSpec, load_spec, stored_spec
from tabaugment.experiment.store import ResultStore
from tabaugment.experiment.strategy import Strategy

__all__ = [
    "Cell",
    "EvaluationResult",
    "ExperimentSpec",
    "ModelSpec",
    "Recommendation",
    "ResultStore",
    "ScalingFit",
    "Strategy",
    "analyze",
    "evaluate_augmentation",
    "fit_scaling_law",
    "holm",
    "load_spec",
    "recommend",
    "run_cells",
    "run_experiment",
    "scaling_table",
    "stored_spec",
]
