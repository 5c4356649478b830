"""Sphinx configuration of the skfuzzy_ce documentation.

The build is offline by design: no intersphinx (it downloads inventories), no theme assets
from the network. Links to scikit-learn, NumPy and SciPy are plain URLs made by the
``extlinks`` roles below, which are only text at build time.
"""

import os
import re
import shutil
import warnings
from pathlib import Path

import skfuzzy_ce

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# -- Project ---------------------------------------------------------------------------------
project = "skfuzzy_ce"
author = "the skfuzzy_ce developers"
copyright = "the skfuzzy_ce developers"
release = skfuzzy_ce.__version__
version = ".".join(release.split(".")[:2])

# -- Extensions ------------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.extlinks",
    "sphinx.ext.mathjax",
    # MathJax itself, bundled (a PyPI package ships MathJax 3 and its fonts): the built pages
    # render their math offline instead of loading it from a CDN.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_generated", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
default_role = "literal"
nitpicky = False

autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Docstrings write shapes such as ``(n_features_in_,)`` as scikit-learn does; in reST a
# trailing underscore makes that a reference, so give it a target: the glossary entry.
rst_epilog = """
.. _n_features_in: https://scikit-learn.org/stable/glossary.html#term-n_features_in_
"""

# Plain links to the projects we build on: text at build time, no inventory fetched.
extlinks = {
    "sklearn": ("https://scikit-learn.org/stable/modules/generated/%s.html", "%s"),
    "sklearn-guide": ("https://scikit-learn.org/stable/%s", "%s"),
    "numpy": ("https://numpy.org/doc/stable/reference/generated/%s.html", "%s"),
    "scipy": ("https://docs.scipy.org/doc/scipy/reference/generated/%s.html", "%s"),
}

# -- Gallery ---------------------------------------------------------------------------------
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore",
    message="(Matplotlib is currently using agg|FigureCanvasAgg is non-interactive)",
    category=UserWarning,
)

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "plot_gallery": "True",
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "first_notebook_cell": None,
    "doc_module": ("skfuzzy_ce",),
    "backreferences_dir": None,
}

# -- HTML ------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skfuzzy_ce {release}"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    # Nothing here may reach the network at build time: no version switcher JSON, no
    # analytics, no icon links that fetch assets.
    "icon_links": [],
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_prev_next": True,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_context = {"default_mode": "light"}
html_sidebars = {"getting_started": [], "performance": []}

# -- The benchmark figure --------------------------------------------------------------------
# The performance page shows the committed benchmark figure when it exists; a missing figure
# must not fail the build (the page then explains how to produce it).
_BENCH_PNG = ROOT / "benchmarks" / "results" / "bench_kernels.png"
_GENERATED = DOCS / "_generated"
_GENERATED.mkdir(exist_ok=True)
if _BENCH_PNG.exists():
    shutil.copyfile(_BENCH_PNG, _GENERATED / "bench_kernels.png")
    _BENCH_RST = """\
The figure below is the committed result of the kernel benchmark
(``benchmarks/results/bench_kernels.png``, data in ``bench_kernels.csv``):

.. image:: /_generated/bench_kernels.png
   :alt: Benchmark of the cross-entropy kernels against scikit-learn
   :width: 90%
"""
else:
    _BENCH_RST = """\
The benchmark figure was not found when these pages were built. The kernel benchmark
writes ``benchmarks/results/bench_kernels.csv`` and ``benchmarks/results/bench_kernels.png``;
run it from the repository root (see ``benchmarks/``), then rebuild the documentation.
"""
_target = _GENERATED / "benchmark_figure.rst"
if not _target.exists() or _target.read_text() != _BENCH_RST:
    _target.write_text(_BENCH_RST)

# The scaling benchmark's figure, the same way.
_SCALING_PNG = ROOT / "benchmarks" / "results" / "bench_scaling.png"
if _SCALING_PNG.exists():
    shutil.copyfile(_SCALING_PNG, _GENERATED / "bench_scaling.png")
    _SCALING_RST = """\
.. image:: /_generated/bench_scaling.png
   :alt: Fit time and peak memory against n, d and K, log-log, with fitted slopes
   :width: 100%
"""
else:
    _SCALING_RST = """\
The scaling figure was not found when these pages were built: run
``python benchmarks/bench_scaling.py`` (it writes ``benchmarks/results/bench_scaling.png``),
then rebuild the documentation.
"""
_target = _GENERATED / "scaling_figure.rst"
if not _target.exists() or _target.read_text() != _SCALING_RST:
    _target.write_text(_SCALING_RST)



# -- Every public name is in the API reference -------------------------------------------------
def _check_api_reference_complete(app):
    """Warn (an error under ``-W``) for a name in an ``__all__`` missing from api.rst."""
    import importlib
    import re

    from sphinx.util import logging

    text = (DOCS / "api.rst").read_text()
    listed = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    for module_name in ("skfuzzy_ce", "skfuzzy_ce.metrics", "skfuzzy_ce.model_selection"):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if name not in listed:
                logging.getLogger(__name__).warning(
                    "%s.%s is public (in __all__) but missing from docs/api.rst", module_name, name
                )


# -- The math renders offline ------------------------------------------------------------------
_REMOTE = re.compile(r"""<script[^>]*\bsrc=["'](?:https?:)?//[^"']*mathjax""", re.I)


def remote_mathjax_references(html_dir):
    """Problems with the math of the built pages under ``html_dir``, as messages.

    A page that loads MathJax from the network (a CDN) shows raw LaTeX offline; a page that
    loads it from ``_static`` needs the file there.
    """
    html_dir = Path(html_dir)
    problems = []
    local = re.compile(r"""<script[^>]*\bsrc=["']([^"':]*mathjax/[^"']*\.js)""", re.I)
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for match in _REMOTE.finditer(text):
            problems.append(f"{page.relative_to(html_dir)} loads MathJax remotely: {match[0]}")
        for src in local.findall(text):
            if not (page.parent / src.split("?")[0]).exists():
                problems.append(f"{page.relative_to(html_dir)} loads {src}, which is missing")
    return problems


def _check_math_is_offline(app, exception):
    """Warn (an error under ``-W``) if a built page would load MathJax from the network."""
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    for problem in remote_mathjax_references(app.outdir):
        logging.getLogger(__name__).warning(problem)


def setup(app):
    app.connect("builder-inited", _check_api_reference_complete)
    # After sphinx-mathjax-offline's own build-finished handler has copied MathJax.
    app.connect("build-finished", _check_math_is_offline, priority=900)
