"""The commands of ``tabaugment``: each turns parsed options into calls of the public API."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from tabaugment.cli._args import _augmenter, _columns, _component, _describe, _key_values, _load, _number
from tabaugment.exceptions import ParameterError


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
    if args.ground_truth:
        return _ground_truth(args, X, y, extra, progress)
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
    share = schema.rare_flags(hardest[schema.target], y).mean()
    kind = "positive" if schema.is_binary else "in rare classes"
    print(f"scored {len(out):,} rows with {args.method}; wrote {args.out}")
    print(
        f"hardest 20%: {len(hardest):,} rows, {share:.1%} {kind} ({schema.rare_name(y)}) "
        f"vs {schema.rare_flags(y).mean():.1%} overall"
    )
    return 0


def _ground_truth(args: argparse.Namespace, X: Any, y: Any, extra: dict[str, Any], progress: bool) -> int:
    from tabaugment._registry import available
    from tabaugment.data import write_table
    from tabaugment.hardness import label_noise_study, rank_noise_methods

    names = _columns(args.compare) or available("hardness")
    methods = {name: _component("hardness", name, dict(extra), args, progress) for name in names}
    try:
        rates = [float(r) for r in _columns(args.noise_rates) or []]
    except ValueError as exc:
        raise ParameterError(
            f"--noise-rates must be numbers between 0 and 1, e.g. 0.05,0.1; got {args.noise_rates!r}."
        ) from exc
    study = label_noise_study(
        X,
        y,
        methods=methods,
        rates=rates,
        kinds=_columns(args.noise_kinds) or [],
        seeds=args.seeds,
        random_state=args.seed,
        progress=progress,
    )
    write_table(study, args.out)
    ranking = rank_noise_methods(study)
    print(
        f"{len(y):,} rows; labels flipped at rates {', '.join(f'{r:g}' for r in rates)} ({args.noise_kinds}), "
        f"{args.seeds} draws each; how well each method's scores find the flipped rows:"
    )
    print(ranking.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nroc_auc: 1 = every flipped row ranked above every clean one, 0.5 = chance; precision_at_k: flipped share")
    print(f"of the k hardest rows (k = the rows flipped), chance = chance_precision. wrote {args.out}")
    return 0


def strategy_label(args: argparse.Namespace) -> str:
    """A short name of the strategy the options describe."""
    if args.generator == "auto":
        return "auto"
    if args.generator is None:
        return "self_distillation" if args.teach_real else "none"
    label = f"{args.selector}+{args.generator}"
    if args.curate:
        label += f"+{args.curate}"
    if args.teacher:
        label += f"+{args.teacher}_teacher"
    return label


def _as_read(args: argparse.Namespace, table: Any, frame: Any, result: Any, dates: Any = None) -> tuple[Any, Any]:
    """The output rows in the form the input came in: the real rows exactly as read (a CSV's
    text, a frame's dtypes), the added rows written like their columns; and their weights."""
    import numpy as np
    import pandas as pd

    from tabaugment.data.roundtrip import read_text_table, render_like

    path = Path(args.data)
    text_file = path.is_file() and not "".join(path.suffixes[-2:]).lower().endswith((".parquet", ".pq"))
    raw = read_text_table(path, sep=args.sep) if text_file else table
    real = result.origin == "real"
    added = result.table.loc[~real]
    weights = result.sample_weight
    if args.synthetic_only:
        added = result.table.loc[result.is_synthetic]
        weights = None if weights is None else weights[result.is_synthetic]
        return render_like(added, raw, frame, text=text_file, dates=dates), weights
    kept = raw.drop(index=result.dropped) if len(result.dropped) else raw
    rendered = render_like(added, raw, frame, text=text_file, dates=dates)
    out = pd.concat([kept.reset_index(drop=True), rendered], ignore_index=True)
    assert len(out) == len(result.table)
    assert int(np.sum(real)) == len(kept)
    return out, weights


def _cmd_augment(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.data import read_table, write_table

    ds = _load(args)
    schema = ds.schema
    frame = schema.prepare(ds.table)
    validation = schema.prepare(read_table(args.validation, sep=args.sep)) if args.validation else None
    augmenter = _augmenter(args, progress)
    generator = augmenter.generator
    copying = generator is not None and generator != "auto" and getattr(generator, "copies_rows", False)
    augmenter.set_params(drop_copies=not args.keep_copies and not copying, min_distance=args.min_distance)
    result = augmenter.fit_augment(frame, schema.target, validation=validation)
    out, weights = _as_read(args, ds.table, frame, result, schema.dates)
    if args.flag_column or weights is not None:
        out = out.copy()
    if args.flag_column:
        out[args.flag_column] = 1 if args.synthetic_only else result.is_synthetic.astype(int)
    if weights is not None:
        out[args.weight_column] = weights
    fitted = augmenter.delegate_ if augmenter.is_auto else augmenter
    if args.save_generator:
        generator = getattr(fitted, "generator_", None) if fitted is not None else None
        if generator is None:
            raise ParameterError("--save-generator: this augmentation fitted no generator (auto chose none, or none).")
        generator.save(args.save_generator)
    write_table(out, args.out)
    if result.choice is not None:
        print(result.choice.reason)
        cols = ["candidate", "mean_diff", "ci_low", "ci_high", "p", "p_adjusted", "verdict"]
        shown = result.choice.evidence.reindex(columns=cols)
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    counts = ", ".join(f"{k!r}: {v:,}" for k, v in result.budget.items())
    if result.choice is not None and result.choice.params is None:
        print("added no rows: the real rows are the training set")
    elif fitted is not None and fitted.generator is not None:
        print(
            f"selected {len(result.selected):,} of {len(frame):,} rows; generated {int(result.is_synthetic.sum()):,} "
            f"synthetic rows ({counts})"
        )
    if result.curation:
        c = result.curation
        print(
            f"curation ({c['curator']}): drew {c['drawn']:,} rows, the curator accepted {c['accepted']:,}, kept {c['kept']:,}"
        )
    if result.origin is not None and (result.origin == "teacher").any():
        print(f"added {int((result.origin == 'teacher').sum()):,} copies of real rows with the teacher's labels")
    if result.privacy:
        p = result.privacy
        close = f" and {p['too_close']:,} closer than {p['min_distance']:g}" if p["min_distance"] > 0 else ""
        print(
            f"privacy filter: dropped {p['copies']:,} synthetic rows that copied a training row{close} "
            f"(of {p['drawn']:,} drawn; --keep-copies keeps them)"
        )
    if result.validity:
        v = result.validity
        top = ", ".join(f"{rule}: {n:,}" for rule, n in list(v["dropped_by_rule"].items())[:4])
        print(f"validity filter: drew {v['drawn']:,} rows, dropped {v['dropped']:,} invalid ({top})")
        if v["shortfall"]:
            print(f"warning: could not fill the budget with valid rows: short by {v['shortfall']}")
    print(f"wrote {len(out):,} rows to {args.out}")
    if weights is not None:
        print(f"rows carry weights in the column {args.weight_column!r}: train with them as sample weights")
    if args.save_generator:
        print(f"saved the generator to {args.save_generator}")
    return 0


def _cmd_evaluate(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment._io import write_text_atomic
    from tabaugment.experiment import evaluate_augmentation

    augmenter = _augmenter(args, progress, seed=None, judge_model=False)  # every split derives its own seeds
    label = strategy_label(args)
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
        strict=args.strict,
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
            f"selected {aug.selected_rows.mean():,.0f} rows per seed ({aug.selected_positive_share.mean():.0%} "
            f"{'positive' if len(cfg.get('classes', ())) <= 2 else 'in rare classes'}), "
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
        "\ndiff = augmented - baseline on the real test rows, paired by seed; p and 95% CI: corrected resampled "
        "t-test (the seeds' splits overlap); p (t): the plain paired t-test, for comparison"
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
        strategy_name=strategy_label(args),
        model=args.model,
        seeds=args.seeds,
        train_size=args.train_size,
        test_size=args.test_size,
        validation_size=args.validation_size,
        unseen_categories=args.unseen_categories,
        user_rules=args.rule,
        random_state=args.seed or 0,
        progress=progress,
        command="tabaugment " + shlex.join(args.argv),
        lle_model=args.lle_model,
    )
    html_path, json_path = report.save(args.out)
    print(report.data["utility"]["verdict"])
    auto = report.data["decisions"]["auto"]
    if auto is not None:
        print(f"auto: {auto['reason']}")
    if report.data["fidelity"] is None:
        print(report.data["decisions"]["note"])
        print(f"wrote {html_path} and {json_path}")
        return 0
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
    from tabaugment.experiment import ResultStore, load_spec, run_experiment

    spec = load_spec(args.spec)
    n_cells = len(spec.cells())
    before = len(ResultStore(args.out).done())
    results = run_experiment(
        spec, args.out, n_jobs=args.n_jobs, backend=args.backend, progress=progress, strict=args.strict
    )
    print(f"{spec.name}: {n_cells} cells, {n_cells - before} computed now, {before} already stored")
    if "test_rows_in_train" in results and results.test_rows_in_train.fillna(0).gt(0).any():
        worst = results.loc[results.test_rows_in_train.idxmax()]
        print(
            f"warning: test rows equal training rows in some splits (up to {int(worst.test_rows_in_train):,} of "
            f"{int(worst.test_rows):,} on {worst.dataset}): the data holds duplicates; --strict makes this an error"
        )
    _write_analysis(Path(args.out), spec, results, args.metric)
    return 0


def _cmd_analyze(args: argparse.Namespace, progress: bool) -> int:
    from tabaugment.experiment import ResultStore, stored_spec

    spec = stored_spec(args.folder)
    results = ResultStore(args.folder).load()
    print(f"{spec.name}: {results.cell_id.nunique() if len(results) else 0} of {len(spec.cells())} cells stored")
    _write_analysis(Path(args.folder), spec, results, args.metric)
    return 0


def _write_analysis(folder: Path, spec: Any, results: Any, metric: str) -> None:
    """analysis.csv, analysis_vs_reference.csv and scaling.csv of a results folder, and a summary."""
    from tabaugment._io import write_text_atomic
    from tabaugment.experiment import analyze
    from tabaugment.experiment.analysis import SUMMARY_COLUMNS

    table = analyze(results)
    write_text_atomic(folder / "analysis.csv", table.to_csv(index=False))
    if spec.references:
        vs_ref = analyze(results, reference=spec.references)
        write_text_atomic(folder / "analysis_vs_reference.csv", vs_ref.to_csv(index=False))
        part = vs_ref[vs_ref.metric == metric] if len(vs_ref) else vs_ref
        if len(part):
            counts = part.verdict.value_counts()
            print(
                f"against their compare_to strategies ({metric}): {counts.get('win', 0)} wins, "
                f"{counts.get('tie', 0)} ties, {counts.get('loss', 0)} losses; see analysis_vs_reference.csv"
            )
    shown = table[table.metric == metric] if len(table) else table
    if len(table) and not len(shown):
        print(
            f"note: no result has the metric {metric!r} (a two-class metric on a multi-class table?); "
            f"the results have {', '.join(sorted(table.metric.unique()))}. Pass --metric with one of them.",
            file=sys.stderr,
        )
    if len(shown):
        cols = [c for c in SUMMARY_COLUMNS if c not in ("ci_low", "ci_high")]
        print(shown[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        counts = shown.verdict.value_counts()
        print(
            f"\n{metric}: {counts.get('win', 0)} wins, {counts.get('tie', 0)} ties, {counts.get('loss', 0)} losses "
            "(corrected resampled t-test over the seeds, Holm within each group, alpha 0.05)"
        )
    from tabaugment.experiment.scaling import scaling_table

    fits = scaling_table(results, metric=metric) if len(results) else results
    if len(fits):
        write_text_atomic(folder / "scaling.csv", fits.to_csv(index=False))
        print("\nscaling law, best synthetic rows within the tried range:")
        keep = ["dataset", "train_size", "model", "strategy", "best_synthetic_rows", "best_rows_low", "best_rows_high"]
        print(fits[[*keep, "fitted_gain", "r2"]].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"wrote {folder / 'analysis.csv'}")


def _cmd_recommend(args: argparse.Namespace, progress: bool) -> int:
    import json

    from tabaugment._io import write_text_atomic
    from tabaugment._json import jsonable
    from tabaugment.experiment import recommend

    size: Any = args.train_size if args.train_size == "full" else _number(args.train_size)
    rec = recommend(
        _load(args),
        model=args.model,
        metric=args.metric,
        alpha=args.alpha,
        n_splits=args.auto_splits,
        n_repeats=args.auto_repeats,
        train_size=size,
        random_state=args.seed,
        progress=progress,
    )
    cols = ["candidate", "baseline_mean", "candidate_mean", "mean_diff", "p", "p_adjusted", "verdict"]
    print(
        f"{rec.rows:,} rows, {args.model}, {rec.choice.splits} splits ({args.auto_splits}-fold x {args.auto_repeats})"
    )
    print(rec.evidence.reindex(columns=cols).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print()
    print(rec.reason)
    if args.out:
        write_text_atomic(args.out, json.dumps(jsonable(rec.to_dict()), indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


#: Commands whose --out is a table (CSV or Parquet by its suffix).
_TABLE_OUTPUTS = ("hardness", "augment")


def check_paths(args: argparse.Namespace) -> None:
    """Refuse, before any work, outputs that would overwrite an input or a file or folder the
    command did not write, and table outputs of a format we cannot write."""
    from tabaugment._io import check_writable_dir
    from tabaugment.data.io import check_table_path

    inputs = []
    for name in ("data", "validation", "test"):
        value = getattr(args, name, None)
        if isinstance(value, str) and Path(value).is_file():
            inputs.append((name, Path(value).resolve()))
    outputs = [getattr(args, "out", None), getattr(args, "save_generator", None)]
    for out in (o for o in outputs if isinstance(o, str)):
        for name, path in inputs:
            if Path(out).resolve() == path:
                option = "--save-generator" if out == getattr(args, "save_generator", None) else "--out"
                raise ParameterError(
                    f"{option} {out!r} is the input file ({'DATA' if name == 'data' else '--' + name}); "
                    "write the result to another file: tabaugment never overwrites its input."
                )
    if args.command in _TABLE_OUTPUTS and getattr(args, "out", None):
        check_table_path(args.out)
    if getattr(args, "save_generator", None):
        from tabaugment.generators.base import is_generator_folder

        check_writable_dir(args.save_generator, is_generator_folder)


COMMANDS = {
    "analyze": _cmd_analyze,
    "recommend": _cmd_recommend,
    "run": _cmd_run,
    "report": _cmd_report,
    "demo": _cmd_demo,
    "datasets": _cmd_datasets,
    "hardness": _cmd_hardness,
    "augment": _cmd_augment,
    "evaluate": _cmd_evaluate,
}
