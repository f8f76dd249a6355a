"""For the doctests in the packages: temporary files go to pytest's own temporary folder, not /tmp."""

import tempfile

import pytest


@pytest.fixture(autouse=True)
def doctest_temporary_files(request, tmp_path, monkeypatch):
    """``tempfile.mkdtemp()`` in a doctest makes its folder inside this test's ``tmp_path``."""
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
