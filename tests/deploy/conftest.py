"""The image of the Dockerfile, laid out once per test session (per xdist worker) for
tests/deploy (see `tests.deploy.image`); removed at the end.

Must hold: it lies in a folder of its own that the image's user can enter (pytest's own
temporary folders are private to root), and nothing in it is shared with another worker.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.image import Image, build_image


@pytest.fixture(scope="session")
def image() -> Iterator[Image]:
    """The image, laid out once per session in a folder the image's user can enter."""
    root = Path(tempfile.mkdtemp(prefix="surveybot-image-"))
    try:
        root.chmod(0o755)
        yield build_image(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
