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
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabaugment import _defaults
from tabaugment._version import __version__

logger = logging.getLogger("tabaugment.cli")

_EPILOG_EVALUATE = """examples:
  tabaugment evaluate adult --train-size 2000 --selector hardest --fraction 0.2 \\
      --generator gaussian_copula --seeds 5
  tabaugment evaluate data.csv --target default --positive-label yes --model xgboost
"""


# ---------------------------------------------------------------------- parsing
def _key_values(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            from tabaugment.exceptions import ParameterError

            raise ParameterError(f"Expected KEY=VALUE, got {item!r}.")
        try:
            out[key.replace("-", "_")] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.replace("-", "_")] = raw
    return out


def _budget(text: str) -> Any:
    from tabaugment.augment import budget_problem

    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    if not isinstance(value, (int, float, dict)) or isinstance(value, bool):
        value = text
    problem = budget_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _columns(text: str | None) -> list[str] | None:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _registered(kind: str) -> Any:
    """An argparse type accepting the names registered for ``kind`` (plugins included), with
    suggestions for a misspelt one."""

    def parse(text: str) -> str:
        from tabaugment._registry import get_class
        from tabaugment.exceptions import ParameterError

        try:
            get_class(kind, text)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    parse.__name__ = kind[:-1] if kind.endswith("s") else kind
    return parse


def _names(kind: str) -> str:
    from tabaugment._registry import available

    return " | ".join(available(kind))


