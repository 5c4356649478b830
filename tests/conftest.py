"""Test configuration: deterministic property tests.

Hypothesis draws its examples from a fixed seed by default (profile "ci"), so a run of the
suite is repeatable. ``HYPOTHESIS_PROFILE=explore python -m pytest`` draws fresh random
examples (and remembers failures in .hypothesis/) to look for new counterexamples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
