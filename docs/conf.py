"""Sphinx configuration of the sklearn_mle_nn documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (from the
repository root). The example gallery runs every ``examples/plot_*.py``;
add ``-D plot_gallery=0`` to build without running them.
"""

import re
import sys
from pathlib import Path

import sklearn_mle_nn

sys.path.insert(0, str(Path(__file__).parent / "sphinxext"))

project = "sklearn_mle_nn"
author = "The sklearn_mle_nn developers"
copyright = f"2026, {author}"
version = release = sklearn_mle_nn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
# The classes' own docstrings list their parameters and attributes; the
# methods get one page section each through the autosummary template.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Example gallery ---------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "example_order.ExampleOrder",
    "doc_module": ("sklearn_mle_nn",),
    "backreferences_dir": "gen_modules/backreferences",
    "remove_config_comments": True,
    "show_memory": False,
    # Examples run in parallel with sphinx-build -j (as CI calls it).
    "parallel": True,
}

# Methods inherited unchanged from scikit-learn that every estimator has and
# that say nothing about this library; api.rst mentions them in one sentence.
_SKIPPED_MEMBERS = re.compile(r"set_\w+_request|get_metadata_routing|set_output")

# Docstrings inherited from scikit-learn (``score``, ``fit_transform``, ...)
# link into scikit-learn's own documentation with :ref: and :term:. The build
# is offline (no intersphinx), so those targets do not exist here: keep the
# link text, drop the link.
_SKLEARN_LINK = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^`>]*)>)?`")


def _skip_member(app, what, name, obj, skip, options):
    if _SKIPPED_MEMBERS.fullmatch(name):
        return True
    return None


def _unlink_sklearn_docstring(app, what, name, obj, options, lines):
    if not (getattr(obj, "__module__", None) or "").startswith("sklearn."):
        return
    lines[:] = [
        _SKLEARN_LINK.sub(lambda match: match.group(1) or match.group(2), line)
        for line in lines
    ]


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _unlink_sklearn_docstring)


# -- HTML --------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "description": "Neural networks as maximum-likelihood estimators",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
html_static_path = []
