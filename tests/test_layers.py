"""The package's layers, enforced: a stage never imports a later one, not even inside a function,
and never reaches into another stage's private modules or names.

The pipeline order is data < hardness < selection < generators < evaluation < augment <
experiment < report < cli; ``testing`` (the public contract checks) sits on top. Evaluation
(models, metrics, statistics, fidelity, privacy) comes before augment because augmentation
judges its own rows: curation, teacher labels and ``auto``'s inner evaluation use it. The private
modules at the package root (``tabaugment._io``, ``_params``, ``_neighbors``...) are the
shared foundation below every stage and import no stage themselves. The package's own
``__init__`` only names things lazily and is exempt.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(importlib.import_module("tabaugment").__file__).parent
STAGES = [
    "data",
    "hardness",
    "selection",
    "generators",
    "evaluation",
    "augment",
    "experiment",
    "report",
    "cli",
    "testing",
]
FOUNDATION = -1


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2:
        return FOUNDATION
    return STAGES.index(parts[1]) if parts[1] in STAGES else FOUNDATION


def _lazy_names() -> dict[str, str]:
    import tabaugment

    return dict(tabaugment._LAZY)


def _imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every tabaugment import, at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[int, str, str | None]] = []
    lazy = _lazy_names()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names if a.name.split(".")[0] == "tabaugment"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "tabaugment":
                continue
            for alias in node.names:
                if base == "tabaugment" and (ROOT / f"{alias.name}.py").exists():
                    out.append((node.lineno, f"tabaugment.{alias.name}", None))
                elif base == "tabaugment" and alias.name in lazy:
                    out.append((node.lineno, lazy[alias.name], alias.name))
                else:
                    out.append((node.lineno, base, alias.name))
    return out


SOURCES = sorted(p for p in ROOT.rglob("*.py") if p != ROOT / "__init__.py")


def _violations(path: Path) -> list[str]:
    module = _module_name(path)
    here = _stage(module)
    problems = []
    for line, target, name in _imports(path):
        there = _stage(target)
        where = f"{path.relative_to(ROOT.parent)}:{line} imports {target}" + (f".{name}" if name else "")
        if there > here:
            problems.append(f"{where}: {STAGES[there]} comes after {STAGES[here] if here >= 0 else 'the foundation'}")
        if there != here and there != FOUNDATION:
            private = any(p.startswith("_") and p != "__init__" for p in target.split(".")[2:])
            if private or (name or "").startswith("_"):
                problems.append(f"{where}: a private module or name of another stage")
    return problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_follow_the_pipeline_order(path: Path) -> None:
    assert _violations(path) == []


def test_the_check_catches_an_import_against_the_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = ROOT / "data" / "__layer_probe__.py"
    monkeypatch.setattr(
        Path, "read_text", lambda self, encoding=None: "def f():\n    from tabaugment.report import plots\n"
    )
    problems = _violations(bad)
    assert problems and "report comes after data" in problems[0]
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: "from tabaugment.generators._torch import x\n")
    assert any("private module" in p for p in _violations(ROOT / "evaluation" / "__probe__.py"))
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: "from tabaugment import Augmenter\n")
    assert any("augment comes after data" in p for p in _violations(ROOT / "data" / "__probe__.py"))
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: "import tabaugment.augment\n")
    assert any("augment comes after evaluation" in p for p in _violations(ROOT / "evaluation" / "__probe__.py"))
