"""Helpers the tests import (``pythonpath = tests`` in pyproject.toml)."""

from __future__ import annotations

import shutil

import pytest


def require_program(name: str) -> str:
    """The path of ``name``, or skip the test saying that the program is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get)")
    return path
