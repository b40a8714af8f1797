"""The command line's option groups, option types and the objects its options describe."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabaugment import _defaults


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


def _generator_name(text: str) -> str | None:
    if text in ("auto", "none"):
        return None if text == "none" else text
    return _registered("generators")(text)


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
        "--group",
        metavar="COL",
        help="a categorical feature naming the rows' groups (e.g. sex): adds worst-group metrics",
    )
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
            help="validation fraction: the hardness reference (default 0.2); 0 trains on every row not in the "
            "test part, hardness cross-fitted (with --test FILE: train on the whole DATA, judge on FILE)",
        )
        g.add_argument("--train-size", type=_number, help="subsample the training rows to N rows (int) or a fraction")
        g.add_argument(
            "--unseen-categories",
            choices=("auto", "error", "missing"),
            default=_defaults.UNSEEN_CATEGORIES,
            help="test/validation categories never seen in training (default auto: missing, with a warning "
            "naming those of a --test file; error stops instead)",
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
        type=_generator_name,
        default=_defaults.GENERATOR,
        help=f"'auto' (the default: choose a strategy for this table by cross-validation on the training rows, or "
        f"none), 'none' (no synthetic rows; with --teach-real, teacher labels only), or {_names('generators')} "
        "(great and harmonic fine-tune a local LM: --generator-param model_path=PATH or =smollm2)",
    )
    g.add_argument(
        "--curate",
        type=_registered("curators"),
        help=f"keep only the synthetic rows a curator fitted on the real rows accepts: {_names('curators')}",
    )
    g.add_argument(
        "--oversample",
        type=float,
        default=_defaults.OVERSAMPLE,
        help="with --curate, rows drawn per requested row (default 3)",
    )
    g.add_argument(
        "--teacher",
        choices=("hard", "soft"),
        help="label synthetic rows with a model of the real rows: 'hard' (its most likely class) or 'soft' (one "
        "weighted row per class)",
    )
    g.add_argument(
        "--teacher-model",
        type=_model_name,
        default=_defaults.TEACHER_MODEL,
        help=f"the teacher (default {_defaults.TEACHER_MODEL})",
    )
    g.add_argument(
        "--teach-real", action="store_true", help="also add each real row with the cross-fitted teacher's label"
    )
    g.add_argument(
        "--synthetic-weight",
        type=float,
        default=1.0,
        help="sample weight of a synthetic row, in (0, 1] (default 1)",
    )
    g.add_argument(
        "--auto-splits",
        type=int,
        default=_defaults.AUTO_SPLITS,
        help=f"auto: folds of its repeated cross-validation (default {_defaults.AUTO_SPLITS})",
    )
    g.add_argument(
        "--auto-repeats",
        type=int,
        default=_defaults.AUTO_REPEATS,
        help=f"auto: repeats of its cross-validation (default {_defaults.AUTO_REPEATS})",
    )
    g.add_argument(
        "--alpha",
        type=float,
        default=_defaults.ALPHA,
        help="auto: use a candidate only if its adjusted p-value is below this (default 0.05)",
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
        "group": getattr(args, "group", None),
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


def _augmenter(args: argparse.Namespace, progress: bool, *, seed: int | None = 0, judge_model: bool = True) -> Any:
    """The Augmenter of the command's options; ``seed`` applies when --seed is not given.
    ``judge_model``: auto judges candidates with the command's --model (evaluate leaves it open,
    so each cell's model judges)."""
    from tabaugment.augment import Augmenter
    from tabaugment.exceptions import ParameterError

    seed = args.seed if args.seed is not None else seed
    selector_params = _key_values(args.selector_param)
    if args.fraction is not None:
        from tabaugment._registry import get_class

        if "fraction" not in get_class("selectors", args.selector)().get_params():
            raise ParameterError(f"--fraction: the selector {args.selector!r} has no fraction parameter.")
        selector_params["fraction"] = args.fraction
    generator: Any = args.generator
    if generator is not None and generator != "auto":
        generator = _component("generators", generator, _key_values(args.generator_param), args, progress)
    elif args.generator_param:
        raise ParameterError(f"--generator-param needs a named generator, not {args.generator or 'none'!r}.")
    hardness_params = _key_values(args.hardness_param)
    if getattr(args, "n_neighbors", None) is not None:
        hardness_params.setdefault("n_neighbors", args.n_neighbors)
    hardness, selector = args.hardness, args.selector
    # auto takes no pipeline options: names as given (the defaults pass), components when tuned (refused)
    if generator != "auto" or hardness_params:
        hardness = _component("hardness", args.hardness, hardness_params, args, progress)
    if generator != "auto" or selector_params:
        selector = _component("selectors", args.selector, selector_params, args, progress)
    return Augmenter(
        hardness=hardness,
        selector=selector,
        generator=generator,
        budget=args.budget,
        max_synthetic_ratio=args.max_synthetic_ratio,
        curate=args.curate,
        oversample=args.oversample,
        teacher=args.teacher,
        teacher_model=args.teacher_model,
        teach_real=args.teach_real,
        synthetic_weight=args.synthetic_weight,
        model=getattr(args, "model", None) if judge_model else None,
        n_splits=args.auto_splits,
        n_repeats=args.auto_repeats,
        alpha=args.alpha,
        random_state=seed,
        progress=progress,
        filter_invalid=args.filter_invalid,
        rules=args.rule,
    )
