"""Command-line interface: a thin layer over the public API.

    tabaugment demo                      # the whole pipeline on a bundled table, no network
    tabaugment datasets                  # the benchmark catalog
    tabaugment hardness DATA --target T  # score every row
    tabaugment augment DATA --target T   # real + synthetic rows to a file
    tabaugment evaluate DATA --target T  # augmented vs baseline over seeds, with p-values

DATA is a CSV/Parquet path or a catalog name (see ``tabaugment datasets``). Every output
file is written atomically: a failed run leaves no half-written file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tabaugment import _defaults
from tabaugment._version import __version__
from tabaugment.cli._args import (
    _add_data_args,
    _add_pipeline_args,
    _model_name,
    _names,
    _registered,
)

__all__ = ["build_parser", "main"]

logger = logging.getLogger("tabaugment.cli")

_EPILOG_EVALUATE = """examples:
  tabaugment evaluate adult --train-size 2000 --selector hardest --fraction 0.2 \\
      --generator gaussian_copula --seeds 5
  tabaugment evaluate data.csv --target default --positive-label yes --model xgboost
"""


# ---------------------------------------------------------------------- parsing
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tabaugment`` command."""
    parser = argparse.ArgumentParser(
        prog="tabaugment",
        description="Targeted synthetic data for tabular classifiers: find the hard rows, generate there, "
        "and prove on real held-out rows whether the model improved.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `tabaugment COMMAND --help` for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"tabaugment {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug, tracebacks)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: on when stderr is a terminal)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        help="run the whole pipeline on scikit-learn's breast-cancer table (no network)",
        description="Score, select, generate and evaluate on the bundled breast-cancer table; "
        "print the comparison and write the results.",
    )
    p.add_argument("--out", default="tabaugment-demo", help="output folder (default ./tabaugment-demo)")
    p.add_argument("--seeds", type=int, default=_defaults.SEEDS, help="number of seeds (default 5)")

    p = sub.add_parser("datasets", help="list the benchmark datasets of the catalog")
    p.add_argument("--datasets-dir", help="folder with catalog.json")

    p = sub.add_parser(
        "hardness",
        help="score how hard every row is",
        description="Score every row of DATA. Without --validation, KNN-Shapley is cross-fitted.",
    )
    _add_data_args(p, needs_split=False)
    p.add_argument(
        "--method",
        type=_registered("hardness"),
        default=_defaults.HARDNESS,
        help=f"{_names('hardness')} (default {_defaults.HARDNESS})",
    )
    p.add_argument(
        "--compare",
        metavar="METHODS",
        help="comma-separated methods to compare instead (e.g. knn_shapley,data_iq,oof_loss): Jaccard of the hardest "
        "sets, Spearman of the scores, class mix; writes per-row scores to --out, the numbers to OUT.json and a plot "
        "to OUT.png",
    )
    p.add_argument(
        "--ground-truth",
        action="store_true",
        help="check the methods against ground truth instead: flip known labels and measure how well each finds them "
        "(ROC-AUC, precision at the flip count); --compare names the methods (default: every registered one); "
        "writes every run to --out",
    )
    p.add_argument(
        "--noise-rates",
        default="0.05,0.1,0.2",
        metavar="RATES",
        help="shares of labels flipped, for --ground-truth (default 0.05,0.1,0.2)",
    )
    p.add_argument(
        "--noise-kinds",
        default="uniform,class_conditional",
        metavar="KINDS",
        help="uniform (rows of every class) and/or class_conditional (rows of the rarest class), for --ground-truth",
    )
    p.add_argument("--seeds", type=int, default=3, help="noise draws per rate and kind, for --ground-truth (default 3)")
    p.add_argument("--fraction", type=float, default=0.1, help="hard-set fraction for --compare (default 0.1)")
    p.add_argument("--n-neighbors", type=int, help="K of the KNN-Shapley methods (default: the method's, 10)")
    p.add_argument("--validation", metavar="FILE", help="reference rows for KNN-Shapley")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="extra method parameter (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output CSV/Parquet: row_id, hardness, rank and the method's values")

    p = sub.add_parser(
        "augment",
        help="write the real rows plus the rows augmentation adds (auto: only if they help)",
        description="Build a training set from DATA: by default auto tries candidate strategies against no "
        "augmentation by cross-validation on the rows and adds rows only if one is significantly better; or "
        "run a named strategy. Writes the real rows (unchanged) and the added rows.",
    )
    _add_data_args(p, needs_split=False)
    _add_pipeline_args(p)
    p.add_argument("--validation", metavar="FILE", help="reference rows for the hardness method")
    p.add_argument("--out", required=True, help="output CSV/Parquet")
    p.add_argument("--synthetic-only", action="store_true", help="write only the synthetic rows")
    p.add_argument("--flag-column", metavar="NAME", help="add a 0/1 column NAME marking synthetic rows")
    p.add_argument(
        "--weight-column",
        default="sample_weight",
        metavar="NAME",
        help="where row weights go when the augmentation weighs rows (default sample_weight)",
    )
    p.add_argument(
        "--model",
        type=_model_name,
        default=_defaults.MODEL,
        help="the model you will train: auto judges its candidates with it (default lightgbm)",
    )
    p.add_argument("--save-generator", metavar="DIR", help="also save the fitted generator (safetensors + JSON)")
    p.add_argument(
        "--keep-copies",
        action="store_true",
        help="keep synthetic rows that copy a training row's features (by default they are dropped and drawn again)",
    )
    p.add_argument(
        "--min-distance",
        type=float,
        default=0.0,
        help="also drop synthetic rows closer than this to a training row (standardised numbers, one-hot categories)",
    )

    p = sub.add_parser(
        "evaluate",
        help="augmented vs baseline model over seeds, on real test rows",
        description="Train the model with and without the augmentation over several seeds and compare on real "
        "held-out test rows (corrected resampled t-test; the plain t-test and Wilcoxon for comparison).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_EPILOG_EVALUATE,
    )
    _add_data_args(p, needs_split=True)
    _add_pipeline_args(p)
    p.add_argument(
        "--model",
        type=_model_name,
        default=_defaults.MODEL,
        help="lightgbm | xgboost | logistic_regression | random_forest | decision_tree | hist_gradient_boosting "
        f"(default {_defaults.MODEL})",
    )
    p.add_argument("--model-param", action="append", metavar="KEY=VALUE", help="extra model parameter (repeatable)")
    p.add_argument("--seeds", type=int, default=_defaults.SEEDS, help="number of seeds (default 5)")
    p.add_argument("--n-jobs", type=int, default=1, help="cells computed in parallel (default 1)")
    p.add_argument(
        "--strict", action="store_true", help="test rows that equal training rows are an error (default: a warning)"
    )
    p.add_argument("--out", help="write all results as JSON here")

    p = sub.add_parser(
        "report",
        help="one self-contained HTML report: utility, hardness, fidelity, privacy, validity (or of a results folder)",
        description="Run the augmentation once and examine it from every side: utility over seeds on real test rows, "
        "the hardness map and selected region, fidelity, privacy (DCR, NNDR, membership attack) and validity of every "
        "synthetic row. Writes OUT (HTML, viewable offline) and OUT with .json (every number).",
    )
    _add_data_args(p, needs_split=True)
    _add_pipeline_args(p)
    p.add_argument("--model", type=_model_name, default=_defaults.MODEL, help="downstream model (default lightgbm)")
    p.add_argument("--seeds", type=int, default=_defaults.SEEDS, help="seeds for the utility comparison (default 5)")
    p.add_argument("--out", default="tabaugment-report.html", help="output HTML file (default tabaugment-report.html)")
    p.add_argument(
        "--lle-model",
        metavar="PATH",
        help="add LLM Effectiveness: this local LM (folder, .gguf or 'smollm2') fine-tuned as a classifier on the "
        "synthetic rows and on as many real rows, scored on real test rows",
    )
    p = sub.add_parser(
        "run",
        help="run an experiment grid from a TOML spec (resumable)",
        description="Expand the spec's grid (datasets x train sizes x strategies x budgets x models x seeds, plus the "
        "paired baseline cells), compute the cells the results folder does not hold yet, and print every strategy "
        "against its baseline with Holm-corrected paired p-values. A rerun resumes; a killed run loses no finished cell.",
    )
    p.add_argument("spec", help="experiment spec (TOML)")
    p.add_argument("--out", required=True, help="results folder (one Parquet file per finished cell)")
    p.add_argument("--n-jobs", type=int, default=1, help="jobs in parallel")
    p.add_argument(
        "--strict", action="store_true", help="test rows that equal training rows are an error (default: a warning)"
    )
    p.add_argument(
        "--backend",
        choices=["processes", "joblib", "dask", "ray"],
        default="processes",
        help="where parallel jobs run: local worker processes (default), joblib's configuration, a Dask "
        "cluster (the scheduler in DASK_SCHEDULER_ADDRESS, else a local one) or Ray (a running cluster, else a local one)",
    )
    p.add_argument("--metric", default=_defaults.METRIC, help="metric to print (all are stored; default roc_auc)")

    p = sub.add_parser(
        "analyze",
        help="analyse a results folder again (no cells are computed)",
        description="Rewrite analysis.csv, analysis_vs_reference.csv and scaling.csv of a results folder from its "
        "stored cells and spec.json, and print the summary; nothing is computed.",
    )
    p.add_argument("folder", help="a results folder written by tabaugment run")
    p.add_argument("--metric", default=_defaults.METRIC, help="metric to print (default roc_auc)")

    p = sub.add_parser(
        "recommend",
        help="which augmentation to use on this table, or none (only if significantly better)",
        description="What auto would do with all the rows of DATA: its candidates against no augmentation by "
        "repeated stratified k-fold cross-validation with your model, a one-sided corrected resampled t-test and "
        "the candidates tested in a fixed sequence; recommends a candidate only if it is significantly better, else none.",
    )
    _add_data_args(p, needs_split=False)
    p.add_argument(
        "--model", type=_model_name, default=_defaults.MODEL, help="the model you will train (default lightgbm)"
    )
    p.add_argument("--metric", default=_defaults.METRIC, help="metric that decides (default roc_auc)")
    p.add_argument("--alpha", type=float, default=_defaults.ALPHA, help="significance level (default 0.05)")
    p.add_argument("--auto-splits", type=int, default=_defaults.AUTO_SPLITS, help="folds (default 5)")
    p.add_argument("--auto-repeats", type=int, default=_defaults.AUTO_REPEATS, help="repeats of the folds (default 2)")
    p.add_argument("--train-size", default="full", help="rows to decide on: N, a fraction, or full (default)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and the candidates (default 0)")
    p.add_argument("--out", help="write the evidence as JSON to this file")
    for name, command in sub.choices.items():
        _add_global_flags(command)
        if name in EXAMPLES and not command.epilog:
            command.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])
            command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


