"""Experiment grids: validation, stable ids, resume after a kill, serial = Dask, Holm."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tabaugment.exceptions import SpecError
from tabaugment.experiment import ResultStore, analyze, holm, load_spec, run_experiment

SPEC = {
    "experiment": {"name": "t", "seeds": 2},
    "datasets": [{"name": "breast_cancer", "train_size": [120]}],
    "strategies": [
        {
            "name": "hard+copula",
            "selector": "hardest",
            "selector_params": {"fraction": 0.2},
            "generator": "gaussian_copula",
            "budget": ["1x", 0.3, 0.6],
            "compare_to": "all+dup",
        },
        {"name": "all+dup", "selector": "all", "generator": "random_oversampling", "budget": 0.3},
    ],
}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["cell_id", "metric", "value", "strategy", "budget", "seed"]
    return frame[cols].sort_values(["cell_id", "metric"]).reset_index(drop=True)


def test_spec_lists_every_problem_at_once() -> None:
    bad = {
        "experiment": {"seeds": [-1], "models": ["lightgbn"]},
        "datasets": [{"train_size": ["lots"]}],
        "strategies": [
            {"name": "baseline", "generator": "gan"},
            {"name": "x", "selector_params": {"fractoin": 0.2}, "compare_to": "y", "fit_on": "everything"},
            {"name": "z", "selector": "hardest", "selector_params": {"fraction": 2.0}, "budjet": 0.1},
            {"name": "w", "budget": ["1x", "lots"]},
        ],
    }
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    text = str(err.value)
    for part in (
        "experiment.seeds",
        "unknown model 'lightgbn'",
        "give name = <catalog name>",
        "'lots' is not a row count",
        "'baseline' is reserved",
        "unknown generator 'gan'",
        "has no parameter 'fractoin'",
        "compare_to: 'y' is not the name of another strategy",
        "'fit_on' parameter of Augmenter must be one of 'selected', 'all'. Got 'everything'",
        "unknown key 'budjet'. Did you mean 'budget'?",
        "'fraction' parameter of TopFraction must be a float in the range (0, 1]. Got 2.0",
        "strategies[3].budget: Unknown budget 'lots'",
    ):
        assert part in text


def test_grid_has_paired_baselines_and_stable_ids() -> None:
    cells = load_spec(SPEC).cells()
    assert len(cells) == 2 * (1 + 4)  # seeds x (baseline + 3 budgets + 1)
    assert [c.cell_id for c in cells] == [c.cell_id for c in load_spec(SPEC).cells()]
    assert len({c.cell_id for c in cells}) == len(cells)


def test_split_settings_are_part_of_every_cell_id_and_defaults_keep_old_ids() -> None:
    default = [c.cell_id for c in load_spec(SPEC).cells()]
    spelled = load_spec({**SPEC, "experiment": {**SPEC["experiment"], "test_size": 0.2}})
    assert [c.cell_id for c in spelled.cells()] == default  # the default, spelled out: the same cells
    other = load_spec({**SPEC, "experiment": {**SPEC["experiment"], "test_size": 0.3}})
    assert not set(c.cell_id for c in other.cells()) & set(default)
    assert all(c.describe()["split"] == {"test_size": 0.3} for c in other.cells())


def test_a_spec_files_relative_paths_are_relative_to_the_file(tmp_path, monkeypatch, raw_table) -> None:
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    raw_table.to_csv(data / "loans.csv", index=False)
    spec = tmp_path / "project" / "spec.toml"
    spec.write_text(
        '[experiment]\nname = "rel"\n[[datasets]]\npath = "data/loans.csv"\ntarget = "default"\n'
        '[[strategies]]\nname = "s"\ngenerator = "smote"\n'
    )
    monkeypatch.chdir(tmp_path)  # not the spec's folder
    loaded = load_spec(spec)
    assert loaded.datasets[0]["path"] == str(tmp_path / "project" / "data" / "loans.csv")
    moved = load_spec({**SPEC, "datasets": [{"path": "data/loans.csv", "target": "default"}]})
    assert moved.datasets[0]["path"] == "data/loans.csv"  # a dict has no file to be relative to


def test_spec_sections_and_dataset_keys_get_suggestions() -> None:
    with pytest.raises(SpecError, match=r"Unknown section \[strategy\]. Did you mean \[strategies\]"):
        load_spec({**SPEC, "strategy": []})
    with pytest.raises(SpecError, match="unknown key 'trainsize'. Did you mean 'train_size'"):
        load_spec({**SPEC, "datasets": [{"name": "breast_cancer", "trainsize": 100}]})


def test_a_reference_is_paired_by_the_rows_a_budget_adds() -> None:
    def cells(strategy, budget, rows, values):
        return pd.DataFrame(
            {
                "dataset": "d",
                "train_size": "100",
                "model": "m",
                "metric": "roc_auc",
                "strategy": strategy,
                "budget": budget,
                "seed": range(len(values)),
                "value": values,
                "synthetic_rows": rows,
                "train_rows": 100,
                "test_rows": 50,
                "pool_rows": 100,
            }
        )

    rng = np.random.default_rng(0)
    base = 0.8 + rng.normal(0, 0.01, 6)
    frame = pd.concat(
        [
            cells("baseline", None, 0, base),
            cells("targeted", "1x", 20, base + 0.02),  # 1x of a 20-row selection: 20 rows
            cells("targeted", "0.5", 50, base + 0.01),  # no reference budget adds 50 rows
            cells("all", "0.2", 20, base),
            cells("all", "0.4", 40, base),
            cells("teacher", "0.2", 0, base + 0.005),  # adds no synthetic rows: any budget label
            cells("synthetic", "1.0", 100, base + 0.007),
        ],
        ignore_index=True,
    )
    with pytest.warns(UserWarning, match="'targeted' at budget '0.5' has no comparable budget"):
        vs = analyze(frame, reference={"targeted": "all", "synthetic": "teacher"}).set_index("strategy")
    assert vs.loc["targeted", "budget"] == "1x" and vs.loc["targeted", "mean_diff"] == pytest.approx(0.02)
    assert vs.loc["synthetic", "mean_diff"] == pytest.approx(0.002)


def test_holm_matches_a_worked_example() -> None:
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


def test_resume_after_kill_gives_the_uninterrupted_result(tmp_path) -> None:
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(
        '[experiment]\nname = "k"\nseeds = 4\n[[datasets]]\nname = "breast_cancer"\ntrain_size = [150]\n'
        '[[strategies]]\nname = "hard+copula"\nselector = "hardest"\ngenerator = "gaussian_copula"\n'
        'budget = ["1x", 0.3, 0.5]\n'
    )
    folder = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tabaugment.cli", "run", str(spec_path), "--out", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while len(ResultStore(folder).done()) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    partial = ResultStore(folder).done()
    total = len(load_spec(spec_path).cells())
    assert 0 < len(partial) < total, "the run should have been killed midway"
    for f in (folder / "cells").iterdir():  # no half-written files
        assert f.suffix == ".parquet"
        pd.read_parquet(f)
    resumed = run_experiment(spec_path, folder)
    fresh = run_experiment(spec_path, tmp_path / "fresh")
    pd.testing.assert_frame_equal(_sorted(resumed), _sorted(fresh))


def test_serial_processes_and_dask_runs_agree(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    serial = run_experiment(SPEC, tmp_path / "serial")
    # a cluster the caller connected to ...
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        on_dask = run_experiment(SPEC, tmp_path / "dask", n_jobs=2, backend="dask")
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(on_dask))
    # ... and the local cluster backend="dask" starts by itself
    own = run_experiment(SPEC, tmp_path / "own", n_jobs=2, backend="dask")
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(own))
    # and the default backend, two local worker processes
    procs = run_experiment(SPEC, tmp_path / "procs", n_jobs=2)
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(procs))
    table = analyze(serial)
    assert set(table.strategy) == {"hard+copula", "all+dup"}
    assert table.p_holm.ge(table.p_ttest - 1e-12).all()
    assert set(table.verdict) <= {"win", "tie", "loss"}


def test_recommend_is_what_auto_would_do_with_every_row(tmp_path, capsys) -> None:
    from tabaugment import load_dataset
    from tabaugment.augment import choose
    from tabaugment.cli import main
    from tabaugment.experiment import recommend
    from tabaugment.experiment.recommend import _subsample

    cands = [
        {"name": "copula", "generator": "gaussian_copula", "budget": 0.5},
        {"name": "dup", "generator": "random_oversampling", "budget": 0.3},
    ]
    rec = recommend("breast_cancer", candidates=cands, n_repeats=1, train_size=200)
    assert rec.rows == 200 and set(rec.evidence.candidate) == {"copula", "dup"}
    if rec.strategy is None:
        assert rec.reason.startswith("Do not augment") and not (rec.evidence.verdict == "use").any()
    else:
        row = rec.evidence.set_index("candidate").loc[rec.strategy["name"]]
        assert rec.reason.startswith("Use ") and row.p_adjusted < 0.05 and row.mean_diff > 0
    # the same rows, seed and candidates: auto's choice on them
    ds = load_dataset("breast_cancer")
    rows = ds.schema.prepare(ds.table)
    picked = rows.loc[_subsample(rows, ds.schema.target, 200, 0).index]
    assert picked.index.isin(rows.index).all() and picked["diagnosis"].value_counts().min() > 50  # stratified
    direct = choose(picked, ds.schema.target, candidates=cands, n_repeats=1, random_state=0)
    pd.testing.assert_frame_equal(rec.evidence.drop(columns="seconds"), direct.evidence.drop(columns="seconds"))
    out = tmp_path / "rec.json"
    assert main(["recommend", "breast_cancer", "--auto-repeats", "1", "--train-size", "200", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "200 rows, lightgbm, 5 splits" in printed and "self_distillation" in printed
    saved = json.loads(out.read_text())
    assert saved["rows"] == 200 and len(saved["evidence"]) == 2


def test_analyze_rewrites_a_folders_analysis_from_its_cells_alone(tmp_path, capsys) -> None:
    from tabaugment.cli import main
    from tabaugment.experiment import stored_spec

    folder = tmp_path / "res"
    run_experiment(SPEC, folder)
    assert stored_spec(folder).to_dict() == load_spec(SPEC).to_dict()
    assert main(["analyze", str(folder)]) == 0
    first = (folder / "analysis.csv").read_text()
    (folder / "analysis.csv").unlink()
    runs = (folder / "runs.jsonl").read_text()
    assert main(["analyze", str(folder)]) == 0
    assert (folder / "analysis.csv").read_text() == first and (folder / "runs.jsonl").read_text() == runs
    assert "corrected resampled t-test" in capsys.readouterr().out
    assert main(["analyze", str(tmp_path)]) == 2  # not a results folder


def test_experiment_folder_report(tmp_path, capsys) -> None:
    from tabaugment.cli import main

    run_experiment(SPEC, tmp_path / "res")
    assert main(["report", str(tmp_path / "res")]) == 0
    page = (tmp_path / "res" / "report.html").read_text()
    assert "hard+copula" in page and "utility against the synthetic budget" in page and "Holm" in page
    assert "Against the compared strategy" in page and "Scaling law" in page


def test_against_reference_pairs_by_seed_and_budget(tmp_path) -> None:
    results = run_experiment(SPEC, tmp_path / "res")
    spec = load_spec(SPEC)
    vs = analyze(results, reference=spec.references)
    assert set(vs.strategy) == {"hard+copula"} and set(vs.reference) == {"all+dup"}
    assert set(vs.budget) == {"0.3"}  # the only budget both strategies share
    row = vs[vs.metric == "roc_auc"].iloc[0]
    auc = results[results.metric == "roc_auc"]
    treat = auc[(auc.strategy == "hard+copula") & (auc.budget == "0.3")].set_index("seed").value
    ref = auc[auc.strategy == "all+dup"].set_index("seed").value
    assert row.mean_diff == pytest.approx((treat - ref.loc[treat.index]).mean())
    runs = (tmp_path / "res" / "runs.jsonl").read_text().splitlines()
    assert len(runs) == 1 and '"overhead_share"' in runs[0]


def test_serial_and_ray_runs_agree(tmp_path) -> None:
    pytest.importorskip("ray", reason="the Ray backend is optional: pip install 'tabaugment[ray]'")
    serial = run_experiment(SPEC, tmp_path / "serial")
    on_ray = run_experiment(SPEC, tmp_path / "ray", n_jobs=2, backend="ray")
    pd.testing.assert_frame_equal(_sorted(serial), _sorted(on_ray))


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown backend 'spark'; choose from processes, joblib, dask, ray"):
        run_experiment(SPEC, "unused", backend="spark")


def test_finished_runs_compact_into_one_file_and_resume_from_it(tmp_path) -> None:
    folder = tmp_path / "res"
    first = run_experiment(SPEC, folder)
    store = ResultStore(folder)
    assert (folder / "results.parquet").is_file() and not list((folder / "cells").glob("*.parquet"))
    assert store.done() == {c.cell_id for c in load_spec(SPEC).cells()}
    # a kill between writing results.parquet and removing the cell files leaves duplicates only
    extra = first[first.cell_id == first.cell_id.iloc[0]]
    store.write(extra.cell_id.iloc[0], extra)
    pd.testing.assert_frame_equal(_sorted(store.load()), _sorted(first))
    runs_before = (folder / "runs.jsonl").read_text()
    again = run_experiment(SPEC, folder)  # nothing left to compute
    assert (folder / "runs.jsonl").read_text() == runs_before
    pd.testing.assert_frame_equal(_sorted(again), _sorted(first))


def test_test_rows_that_repeat_training_rows_are_reported_or_refused(tmp_path, capsys) -> None:
    import warnings

    from tabaugment import Augmenter, evaluate_augmentation
    from tabaugment.cli import main
    from tabaugment.data import load_breast_cancer
    from tabaugment.exceptions import DataLeakageError

    ds = load_breast_cancer()
    dup = pd.concat([ds.table, ds.table.iloc[:100]], ignore_index=True)
    strategy = Augmenter(generator="random_oversampling")
    with pytest.warns(UserWarning, match="test rows .* equal a training row"):
        result = evaluate_augmentation(dup, target=ds.schema.target, strategies=strategy, seeds=2)
    assert result.runs.test_rows_in_train.gt(0).all()
    with pytest.raises(DataLeakageError, match="Test rows equal training rows in 2 split"):
        evaluate_augmentation(dup, target=ds.schema.target, strategies=strategy, seeds=2, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no duplicates, no warning
        clean = evaluate_augmentation(ds.table, target=ds.schema.target, strategies=strategy, seeds=2)
    assert clean.runs.test_rows_in_train.eq(0).all()
    path = tmp_path / "dup.csv"
    dup.to_csv(path, index=False)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'[experiment]\nname = "d"\nseeds = 2\n[[datasets]]\npath = "{path.name}"\ntarget = "{ds.schema.target}"\n'
        '[[strategies]]\nname = "dup"\ngenerator = "random_oversampling"\n'
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "strict"), "--strict"]) == 2
    assert "Test rows equal training rows" in capsys.readouterr().err and not (tmp_path / "strict").exists()
    assert main(["run", str(spec), "--out", str(tmp_path / "loose")]) == 0
    assert "warning: test rows equal training rows" in capsys.readouterr().out


def test_a_folder_is_held_by_one_run_and_stale_temporary_files_go(tmp_path) -> None:
    from tabaugment.exceptions import DataError

    folder = tmp_path / "res"
    store = ResultStore(folder)
    with store.lock(), pytest.raises(DataError, match=r"Another run \(pid \d+\) is writing to"):
        run_experiment(SPEC, folder)
    (folder / "cells").mkdir(parents=True, exist_ok=True)
    stale = [folder / ".results.parquet.x1.tmp", folder / "cells" / ".abc.parquet.y2.tmp"]
    for path in stale:
        path.write_text("half")
    run_experiment(SPEC, folder)
    assert not any(p.exists() for p in stale)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_killing_a_parallel_run_stops_its_workers(tmp_path) -> None:
    import os
    import signal

    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(
        '[experiment]\nname = "k"\nseeds = 8\n[[datasets]]\nname = "breast_cancer"\ntrain_size = [150]\n'
        '[[strategies]]\nname = "copula"\ngenerator = "gaussian_copula"\nbudget = [0.3, 0.5]\n'
    )
    folder = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tabaugment.cli", "run", str(spec_path), "--out", str(folder), "--n-jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def children(pid: int) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
        return found

    deadline = time.time() + 120
    while len(ResultStore(folder).done()) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = children(proc.pid)
    assert workers and proc.poll() is None, "the run should still be going, with its workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2.0)
    alive = [
        pid
        for pid in workers
        if Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    ]
    assert alive == []
    settled = len(ResultStore(folder).done())
    time.sleep(1.0)
    assert len(ResultStore(folder).done()) == settled  # nobody writes cells any more
