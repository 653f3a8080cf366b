"""Test-run settings that make every run the same run.

Hypothesis draws its examples from a seed fixed by each test's name
(``derandomize``) instead of fresh randomness and a saved example database,
and no example has a wall-clock deadline: a slow or busy machine runs the
same examples, only later.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("neurodebug", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("neurodebug")


@pytest.fixture(autouse=True)
def _reads_allowed():
    """An app that quits while loading cancels pipe reads for its process
    (io.files.cancel_reads); every test starts with reads allowed, as every
    command and every app's load does."""
    from neurodebug.io.files import allow_reads

    allow_reads()
    yield
