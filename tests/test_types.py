"""The framework-free core type-checks: ``python -m mypy django_kue/core`` with setup.cfg's [mypy].

Needs no service. mypy comes with the test extras (``pip install -e ".[test]"``); without it this
fails, it never skips. The result depends on redis-py's inline types (the test extras ask for
redis>=8.0, whose sync client's replies are not ``Awaitable`` unions). A cold run (no
.mypy_cache, as CI sees it) takes a few seconds.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_passes_mypy() -> None:
    assert importlib.util.find_spec("mypy") is not None, (
        f"mypy is not installed in {sys.executable}: install the test extras "
        f"(pip install -e \".[test]\") to type-check django_kue/core")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "setup.cfg", "django_kue/core"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, (
        f"mypy django_kue/core failed (exit {result.returncode}; redis-py "
        f"{importlib.metadata.version('redis')}, whose inline types it reads: the test extras "
        f"want >= 8.0):\n{result.stdout}{result.stderr}")