def _model_name(text: str) -> str:
    from tabaugment.evaluation.models import MODELS

    if text not in MODELS:
        import difflib

        close = difflib.get_close_matches(text, MODELS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise argparse.ArgumentTypeError(f"Unknown model {text!r}.{hint} Choose from {', '.join(MODELS)}.")
    return text


def _add_data_args(p: argparse.ArgumentParser, *, needs_split: bool) -> None:
    g = p.add_argument_group("data")
    g.add_argument("data", help="CSV/Parquet file, or a dataset name from `tabaugment datasets`")
    g.add_argument("--target", help="label column (catalog datasets know theirs)")
    g.add_argument("--positive-label", help="label of the positive class (default: 1/True, else the rarer class)")
    g.add_argument("--categorical", metavar="COLS", help="comma-separated columns to treat as categorical")
    g.add_argument("--numerical", metavar="COLS", help="comma-separated columns to treat as numerical")
    g.add_argument("--exclude", metavar="COLS", help="comma-separated id/date columns to leave out")
    g.add_argument(
        "--missing-values",
        metavar="MARKERS",
        help="comma-separated markers of missing values (default: '', ?, NA, ...)",
    )
    g.add_argument("--sep", help="CSV separator (default ',')")
    g.add_argument(
        "--datasets-dir", help="folder with catalog.json (default: $TABAUGMENT_DATASETS or ./shared/datasets upwards)"
    )
    if needs_split:
        g.add_argument("--test", metavar="FILE", help="a separate test table (else a stratified split)")
        g.add_argument(
            "--test-size", type=float, default=_defaults.TEST_SIZE, help="test fraction when no --test (default 0.2)"
        )
        g.add_argument(
            "--validation-size",
            type=float,
            default=_defaults.VALIDATION_SIZE,
            help="validation fraction: the hardness reference (default 0.2)",
        )
        g.add_argument("--train-size", type=_number, help="subsample the training rows to N rows (int) or a fraction")
        g.add_argument(
            "--unseen-categories",
            choices=("auto", "error", "missing"),
            default=_defaults.UNSEEN_CATEGORIES,
            help="test/validation categories never seen in training (default auto: error for a --test "
            "file, missing for split artefacts)",
        )


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _add_pipeline_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("augmentation")
    g.add_argument(
        "--hardness",
        type=_registered("hardness"),
        default=_defaults.HARDNESS,
        help=f"hardness method: {_names('hardness')} (default {_defaults.HARDNESS})",
    )
    g.add_argument("--n-neighbors", type=int, help="K of the KNN-Shapley methods (default: the method's, 10)")
    g.add_argument(
        "--selector",
        type=_registered("selectors"),
        default=_defaults.SELECTOR,
        help=f"which rows the generator is fitted on: {_names('selectors')} (default {_defaults.SELECTOR}: did best "
        "across our datasets)",
    )
    g.add_argument("--fraction", type=float, help="the selector's fraction of rows (selectors that have one)")
    g.add_argument(
        "--generator",
        type=_registered("generators"),
        default=_defaults.GENERATOR,
        help=f"{_names('generators')} (default {_defaults.GENERATOR}; great and harmonic fine-tune a local LM: "
        "--generator-param model_path=PATH or =smollm2)",
    )
    g.add_argument(
        "--budget",
        type=_budget,
        default=_defaults.BUDGET,
        help="synthetic rows: N rows, a fraction of train (0.1 or 10%%), Nx per selected row, 'balance', "
        "'balance=0.5', or a JSON dict {\"label\": rows} (default 0.2)",
    )
    g.add_argument(
        "--max-synthetic-ratio",
        type=float,
        default=_defaults.MAX_SYNTHETIC_RATIO,
        help="refuse budgets above this multiple of the training rows",
    )
    g.add_argument(
        "--hardness-param", action="append", metavar="KEY=VALUE", help="extra hardness parameter (repeatable)"
    )
    g.add_argument(
        "--selector-param", action="append", metavar="KEY=VALUE", help="extra selector parameter (repeatable)"
    )
    g.add_argument(
        "--generator-param", action="append", metavar="KEY=VALUE", help="extra generator parameter (repeatable)"
    )
    g.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="a validity rule that a valid row satisfies, e.g. 'age >= 18' (repeatable)",
    )
    g.add_argument(
        "--filter-invalid",
        action="store_true",
        help="drop synthetic rows that break a validity rule learned from the training rows (or a --rule) "
        "and draw again to fill the budget",
    )
    g.add_argument(
        "--seed",
        type=int,
        help="random seed of the augmentation (default 0; with evaluate, a salt of the seeds each split derives)",
    )


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
    p.add_argument("--fraction", type=float, default=0.1, help="hard-set fraction for --compare (default 0.1)")
    p.add_argument("--n-neighbors", type=int, help="K of the KNN-Shapley methods (default: the method's, 10)")
    p.add_argument("--validation", metavar="FILE", help="reference rows for KNN-Shapley")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="extra method parameter (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True, help="output CSV/Parquet: row_id, hardness, rank and the method's values")

    p = sub.add_parser(
        "augment",
        help="write the real rows plus targeted synthetic rows",
        description="Fit a generator on the hardest rows of DATA and write real + synthetic rows.",
    )
    _add_data_args(p, needs_split=False)
    _add_pipeline_args(p)
    p.add_argument("--validation", metavar="FILE", help="reference rows for the hardness method")
    p.add_argument("--out", required=True, help="output CSV/Parquet")
    p.add_argument("--synthetic-only", action="store_true", help="write only the synthetic rows")
    p.add_argument("--flag-column", metavar="NAME", help="add a 0/1 column NAME marking synthetic rows")
    p.add_argument("--save-generator", metavar="DIR", help="also save the fitted generator (safetensors + JSON)")

    p = sub.add_parser(
        "evaluate",
        help="augmented vs baseline model over seeds, on real test rows",
        description="Train the model with and without synthetic rows over several seeds and compare "
        "on real held-out test rows (paired t-test, Wilcoxon, bootstrap interval).",
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
        "--backend",
        choices=["processes", "joblib", "dask", "ray"],
        default="processes",
        help="where parallel jobs run: local worker processes (default), joblib's configuration, a Dask "
        "cluster (the scheduler in DASK_SCHEDULER_ADDRESS, else a local one) or Ray (a running cluster, else a local one)",
    )
    p.add_argument("--metric", default=_defaults.METRIC, help="metric to print (all are stored; default roc_auc)")

    p = sub.add_parser(
        "recommend",
        help="which augmentation to use on this table, or none (only if significantly better)",
        description="Try candidate strategies against no augmentation over resampled splits of DATA and recommend one "
        "only if it is significantly better on held-out real rows (Holm-corrected paired t-test); else recommend none.",
    )
    p.add_argument("data", help="CSV/Parquet file or catalog name")
    p.add_argument("--target", help="label column (for files)")
    p.add_argument("--seeds", type=int, default=_defaults.SEEDS, help="resampled splits (default 5)")
    p.add_argument("--model", type=_model_name, default=_defaults.MODEL, help="downstream model (default lightgbm)")
    p.add_argument("--metric", default=_defaults.METRIC, help="metric that decides (default roc_auc)")
    p.add_argument("--train-size", default="full", help="training rows per split: N, a fraction, or full (default)")
    p.add_argument("--out", help="keep the grid's results in this folder (resumable)")
    p.add_argument("--n-jobs", type=int, default=1, help="cells in parallel")
    return parser