#: Two or three examples at the end of every command's --help.
EXAMPLES: dict[str, list[str]] = {
    "demo": ["tabaugment demo", "tabaugment demo --seeds 10 --out my-demo"],
    "datasets": ["tabaugment datasets", "tabaugment datasets --datasets-dir ~/data/catalog"],
    "hardness": [
        "tabaugment hardness data.csv --target default --out scores.csv",
        "tabaugment hardness adult --method data_iq --out scores.parquet",
        "tabaugment hardness data.csv --target default --compare knn_shapley,data_iq,oof_loss --out cmp.csv",
        "tabaugment hardness german_credit --ground-truth --noise-rates 0.1 --out noise.csv  # which finds flipped labels",
    ],
    "augment": [
        "tabaugment augment data.csv --target default --out augmented.csv      # auto decides",
        "tabaugment augment data.csv --target default --generator none --teacher soft --teach-real --out sd.csv",
        "tabaugment augment data.csv --target default --selector hardest --generator smote --budget 1x --out a.csv",
    ],
    "report": [
        "tabaugment report data.csv --target default --generator gaussian_copula",
        "tabaugment report results/small",
    ],
    "run": [
        "tabaugment run examples/small_grid.toml --out results/small",
        "tabaugment run benchmarks/utility.toml --out results/utility --n-jobs 2 --strict",
    ],
    "analyze": ["tabaugment analyze results/small", "tabaugment analyze results/targeting --metric gini"],
    "recommend": [
        "tabaugment recommend data.csv --target default",
        "tabaugment recommend german_credit --model logistic_regression --out advice.json",
    ],
}


def _add_global_flags(command: argparse.ArgumentParser) -> None:
    """The global flags, also accepted after the command (``tabaugment augment ... --no-progress``)."""
    command.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    command.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )


# ---------------------------------------------------------------------- commands


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tabaugment`` command; returns the exit code."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if not args.command:
        parser.print_help()
        return 2
    level = logging.WARNING if args.verbose == 0 else (logging.INFO if args.verbose == 1 else logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("tabaugment")
    root.addHandler(handler)
    root.setLevel(level)
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    from tabaugment.exceptions import TabAugmentError

    try:
        from tabaugment.cli._commands import COMMANDS, check_paths

        check_paths(args)
        return COMMANDS[args.command](args, progress)
    except (TabAugmentError, OSError) as exc:  # a bug elsewhere keeps its traceback
        if args.verbose >= 2:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        root.removeHandler(handler)
