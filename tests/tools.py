"""Commands from Debian's packages some tests need (pdftotext, fc-list).

What must hold, as for PostgreSQL: with `CI` set a missing command fails the test (`.ci/run`
installs the packages); outside CI it skips the test, naming the package to install.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_command(command: str, package: str) -> None:
    """Skip (or, under CI, fail) the calling test when `command` is not installed."""
    if shutil.which(command) is not None:
        return
    message = f"{command} is not installed (Debian package {package})"
    if os.environ.get("CI"):
        pytest.fail(f"CI needs {message}")
    pytest.skip(message)