# ---------------------------------------------------------------------- commands
def _describe(args: argparse.Namespace) -> dict[str, Any]:
    """The dataset description of the command's data options (as an experiment spec writes it,
    so ``evaluate`` and ``run`` split the same data the same way)."""
    path = Path(args.data)
    options = {
        "positive_label": args.positive_label,
        "categorical": _columns(args.categorical),
        "numerical": _columns(args.numerical),
        "exclude": _columns(args.exclude),
        "missing_values": _columns(args.missing_values),
        "sep": args.sep,
        "test_path": getattr(args, "test", None),
    }
    if path.exists() or any(ch in args.data for ch in "/\\") or path.suffix:
        if not args.target:
            from tabaugment.exceptions import ParameterError

            raise ParameterError(f"Give --target: which column of {args.data!r} holds the labels?")
        desc: dict[str, Any] = {"path": args.data, "target": args.target}
    else:
        desc = {"name": args.data}
        if args.datasets_dir:
            desc["root"] = args.datasets_dir
        if args.target:
            desc["target"] = args.target
    desc.update({k: v for k, v in options.items() if v is not None})
    return desc


def _load(args: argparse.Namespace) -> Any:
    from tabaugment.experiment.grid import load_described_dataset

    return load_described_dataset(_describe(args))


def _component(
    kind: str, name: str, params: dict[str, Any], args: argparse.Namespace, progress: bool, *, seed: int | None = None
) -> Any:
    """A component from its registry name and parameters, with the shared options it takes
    (``seed`` as its ``random_state`` when it has one and none is given)."""
    from tabaugment._registry import get_class
    from tabaugment.exceptions import ParameterError

    cls = get_class(kind, name)
    accepted = cls().get_params()
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ParameterError(f"{name} has no parameter {unknown[0]!r}; it has {sorted(accepted)}.")
    if getattr(args, "n_neighbors", None) is not None and "n_neighbors" in accepted and kind == "hardness":
        params.setdefault("n_neighbors", args.n_neighbors)
    if "progress" in accepted and progress:
        params.setdefault("progress", True)
    if "random_state" in accepted and seed is not None:
        params.setdefault("random_state", seed)
    return cls(**params)


def _augmenter(args: argparse.Namespace, progress: bool, *, seed: int | None = 0) -> Any:
    """The Augmenter of the command's options; ``seed`` applies when --seed is not given."""
    from tabaugment.augment import Augmenter
    from tabaugment.exceptions import ParameterError

    seed = args.seed if args.seed is not None else seed
    selector_params = _key_values(args.selector_param)
    if args.fraction is not None:
        from tabaugment._registry import get_class

        if "fraction" not in get_class("selectors", args.selector)().get_params():
            raise ParameterError(f"--fraction: the selector {args.selector!r} has no fraction parameter.")
        selector_params["fraction"] = args.fraction
    return Augmenter(
        hardness=_component("hardness", args.hardness, _key_values(args.hardness_param), args, progress),
        selector=_component("selectors", args.selector, selector_params, args, progress),
        generator=_component("generators", args.generator, _key_values(args.generator_param), args, progress),
        budget=args.budget,
        max_synthetic_ratio=args.max_synthetic_ratio,
        random_state=seed,
        progress=progress,
        filter_invalid=args.filter_invalid,
        rules=args.rule,
    )


