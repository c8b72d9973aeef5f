"""Fixtures for the scaled-out scenarios: a working folder per module (helpers: tests/support/scale.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def module_workdir(tmp_path_factory, request):
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
