"""The HTML report: built from a real run, self-contained, and rendered by headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tabaugment import Augmenter
from tabaugment.cli import main
from tabaugment.data import load_breast_cancer
from tabaugment.report import build_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    report = build_report(
        load_breast_cancer(),
        strategy=Augmenter(selector="hardest_per_class", generator="gaussian_copula"),
        strategy_name="targeted",
        seeds=2,
        user_rules={"positive_radius": "`mean radius` > 0"},
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    report.save(path)
    return path


def test_report_files_hold_every_section(report_path: Path) -> None:
    text = report_path.read_text()
    for heading in ("Does it help?", "hardness and selection", "Fidelity", "Privacy", "Validity"):
        assert heading in text
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text  # nothing to fetch
    data = json.loads(report_path.with_suffix(".json").read_text())
    assert set(data) >= {"config", "dataset", "hardness", "utility", "fidelity", "privacy", "validity", "tstr"}
    assert data["validity"]["user_rules"] is True
    assert any(r["rule"] == "positive_radius" for r in data["validity"]["rules"])
    assert 0.0 <= data["privacy"]["summary"]["new_row_synthesis"] <= 1.0


def test_report_renders_in_headless_chromium(report_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("no chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(report_path.as_uri())
        images = page.eval_on_selector_all("img.plot", "els => els.map(e => [e.alt, e.complete, e.naturalWidth])")
        if os.environ.get("TABAUGMENT_UPDATE_SCREENSHOT"):
            (ROOT / "docs").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "docs" / "report.png"))
        browser.close()
    assert errors == []
    alts = [a for a, _, _ in images]
    assert "utility differences per seed" in alts and "hardness histogram" in alts
    assert "correlation difference heatmap" in alts and "distance to closest record" in alts
    assert sum(a.startswith("marginal ") for a in alts) == 31  # 30 features + the target
    broken = [a for a, complete, width in images if not complete or width == 0]
    assert broken == []


def test_report_command_refuses_a_non_html_target(tmp_path, capsys) -> None:
    out = tmp_path / "report.txt"
    assert main(["report", "breast_cancer", "--out", str(out), "--seeds", "1"]) == 2
    assert "--out must be an .html file" in capsys.readouterr().err
    assert not out.exists()


def test_a_strategy_without_synthetic_rows_gets_a_report_that_says_so(tmp_path) -> None:
    report = build_report(
        load_breast_cancer(),
        strategy=Augmenter(generator=None, teacher="soft", teach_real=True),
        strategy_name="self_distillation",
        seeds=2,
    )
    html_path, _ = report.save(tmp_path / "r.html")
    text = html_path.read_text()
    assert report.data["fidelity"] is None and report.data["privacy"] is None and report.data["validity"] is None
    assert "What the strategy decided" in text and "teacher" in report.data["decisions"]["origin"]
    assert "no synthetic rows" in text and "Fidelity: synthetic rows" not in text
    assert "soft teacher writes each added row once per label" in text


def test_tables_align_text_left_and_numbers_right() -> None:
    import pandas as pd

    from tabaugment.report.html import _table

    frame = pd.DataFrame(
        {
            "rule": ["range_by(a, b)", "x > 0"],
            "description": ["b within the range of rows with the same a", "x above zero"],
            "violations": [3, 0],
            "share": [0.125, 0.0],
            "interval": ["[-0.0013, +0.0000]", "[+0.1, +0.2]"],
            "won": ["1/3 seeds", "2/3 seeds"],
        }
    )
    head = _table(frame).split("</thead>")[0]
    assert head.count("<th class=num>") == 4
    assert "<th>rule</th>" in head and "<th>description</th>" in head


def test_plot_labels_keep_whole_names_or_say_they_were_cut() -> None:
    from tabaugment.report.plots import _short, _wrapped

    assert _wrapped("all+gaussian_copula+data_iq+soft_teacher").replace("\n", "") == (
        "all+gaussian_copula+data_iq+soft_teacher"
    )
    assert max(len(line) for line in _wrapped("hardest+smote+soft_teacher").split("\n")) <= 16
    assert _short("installment_commitment", 28) == "installment_commitment"
    assert _short("x" * 40, 28) == "x" * 27 + "\u2026"
