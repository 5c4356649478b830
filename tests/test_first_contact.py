"""Issue 15, first contact: what a new user meets (README, LICENSE, version, help()).
"""

import os

import numpy as np
from conftest import ROOT
from conftest import run_python as _run_python


# -------------------------------------------------------------------------- first contact
def test_subpackages_are_reachable_after_import():
    code = """
        import skfuzzy_ce
        print(skfuzzy_ce.metrics.soft_log_loss.__name__,
              skfuzzy_ce.model_selection.SoftStratifiedKFold.__name__)
    """
    rc, out, err = _run_python(code, timeout=120)
    assert rc == 0, err
    assert out.split() == ["soft_log_loss", "SoftStratifiedKFold"]


def test_scorers_have_their_own_docstrings():
    import pydoc

    from skfuzzy_ce.metrics import (
        neg_kl_divergence_scorer,
        neg_soft_brier_scorer,
        neg_soft_log_loss_scorer,
    )

    for scorer, metric in [
        (neg_soft_log_loss_scorer, "soft_log_loss"),
        (neg_kl_divergence_scorer, "kl_divergence"),
        (neg_soft_brier_scorer, "soft_brier_score"),
    ]:
        text = pydoc.render_doc(scorer, renderer=pydoc.plaintext)
        assert metric in text and "GridSearchCV" in text
        assert "make_scorer" not in (type(scorer).__doc__ or "").split("\n")[0]


def test_version_is_written_in_one_place():
    """meson.build holds it; pyproject.toml declares it dynamic; __init__ reads the metadata."""
    import importlib.metadata
    import re

    import skfuzzy_ce

    pyproject = open(os.path.join(ROOT, "pyproject.toml")).read()
    meson = open(os.path.join(ROOT, "meson.build")).read()
    init = open(os.path.join(ROOT, "skfuzzy_ce", "__init__.py")).read()
    assert re.search(r"^dynamic = \[\"version\"\]$", pyproject, flags=re.M)
    assert not re.search(r"^version\s*=", pyproject, flags=re.M)
    assert not re.search(r"__version__\s*=\s*[\"']\d", init)
    written = re.search(r"^\s*version: '([^']+)',$", meson, flags=re.M)[1]
    assert skfuzzy_ce.__version__ == importlib.metadata.version("skfuzzy-ce") == written


def test_license_file_is_bsd_3_clause():
    text = open(os.path.join(ROOT, "LICENSE")).read()
    assert "BSD 3-Clause" in text and "skfuzzy_ce developers" in text
    assert "Neither the name of the copyright holder" in text


def test_readme_refers_only_to_the_repository():
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "../shared" not in readme and "API.md" not in readme
    assert "pip install ." in readme
    assert "neg_soft_log_loss_scorer" in readme and "neg_log_loss" in readme


def test_readme_scoring_advice_holds():
    """neg_soft_log_loss_scorer scores soft targets; scoring="neg_log_loss" gives NaN."""
    import warnings

    from sklearn.model_selection import GridSearchCV

    from skfuzzy_ce import SoftLabelLogisticRegression
    from skfuzzy_ce.metrics import neg_soft_log_loss_scorer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    Y = rng.dirichlet([1, 1, 1], size=60)
    grid = {"C": [0.1, 1.0]}
    ours = GridSearchCV(SoftLabelLogisticRegression(), grid, scoring=neg_soft_log_loss_scorer)
    assert np.isfinite(ours.fit(X, Y).cv_results_["mean_test_score"]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns that every fold failed to score
        theirs = GridSearchCV(SoftLabelLogisticRegression(), grid, scoring="neg_log_loss")
        assert np.isnan(theirs.fit(X, Y).cv_results_["mean_test_score"]).all()
