"""The command line, end to end, including failures that must write nothing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tabaugment.cli import main


@pytest.fixture
def csv_path(tmp_path, raw_table):
    path = tmp_path / "loans.csv"
    raw_table.to_csv(path, index=False)
    return path


def test_help_lists_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "hardness", "augment", "evaluate", "datasets"):
        assert command in out


def test_demo_prints_a_table_and_writes_results(tmp_path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo"), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "roc_auc" in out and "baseline" in out and "p (t)" in out
    results = json.loads((tmp_path / "demo" / "results.json").read_text())
    assert results["config"]["seeds"] == [0, 1]
    assert {r["metric"] for r in results["comparison"]} >= {"roc_auc", "gini", "f1"}


def test_hardness_command(tmp_path, csv_path, capsys) -> None:
    out = tmp_path / "scores.csv"
    assert main(["hardness", str(csv_path), "--target", "default", "--n-neighbors", "5", "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    assert list(scores.columns[:3]) == ["row_id", "default", "hardness"]
    assert len(scores) == 60 and scores["rank"].min() == 1
    assert "hardest 20%" in capsys.readouterr().out


def test_augment_command_writes_rows_and_generator(tmp_path, csv_path) -> None:
    out, model = tmp_path / "aug.csv", tmp_path / "gen"
    code = main(
        [
            "augment",
            str(csv_path),
            "--target",
            "default",
            "--selector",
            "hardest_per_class",
            "--fraction",
            "0.5",
            "--generator",
            "smote",
            "--generator-param",
            "k_neighbors=2",
            "--budget",
            "1x",
            "--flag-column",
            "synthetic",
            "--out",
            str(out),
            "--save-generator",
            str(model),
        ]
    )
    assert code == 0
    rows = pd.read_csv(out)
    assert rows["synthetic"].sum() > 0 and (rows["synthetic"] == 0).sum() == 60
    assert (model / "config.json").is_file() and (model / "arrays.safetensors").is_file()


def test_augment_by_default_lets_auto_choose_and_shows_its_evidence(tmp_path, csv_path, capsys) -> None:
    out = tmp_path / "aug.csv"
    args = ["augment", str(csv_path), "--target", "default", "--auto-splits", "3", "--auto-repeats", "1"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "auto chose" in printed and "p_adjusted" in printed
    for name in ("self_distillation", "copula_teacher"):
        assert name in printed  # one evidence row per candidate
    rows, given = pd.read_csv(out), pd.read_csv(csv_path)
    assert len(rows) >= 60 and rows["default"].iloc[:60].tolist() == given["default"].tolist()


def test_augment_with_a_soft_teacher_writes_a_weight_column(tmp_path, csv_path, capsys) -> None:
    out = tmp_path / "aug.csv"
    code = main(
        [
            *["augment", str(csv_path), "--target", "default", "--generator", "none", "--teacher", "soft"],
            *["--teach-real", "--weight-column", "w", "--out", str(out)],
        ]
    )
    assert code == 0
    rows = pd.read_csv(out)
    assert len(rows) > 60 and rows["w"].iloc[:60].eq(1.0).all() and rows["w"].iloc[60:].between(0, 1).all()
    assert "copies of real rows with the teacher's labels" in capsys.readouterr().out


def test_evaluate_command_on_a_csv(tmp_path, csv_path, capsys) -> None:
    big = pd.concat([pd.read_csv(csv_path)] * 4, ignore_index=True)
    big.to_csv(csv_path, index=False)
    out = tmp_path / "res.json"
    code = main(
        [
            "evaluate",
            str(csv_path),
            "--target",
            "default",
            "--seeds",
            "2",
            "--generator",
            "gaussian_copula",
            "--model",
            "logistic_regression",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "loans" in capsys.readouterr().out
    config = json.loads(out.read_text())["config"]
    assert config["model"] == "logistic_regression"
    assert config["command"].startswith("tabaugment evaluate ") and config["command"].endswith("res.json")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "defualt"], "Did you mean 'default'"),
        (["--target", "default", "--generator", "smote", "--budget", "50000"], "more than 10 x the"),
        (["--target", "default", "--budget", "500"], "has no effect with generator='auto'"),
        (["--target", "default", "--generator", "smoth"], "Did you mean 'smote'"),
        (["--target", "default", "--selector", "all", "--fraction", "0.3"], "'all' has no fraction parameter"),
        (["--target", "default", "--generator-param", "k_nieghbors=3", "--generator", "smote"], "no parameter"),
        (["--target", "default", "--budget", "lots"], "Unknown budget 'lots'"),
        (
            [
                "--target",
                "default",
                "--generator",
                "smote",
                "--filter-invalid",
                "--rule",
                "age.to_csv('x.csv') or age >= 0",
            ],
            "unexpected '.' at position 3",
        ),
        (["--target", "default", "--generator", "smote", "--rule", "agee > 18"], "reads column 'agee'"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, csv_path, capsys, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "aug.csv"
    try:
        code = main(["augment", str(csv_path), *args, "--out", str(out)])
    except SystemExit as exc:  # argparse refuses unknown registry names before anything runs
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["loans.csv"]


@pytest.mark.datasets
def test_datasets_command(datasets_dir, capsys) -> None:
    assert main(["datasets", "--datasets-dir", str(datasets_dir)]) == 0
    assert "give_me_some_credit" in capsys.readouterr().out


def test_outputs_never_overwrite_the_input_or_a_foreign_file(tmp_path, csv_path, capsys) -> None:
    original = csv_path.read_bytes()
    base = ["augment", str(csv_path), "--target", "default", "--generator", "smote"]
    assert main([*base, "--out", str(csv_path)]) == 2
    assert "is the input file (DATA)" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert main([*base, "--out", str(tmp_path / "aug.csv"), "--save-generator", str(notes)]) == 2
    assert "is a file; give a folder name" in capsys.readouterr().err
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"meow")
    assert main([*base, "--out", str(tmp_path / "aug.csv"), "--save-generator", str(folder)]) == 2
    assert "folder with other files in it" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "aug.xlsx")]) == 2
    assert "name a .csv or .parquet file" in capsys.readouterr().err
    assert csv_path.read_bytes() == original and notes.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loans.csv", "notes.txt", "photos"]
    assert [p.name for p in folder.iterdir()] == ["cat.jpg"]
    # an earlier saved generator is replaced, as asked
    gen = tmp_path / "gen"
    for _ in range(2):
        assert main([*base, "--out", str(tmp_path / "aug.csv"), "--save-generator", str(gen)]) == 0
    assert sorted(p.name for p in gen.iterdir()) == ["arrays.safetensors", "config.json"]


def test_written_files_follow_the_umask(tmp_path, csv_path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        out, gen = tmp_path / "aug.csv", tmp_path / "gen"
        args = ["augment", str(csv_path), "--target", "default", "--generator", "smote"]
        assert main([*args, "--out", str(out), "--save-generator", str(gen)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE(gen.stat().st_mode) == 0o755
    assert stat.S_IMODE((gen / "config.json").stat().st_mode) == 0o644


@pytest.mark.datasets
@pytest.mark.parametrize(("name", "target", "budget"), [("german_credit", "class", "0.3"), ("adult", "class", "0.02")])
def test_real_rows_of_a_csv_come_back_as_the_same_text(tmp_path, datasets_dir, name, target, budget) -> None:
    source = datasets_dir / name / f"{name}.csv"
    out = tmp_path / "out.csv"
    args = ["augment", str(source), "--target", target, "--generator", "gaussian_copula", "--budget", budget]
    assert main([*args, "--out", str(out)]) == 0
    given = pd.read_csv(source, dtype=str, keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(written.columns) == list(given.columns)
    pd.testing.assert_frame_equal(written.iloc[: len(given)], given)  # every real cell, the same text
    added = written.iloc[len(given) :]
    for col in given.columns:  # added rows write numbers as the column does: no "27.0" in a column of 27s
        if given[col].str.fullmatch(r"-?\d+|\?|").all():
            assert added[col].str.fullmatch(r"-?\d+|\?|").all(), col
    if name == "adult":  # the file's own missing-value marker, not an empty cell
        assert (added["workclass"] == "?").any() and not (added == "").any().any()


def test_real_rows_of_a_parquet_file_keep_every_dtype(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 150
    table = pd.DataFrame(
        {
            "count": rng.integers(0, 100, n),
            "nullable": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n)), dtype="Int64"),
            "ratio": pd.array(rng.normal(size=n), dtype="Float64"),
            "flag": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"),
            "owner": rng.random(n) < 0.3,
            "city": pd.Series(rng.choice(["Oslo", "Lima"], n), dtype="str"),
            "plan": pd.Series(rng.choice(["basic", "gold"], n), dtype="string"),
            "band": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi", "mid"]),
            "seen": pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Oslo"),
            "label": pd.Series(np.where(rng.random(n) < 0.3, "yes", "no"), dtype="str"),
        }
    )
    source, out = tmp_path / "t.parquet", tmp_path / "o.parquet"
    table.to_parquet(source, index=False)
    args = ["augment", str(source), "--target", "label", "--generator", "gaussian_copula", "--budget", "0.5"]
    assert main([*args, "--out", str(out)]) == 0
    given, written = pd.read_parquet(source), pd.read_parquet(out)
    assert written.dtypes.to_dict() == given.dtypes.to_dict()
    pd.testing.assert_frame_equal(written.iloc[:n], given)
    added = written.iloc[n:]
    assert len(added) == 75 and added["seen"].notna().all()  # a datetime is generated, in its time zone
    assert added["seen"].between(given["seen"].min(), given["seen"].max()).all()
    assert (added["seen"].dt.tz_localize(None).dt.microsecond == 0).all()  # to the second, like the column
    assert set(added["band"].dropna()) <= {"lo", "hi"} and added["count"].between(0, 99).all()


def test_dates_in_a_csv_file_are_generated_in_the_columns_format(tmp_path) -> None:
    rng = np.random.default_rng(1)
    n = 160
    days = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    table = pd.DataFrame(
        {
            "opened": days.strftime("%d/%m/%Y"),
            "seen": (days + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
            "amount": rng.integers(10, 500, n),
            "label": np.where(rng.random(n) < 0.3, "yes", "no"),
        }
    )
    table.loc[[3, 9], "opened"] = "?"
    source, out = tmp_path / "t.csv", tmp_path / "o.csv"
    table.to_csv(source, index=False)
    assert main(["augment", str(source), "--target", "label", "--generator", "gaussian_copula", "--out", str(out)]) == 0
    given = pd.read_csv(source, dtype=str, keep_default_na=False)
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written.iloc[:n], given)  # real rows: the same text
    added = written.iloc[n:]
    opened = added["opened"][added["opened"] != "?"]
    assert len(opened) and pd.to_datetime(opened, format="%d/%m/%Y").between(days.min(), days.max()).all()
    seen = pd.to_datetime(added["seen"], format="%Y-%m-%d %H:%M:%S")  # raises unless every cell has the format
    assert seen.notna().all() and (seen >= days.min()).all()


def test_augment_drops_copies_of_training_rows_unless_told_not_to(tmp_path, csv_path, capsys) -> None:
    base = ["augment", str(csv_path), "--target", "default", "--generator", "smote", "--out", str(tmp_path / "a.csv")]
    assert main(base) == 0
    assert "privacy filter: dropped" in capsys.readouterr().out
    assert main([*base, "--keep-copies"]) == 0
    assert "privacy filter" not in capsys.readouterr().out
    duplicate = ["augment", str(csv_path), "--target", "default", "--generator", "random_oversampling"]
    assert main([*duplicate, "--out", str(tmp_path / "b.csv")]) == 0  # copies by design: the filter stays off
    assert main([*duplicate, "--min-distance", "0.5", "--out", str(tmp_path / "c.csv")]) == 2
    assert "copies training rows by design" in capsys.readouterr().err


def _loans(**changes) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 70, n).astype(object),
            "income": rng.integers(1000, 9000, n).astype(object),
            "job": rng.choice(["clerk", "nurse", "chef"], n).astype(object),
            "default": np.where(rng.random(n) < 0.3, "yes", "no").astype(object),
        }
    )
    for col, (rows, value) in changes.items():
        frame.loc[rows, col] = value
    return frame


@pytest.mark.parametrize(
    ("table", "args", "message"),
    [
        (_loans(default=(slice(None), "no")), [], "only one class"),
        (_loans(default=([3, 7], "")), [], "Target 'default' is missing in 2 rows"),
        (_loans(age=([4], "forty")), ["--numerical", "age"], "'forty'"),
        (_loans(job=(slice(None), "")), ["--categorical", "job"], "'job'"),
        (_loans(), ["--generator", "smote", "--budget", "1000x"], "more than 10 x the"),
        (_loans(), ["--generator", "smote", "--generator-param", "k_neighbors=0"], "k_neighbors"),
        (_loans(), ["--generator", "smote", "--model", "lightgmb"], "lightgbm"),
        (_loans(), ["--generator", "smote", "--selector", "hardest", "--fraction", "1.5"], "fraction"),
        (_loans(), ["--generator", "smote", "--validation", "missing.csv"], "No file at 'missing.csv'"),
        (_loans(), ["--teacher", "soft", "--generator", "none"], "adds no rows"),
        (_loans(), ["--generator", "smote", "--synthetic-weight", "0"], "synthetic_weight"),
        (_loans(), ["--generator", "gaussian_copula", "--curate", "everything"], "everything"),
        (_loans(), ["--alpha", "2"], "alpha"),
        (_loans(), ["--generator", "smote", "--rule", "age >"], "expected a column, a value or '('"),
        (_loans().rename(columns={"job": "age"}), [], "names 'age' more than once"),
        (_loans().rename(columns={"job": ""}), [], "Column 3 of 'loans.csv' has no name"),
    ],
)
def test_bad_tables_and_options_fail_clearly_and_write_nothing(tmp_path, capsys, monkeypatch, table, args, message):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "loans.csv"
    table.to_csv(path, index=False)
    try:
        code = main(["augment", str(path), "--target", "default", *args, "--out", str(tmp_path / "aug.csv")])
    except SystemExit as exc:  # argparse refuses unknown names and bad numbers before anything runs
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert [p.name for p in tmp_path.iterdir()] == ["loans.csv"]


def test_every_help_example_parses_and_global_flags_work_after_the_command(capsys) -> None:
    import shlex

    from tabaugment.cli import EXAMPLES, build_parser

    parser = build_parser()
    for command, lines in EXAMPLES.items():
        for line in lines:
            words = shlex.split(line.split("  #")[0])
            assert words[0] == "tabaugment"
            assert parser.parse_args(words[1:]).command == command
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    commands = [
        w for w in ("demo", "datasets", "hardness", "augment", "evaluate", "report", "run", "analyze", "recommend")
    ]
    listed = capsys.readouterr().out
    assert all(c in listed for c in commands)
    for command in commands:
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        assert "examples:" in capsys.readouterr().out, command
    args = parser.parse_args(["augment", "data.csv", "--target", "t", "--out", "o.csv", "--no-progress", "-vv"])
    assert args.progress is False and args.verbose == 2
    args = parser.parse_args(["--progress", "augment", "data.csv", "--target", "t", "--out", "o.csv"])
    assert args.progress is True and args.verbose == 0


def test_recommend_takes_the_data_options_of_the_other_commands(tmp_path, capsys) -> None:
    table = _loans()
    table["job"] = table["job"].where(np.arange(len(table)) % 9 != 0, "unknown")
    path = tmp_path / "loans.csv"
    table.to_csv(path, sep=";", index=False)
    args = ["recommend", str(path), "--target", "default", "--sep", ";", "--positive-label", "no"]
    args += ["--missing-values", "unknown", "--categorical", "age", "--auto-repeats", "1", "--out", str(tmp_path / "r")]
    assert main(args) == 0
    evidence = json.loads((tmp_path / "r").read_text())
    assert evidence["rows"] == len(table)
    assert main(["recommend", str(path), "--target", "default", "--positive-label", "maybe", "--sep", ";"]) == 2
    assert "positive_label 'maybe' is not a label of 'default'" in capsys.readouterr().err


def test_hardness_ground_truth_ranks_the_methods_and_writes_every_run(tmp_path, csv_path, capsys) -> None:
    out = tmp_path / "noise.csv"
    args = ["hardness", str(csv_path), "--target", "default", "--ground-truth", "--noise-rates", "0.1"]
    assert main([*args, "--seeds", "2", "--compare", "oof_loss,random", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "how well each method's scores find the flipped rows" in printed and "oof_loss" in printed
    study = pd.read_csv(out)
    assert len(study) == 2 * 2 * 2 and {"roc_auc", "precision_at_k", "kind", "seed"} <= set(study.columns)
    bad = tmp_path / "bad.csv"
    assert main([*args[:-1], "0.1,x", "--out", str(bad)]) == 2
    assert "--noise-rates must be numbers" in capsys.readouterr().err and not bad.exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--seeds", "0"], "at least one noise draw"),
        (["--noise-rates", ","], "at least one noise rate"),
        (["--noise-kinds", "bogus"], "Unknown noise kind 'bogus'"),
        (["--noise-kinds", ","], "at least one noise kind"),
    ],
)
def test_an_empty_or_unknown_ground_truth_design_is_refused_before_anything_is_written(
    tmp_path, csv_path, capsys, option, message
) -> None:
    out = tmp_path / "noise.csv"
    args = ["hardness", str(csv_path), "--target", "default", "--ground-truth", "--compare", "random"]
    assert main([*args, *option, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_clearbox_design_trains_on_every_row_and_judges_on_the_users_test_file(tmp_path, csv_path, capsys) -> None:
    """``--validation-size 0 --test FILE``: every row of DATA trains (hardness cross-fitted), the
    user's file judges; a category the file alone has is read as missing with a warning."""
    table = pd.read_csv(csv_path)
    train, test = table.iloc[: len(table) // 2], table.iloc[len(table) // 2 :].copy()
    cat = "job"
    test.loc[test.index[:2], cat] = "never-seen"
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    args = ["--target", "default", "--test", str(tmp_path / "test.csv"), "--validation-size", "0",
            "--selector", "hardest", "--hardness", "knn_shapley", "--generator", "gaussian_copula",
            "--budget", "1x", "--seeds", "2"]  # fmt: skip
    with pytest.warns(UserWarning, match=f"'{cat}': 2 rows, e.g. 'never-seen'"):
        assert main(["evaluate", str(tmp_path / "train.csv"), *args]) == 0
    assert f"{len(train):,} training rows, {len(test):,} real test rows" in capsys.readouterr().out
    report = tmp_path / "r.html"
    with pytest.warns(UserWarning, match="never-seen"):
        assert main(["report", str(tmp_path / "train.csv"), *args, "--out", str(report)]) == 0
    data = json.loads(report.with_suffix(".json").read_text())
    assert data["dataset"]["validation_rows"] == 0 and data["dataset"]["train_rows"] == len(train)
    assert data["dataset"]["privacy_holdout"] == "test"