def _cmd_datasets(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.data import list_datasets

    frame = list_datasets(args.datasets_dir)
    print(frame.to_string(index=False))
    print("\nalso: breast_cancer (bundled with scikit-learn, 569 rows)")
    return 0


def _cmd_hardness(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.data import read_table, write_table

    ds = _load(args)
    schema = ds.schema
    frame = schema.prepare(ds.table)
    X, y = frame[list(schema.features)], frame[schema.target].to_numpy()
    X_val = y_val = None
    if args.validation:
        val = schema.prepare(read_table(args.validation, sep=args.sep))
        X_val, y_val = val[list(schema.features)], val[schema.target].to_numpy()
    extra = _key_values(args.param)
    if args.compare:
        from tabaugment._io import write_text_atomic
        from tabaugment.hardness import compare_hardness
        from tabaugment.report.plots import hardness_comparison_plot, save_png

        methods = _columns(args.compare) or []
        results = {}
        for name in methods:
            method = _component("hardness", name, dict(extra), args, progress, seed=args.seed)
            method.fit(X, y, X_val=X_val, y_val=y_val)
            results[name] = method.result_
        comparison = compare_hardness(results, y, fraction=args.fraction, positive_label=schema.positive_label)
        plot = hardness_comparison_plot(comparison)  # before any file is written (needs matplotlib)
        scores = comparison.scores.copy()
        scores.insert(0, schema.target, y)
        write_table(scores.reset_index().rename(columns={"index": "row_id"}), args.out)
        stem = Path(args.out).with_suffix("")
        write_text_atomic(f"{stem}.json", json.dumps(comparison.to_dict(), indent=1, default=str))
        save_png(plot, f"{stem}.png")
        print(f"hardest {args.fraction:.0%} of {len(y):,} rows by each method; Jaccard overlap:")
        print(comparison.jaccard.round(3).to_string())
        print("\nSpearman correlation of scores:")
        print(comparison.spearman.round(3).to_string())
        print("\nclass mix of each hard set:")
        print(comparison.composition.round(3).to_string(index=False))
        print(f"\nwrote {args.out}, {stem}.json and {stem}.png")
        return 0
    method = _component("hardness", args.method, dict(extra), args, progress, seed=args.seed)
    method.fit(X, y, X_val=X_val, y_val=y_val)
    out = method.result_.to_frame()
    out.insert(0, schema.target, y)
    out = out.reset_index().rename(columns={"index": "row_id"})
    write_table(out, args.out)
    hardest = out.nsmallest(max(1, len(out) // 5), "rank")
    share = (hardest[schema.target] == schema.positive_label).mean()
    print(f"scored {len(out):,} rows with {args.method}; wrote {args.out}")
    print(
        f"hardest 20%: {len(hardest):,} rows, {share:.1%} positive ({schema.positive_label!r}) "
        f"vs {(out[schema.target] == schema.positive_label).mean():.1%} overall"
    )
    return 0


def _cmd_augment(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.data import read_table, write_table

    ds = _load(args)
    schema = ds.schema
    frame = schema.prepare(ds.table)
    validation = schema.prepare(read_table(args.validation, sep=args.sep)) if args.validation else None
    augmenter = _augmenter(args, progress)
    result = augmenter.fit_augment(frame, schema.target, validation=validation)
    out = result.synthetic if args.synthetic_only else result.table
    if args.flag_column:
        out = out.copy()
        out[args.flag_column] = 1 if args.synthetic_only else result.is_synthetic.astype(int)
    if args.save_generator:
        augmenter.generator_.save(args.save_generator)
    write_table(out, args.out)
    counts = ", ".join(f"{k!r}: {v:,}" for k, v in result.budget.items())
    print(
        f"selected {len(result.selected):,} of {len(frame):,} rows; generated {len(result.synthetic):,} rows ({counts})"
    )
    if result.validity:
        v = result.validity
        top = ", ".join(f"{rule}: {n:,}" for rule, n in list(v["dropped_by_rule"].items())[:4])
        print(f"validity filter: drew {v['drawn']:,} rows, dropped {v['dropped']:,} invalid ({top})")
        if v["shortfall"]:
            print(f"warning: could not fill the budget with valid rows: short by {v['shortfall']}")
    print(f"wrote {len(out):,} rows to {args.out}")
    if args.save_generator:
        print(f"saved the generator to {args.save_generator}")
    return 0


def _cmd_evaluate(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment._io import write_text_atomic
    from tabaugment.experiment import evaluate_augmentation

    augmenter = _augmenter(args, progress, seed=None)  # every split derives its own seeds
    label = f"{args.selector}+{args.generator}"
    result = evaluate_augmentation(
        _describe(args),
        strategies={label: augmenter},
        model=args.model,
        model_params=_key_values(args.model_param),
        seeds=args.seeds,
        train_size=args.train_size,
        test_size=args.test_size,
        validation_size=args.validation_size,
        unseen_categories=args.unseen_categories,
        n_jobs=args.n_jobs,
        progress=progress,
    )
    _print_evaluation(result, result.config["data"])
    if args.out:
        payload = result.to_dict()
        payload["config"]["command"] = "tabaugment " + shlex.join(args.argv)
        write_text_atomic(args.out, json.dumps(payload, indent=1, default=str))
        print(f"\nwrote {args.out}")
    return 0


def _print_evaluation(result: Any, name: str) -> None:
    runs = result.runs
    aug = runs[runs.strategy != "baseline"]
    cfg = result.config
    print(
        f"dataset {name}: {int(runs.train_rows.iloc[0]):,} training rows, {int(runs.test_rows.iloc[0]):,} real test rows, "
        f"model {cfg['model']}, seeds {cfg['seeds']}"
    )
    if len(aug):
        print(
            f"selected {aug.selected_rows.mean():,.0f} rows per seed ({aug.selected_positive_share.mean():.0%} positive), "
            f"{aug.synthetic_rows.mean():,.0f} synthetic rows per seed"
        )
    unseen = runs.drop_duplicates("seed").unseen_category_values
    if unseen.sum():
        print(
            f"note: {unseen.mean():,.0f} validation/test values per seed had categories unseen in the training "
            "rows and were treated as missing (--unseen-categories error to stop instead)"
        )
    print()
    print(result.table())
    print(
        "\ndiff = augmented - baseline on the real test rows, paired by seed; p (t): paired t-test, "
        "p (W): Wilcoxon signed-rank; CI: bootstrap over seeds"
    )
    print(f"({cfg['seconds']:.1f} s)")


def _cmd_demo(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment._io import write_text_atomic
    from tabaugment.augment import Augmenter

    print("tabaugment demo: scikit-learn's breast-cancer table (569 rows, 30 numerical features, positive = malignant)")
    print(
        "pipeline: KNN-Shapley hardness (K=10, validation split as reference) -> hardest 20% of the "
        "training rows -> Gaussian copula fitted on them -> one synthetic row per selected row "
        "-> LightGBM, scored on real test rows\n"
    )
    from tabaugment.experiment import evaluate_augmentation

    result = evaluate_augmentation(
        "breast_cancer",
        strategies={"hardest+gaussian_copula": Augmenter(selector="hardest", generator="gaussian_copula", budget="1x")},
        seeds=args.seeds,
        progress=progress,
    )
    _print_evaluation(result, "breast_cancer")
    out = Path(args.out)
    write_text_atomic(out / "results.json", json.dumps(result.to_dict(), indent=1, default=str))
    write_text_atomic(out / "comparison.csv", result.comparison.to_csv(index=False))
    print(f"\nwrote {out / 'results.json'} and {out / 'comparison.csv'}")
    return 0


def _cmd_report(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.report import build_report

    if Path(args.data).is_dir():  # an experiment folder written by `tabaugment run`
        from tabaugment._io import write_text_atomic
        from tabaugment.report.experiment import experiment_report

        out = Path(args.out) if args.out != "tabaugment-report.html" else Path(args.data) / "report.html"
        write_text_atomic(out, experiment_report(args.data))
        print(f"wrote {out}")
        return 0
    if not str(args.out).lower().endswith((".html", ".htm")):
        from tabaugment.exceptions import ParameterError

        raise ParameterError(f"--out must be an .html file; got {args.out!r}.")
    report = build_report(
        _describe(args),
        strategy=_augmenter(args, progress),
        strategy_name=f"{args.selector}+{args.generator}",
        model=args.model,
        seeds=args.seeds,
        train_size=args.train_size,
        user_rules=args.rule,
        random_state=args.seed or 0,
        progress=progress,
        command="tabaugment " + shlex.join(args.argv),
        lle_model=args.lle_model,
    )
    html_path, json_path = report.save(args.out)
    print(report.data["utility"]["verdict"])
    fid, pv, val = report.data["fidelity"]["summary"], report.data["privacy"]["summary"], report.data["validity"]
    print(
        f"fidelity: column shapes {fid['column_shapes']:.3f}, column pairs {fid['column_pairs']:.3f}, "
        f"detection AUC {fid.get('detection_auc', float('nan')):.3f}"
    )
    print(
        f"privacy: {pv['new_row_synthesis']:.1%} new rows, membership attack AUC {pv.get('membership_attack_auc', float('nan')):.3f}"
    )
    print(f"validity: {val['valid_share']:.1%} of synthetic rows satisfy every rule")
    print(f"wrote {html_path} and {json_path}")
    return 0


def _cmd_run(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment._io import write_text_atomic
    from tabaugment.experiment import ResultStore, analyze, load_spec, run_experiment
    from tabaugment.experiment.analysis import SUMMARY_COLUMNS

    spec = load_spec(args.spec)
    n_cells = len(spec.cells())
    before = len(ResultStore(args.out).done())
    results = run_experiment(spec, args.out, n_jobs=args.n_jobs, backend=args.backend, progress=progress)
    table = analyze(results)
    write_text_atomic(Path(args.out) / "analysis.csv", table.to_csv(index=False))
    print(f"{spec.name}: {n_cells} cells, {n_cells - before} computed now, {before} already stored")
    if spec.references:
        vs_ref = analyze(results, reference=spec.references)
        write_text_atomic(Path(args.out) / "analysis_vs_reference.csv", vs_ref.to_csv(index=False))
        part = vs_ref[vs_ref.metric == args.metric] if len(vs_ref) else vs_ref
        if len(part):
            counts = part.verdict.value_counts()
            print(
                f"against their compare_to strategies ({args.metric}): {counts.get('win', 0)} wins, "
                f"{counts.get('tie', 0)} ties, {counts.get('loss', 0)} losses; see analysis_vs_reference.csv"
            )
    shown = table[table.metric == args.metric] if len(table) else table
    if len(shown):
        cols = [c for c in SUMMARY_COLUMNS if c not in ("ci_low", "ci_high")]
        print(shown[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        counts = shown.verdict.value_counts()
        print(
            f"\n{args.metric}: {counts.get('win', 0)} wins, {counts.get('tie', 0)} ties, {counts.get('loss', 0)} losses "
            "(Holm-corrected paired t-test, alpha 0.05)"
        )
    from tabaugment.experiment.scaling import scaling_table

    fits = scaling_table(results, metric=args.metric) if len(results) else results
    if len(fits):
        write_text_atomic(Path(args.out) / "scaling.csv", fits.to_csv(index=False))
        print("\nscaling law, best synthetic rows within the tried range:")
        keep = ["dataset", "train_size", "model", "strategy", "best_synthetic_rows", "best_rows_low", "best_rows_high"]
        print(fits[[*keep, "fitted_gain", "r2"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"wrote {Path(args.out) / 'analysis.csv'}")
    return 0


def _cmd_recommend(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.experiment import recommend

    size: Any = args.train_size if args.train_size == "full" else _number(args.train_size)
    rec = recommend(
        args.data,
        target=args.target,
        seeds=args.seeds,
        model=args.model,
        metric=args.metric,
        train_size=size,
        folder=args.out,
        n_jobs=args.n_jobs,
        progress=progress,
    )
    cols = ["strategy", "budget", "baseline_mean", "treatment_mean", "mean_diff", "p_ttest", "p_holm", "verdict"]
    if len(rec.evidence):
        print(rec.evidence[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print()
    print(rec.reason)
    return 0


_COMMANDS = {
    "recommend": _cmd_recommend,
    "run": _cmd_run,
    "report": _cmd_report,
    "demo": _cmd_demo,
    "datasets": _cmd_datasets,
    "hardness": _cmd_hardness,
    "augment": _cmd_augment,
    "evaluate": _cmd_evaluate,
}


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
        return _COMMANDS[args.command](args, progress)
    except (TabAugmentError, OSError) as exc:  # a bug elsewhere keeps its traceback
        if args.verbose >= 2:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        root.removeHandler(handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
