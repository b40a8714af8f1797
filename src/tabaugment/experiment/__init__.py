"""Experiment grids: TOML specs, a resumable runner, a per-cell store, and the analysis."""

from tabaugment.experiment.analysis import analyze, holm
from tabaugment.experiment.recommend import DEFAULT_CANDIDATES, Recommendation, recommend
from tabaugment.experiment.runner import run_experiment
from tabaugment.experiment.spec import Cell, ExperimentSpec, load_spec
from tabaugment.experiment.store import ResultStore

__all__ = [
    "DEFAULT_CANDIDATES",
    "Cell",
    "ExperimentSpec",
    "Recommendation",
    "ResultStore",
    "analyze",
    "holm",
    "load_spec",
    "recommend",
    "run_experiment",
]
