"""Checks of the deployment files that need no Docker engine and no cluster.

Their tools come from requirements-deploy.txt (`make deploy-check` installs them). Where
one is missing the test is skipped with the reason; under CI (CI=true) it fails instead,
since `.ci/run` installs them first.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        why = f"{module} is not installed: run `make deploy-check` (requirements-deploy.txt)"
        if CI:
            pytest.fail(why)
        pytest.skip(why)
