"""Experiment grids: TOML specs, a resumable runner, a per-cell store, and the analysis."""

from tabaugment.experiment.analysis import analyze, holm
from tabaugment.experiment.runner import run_experiment
from tabaugment.experiment.spec import Cell, ExperimentSpec, load_spec
from tabaugment.experiment.store import ResultStore

__all__ = ["Cell", "ExperimentSpec", "ResultStore", "analyze", "holm", "load_spec", "run_experiment"]
