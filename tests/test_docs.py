"""The documentation's code runs: doctests of the .rst pages, the README's usage example.

The docstrings' examples are collected by ``--doctest-modules`` (pyproject.toml); the pages
of ``docs/`` are plain reST, collected here so that a page cannot drift from the package.
The full Sphinx build (warnings as errors, gallery executed) runs in ``.ci/run``.
"""

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_SKIP = {"_build", "_generated", "generated", "auto_examples"}
# Only the pages in the repository: a docs build adds generated ones (the gallery's timings).
PAGES = sorted(
    p
    for p in DOCS.rglob("*.rst")
    if not _SKIP.intersection(p.relative_to(DOCS).parts) and p.name != "sg_execution_times.rst"
)


def test_the_pages_are_found():
    names = {p.name for p in PAGES}
    assert {"getting_started.rst", "index.rst", "api.rst"} <= names
    assert any(p.parent.name == "user_guide" for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_doctests(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {page.name}"


def _python_blocks(text, fence):
    if fence == "markdown":
        return re.findall(r"```python\n(.*?)```", text, flags=re.S)
    blocks = []  # reST: ".. code-block:: python", then an indented body
    for match in re.finditer(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text, re.M):
        lines = match.group(1).splitlines()
        blocks.append("\n".join(line[4:] for line in lines))
    return blocks


@pytest.mark.parametrize(
    "path, fence", [("README.md", "markdown"), ("docs/index.rst", "rst")]
)
def test_self_contained_examples_run(path, fence):
    """The first-page examples define their own data: they must run as printed."""
    blocks = _python_blocks((ROOT / path).read_text(), fence)
    assert blocks, f"no python block found in {path}"
    namespace = {}
    exec(compile(blocks[0], path, "exec"), namespace)
    clf = namespace["clf"]
    proba = clf.predict_proba(namespace["X"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_docs_math_renders_offline(tmp_path):
    """The docs bundle MathJax, and their build fails on a page that loads it remotely."""
    import runpy

    conf = runpy.run_path(str(DOCS / "conf.py"))
    assert "sphinx-mathjax-offline" in conf["extensions"]
    check = conf["remote_mathjax_references"]  # run by the build (build-finished)
    static = tmp_path / "_static" / "mathjax"
    static.mkdir(parents=True)
    (static / "tex-chtml.js").write_text("")
    (tmp_path / "page.html").write_text(
        '<script defer="defer" src="_static/mathjax/tex-chtml.js"></script>'
    )
    assert check(tmp_path) == []
    (tmp_path / "cdn.html").write_text(
        '<script async="async" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
        "</script>"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "missing.html").write_text(
        '<script defer="defer" src="_static/mathjax/tex-chtml.js"></script>'
    )
    problems = check(tmp_path)
    assert len(problems) == 2
    assert any("cdn.html loads MathJax remotely" in p for p in problems)
    assert any("missing" in p for p in problems)
    built = DOCS / "_build" / "html"
    if (built / "index.html").exists():  # a local build (CI builds after the tests)
        assert check(built) == []
