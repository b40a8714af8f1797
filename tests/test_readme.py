"""Every Python code block of the README runs, so the README cannot drift from the code.

Each block runs on its own, in a fresh namespace and an empty working directory. A comment
line right before a block can mark it: ``<!-- test: datasets -->`` (needs the dataset catalog;
skipped where it is absent) or ``<!-- test: skip: <reason> -->``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(?:<!-- test: (?P<mark>[^>]*?) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL)


def _blocks() -> list[tuple[int, str | None, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group("mark"), m.group("code")) for m in _BLOCK.finditer(text)]


def test_the_readme_has_python_blocks() -> None:
    assert len(_blocks()) >= 4


@pytest.mark.parametrize(("line", "mark", "code"), _blocks(), ids=[f"line{b[0]}" for b in _blocks()])
def test_readme_block_runs(line: int, mark: str | None, code: str, tmp_path, monkeypatch, request) -> None:
    if mark and mark.startswith("skip"):
        pytest.skip(mark)
    if mark == "datasets":
        datasets = request.getfixturevalue("datasets_dir")
        monkeypatch.setenv("TABAUGMENT_DATASETS", str(datasets))
    monkeypatch.chdir(tmp_path)
    from tabaugment import _registry

    # a block may register a plugin: keep it out of the other tests' registry
    monkeypatch.setattr(_registry, "_registry", {k: dict(v) for k, v in _registry._registry.items()})
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": f"readme_line{line}"})


def test_every_number_block_matches_its_result_files() -> None:
    """The README's and the results folders' number blocks are what benchmarks/readme_numbers.py
    writes from the committed result files: a number cannot drift from its file."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "readme_numbers.py"
    spec = importlib.util.spec_from_file_location("readme_numbers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.stale() == [], "run: python benchmarks/readme_numbers.py"
