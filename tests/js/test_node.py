"""Runs the front end's unit tests (tests/js/*.test.mjs, Node's built-in runner) inside the Python suite,
so `make test` and CI run them too."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def test_javascript_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        # CI installs what the suite needs (.ci/run): there a missing Node fails rather than skips.
        if os.environ.get("CI"):
            pytest.fail("Node.js is not installed (apt-get install nodejs)")
        pytest.skip("Node.js is not installed (apt-get install nodejs)")
    tests = sorted(str(path.relative_to(ROOT)) for path in HERE.glob("*.test.mjs"))
    assert tests, "no JavaScript tests found"
    result = subprocess.run([node, "--test", *tests], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
