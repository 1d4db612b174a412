"""Whether the machine has a font for each poster language (Fontconfig's `fc-list :lang=xx`).

WeasyPrint finds fonts through Fontconfig and draws a missing script as empty boxes without
complaint, so the `qr` command asks first and names the package to install. What must hold:
this only reads; without `fc-list` (not a Fontconfig system) nothing is reported.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

#: What an operator on Debian or Ubuntu installs for each script (docs/outreach.md).
FONT_PACKAGE = "fonts-noto-core"


def missing_fonts(languages: Sequence[str]) -> list[str]:
    """The languages for which Fontconfig lists no font at all."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    missing = []
    for language in languages:
        result = subprocess.run(
            [fc_list, f":lang={language}", "family"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode == 0 and not result.stdout.strip():
            missing.append(language)
    return missing
