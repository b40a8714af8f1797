"""Sphinx configuration of the tabaugment documentation (built by .ci/run with warnings as errors)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")
logging.getLogger("tabaugment").setLevel(logging.WARNING)  # the examples' own output is what the pages show
logging.getLogger("matplotlib").setLevel(logging.WARNING)

from tabaugment import __version__  # noqa: E402

project = "tabaugment"
author = "the tabaugment developers"
copyright = "2026, the tabaugment developers"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
templates_path: list[str] = []
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "furo"
html_title = f"tabaugment {version}"
html_static_path: list[str] = []
suppress_warnings = ["config.cache"]

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
}


def _skip_inherited_sklearn(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool:
    """Leave out scikit-learn's generated metadata-routing methods (their docstrings point into
    scikit-learn's own documentation)."""
    if name == "get_metadata_routing" or (name.startswith("set_") and name.endswith("_request")):
        return True
    return skip


def setup(app: Any) -> None:
    """Sphinx's hook: connect the member filter."""
    app.connect("autodoc-skip-member", _skip_inherited_sklearn)
