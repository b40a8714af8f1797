"""Import cost, lazy names, registries and the style of the public API."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tabaugment
from tabaugment._registry import available, get_class


def test_import_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, tabaugment; heavy = [m for m in ('torch', 'transformers', 'sklearn', 'pandas', 'scipy', "
        "'lightgbm', 'faiss', 'dask', 'numba') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_hardness_imports_numba_only_when_the_kernel_runs() -> None:
    code = "import sys, tabaugment.hardness; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lazy_public_names_resolve() -> None:
    for name in tabaugment.__all__:
        assert getattr(tabaugment, name) is not None
    with pytest.raises(AttributeError):
        tabaugment.does_not_exist  # noqa: B018


@pytest.mark.parametrize("kind", ["hardness", "selectors", "generators"])
def test_every_registered_component_imports_and_clones(kind: str) -> None:
    from sklearn.base import clone

    for name in available(kind):
        cls = get_class(kind, name)
        assert cls.__doc__, f"{cls.__name__} needs a docstring"
        est = cls()
        assert clone(est).get_params() == est.get_params()


def test_unknown_registry_name_suggests() -> None:
    with pytest.raises(ValueError, match="Unknown generator 'gausian_copula'. Did you mean 'gaussian_copula'"):
        get_class("generators", "gausian_copula")


def test_the_api_reference_lists_every_public_name() -> None:
    import importlib
    from pathlib import Path

    listed = {
        line.strip()
        for line in (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text().splitlines()
        if line.startswith("   ") and not line.strip().startswith(":")
    }
    missing = []
    for name in (
        "data",
        "hardness",
        "selection",
        "generators",
        "augment",
        "evaluation",
        "experiment",
        "report",
        "testing",
    ):
        module = importlib.import_module(f"tabaugment.{name}")
        missing += [f"tabaugment.{name}.{n}" for n in module.__all__ if n not in listed]
    top = importlib.import_module("tabaugment")
    missing += [f"tabaugment.{n}" for n in top.__all__ if n != "__version__" and n not in listed]
    assert missing == [], f"add these to docs/api.rst: {missing}"
