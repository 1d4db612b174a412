"""The benchmarks run end to end in CI: `python -m benchmarks --quick` completes, reports no
problem (no Bot API rejection, no resident timed out or left unfinished), prints every figure
of the table with a value and a verdict, and the targets that do not depend on the machine's
speed hold.

Asserted to hold (counts and sizes, the same on any machine): Bot API calls per answer (<= 2),
double taps answered in order (0 wrong, and at least one checked: `--quick` double-taps every
choice so that its short window always has some), and the memory growth of in-progress sessions
(< 30 MB). Not asserted: the speed targets (answers/s, /stats time ratio, store steps/s). On a
CI machine shared by other jobs they measure the neighbours as much as the bot; they are ratios
within one run and are checked by a full run (`python -m benchmarks --strict`, see
docs/performance.md), not here. The --quick sizes (`QUICK` in benchmarks/__main__.py) are the
smallest that still check each part; its longest part is the report benchmark, whose time
hardly depends on the number of responses (the PDF's charts and layout).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import FIGURES

ROOT = Path(__file__).resolve().parents[1]
#: Figures whose targets do not depend on the machine's speed: they must hold.
STABLE_TARGETS = (
    "e2e: Bot API calls per answer",
    "50 ms RTT: double taps handled out of order",
    "memory: peak RSS growth, in-progress sessions",
)


def _row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        if line.startswith(f"| {name} "):
            return [cell.strip() for cell in line.strip().strip("|").split("|")]
    raise AssertionError(f"the table has no figure {name!r}:\n{output}")


@pytest.mark.timeout(330)
def test_the_quick_benchmark_prints_every_figure_and_the_stable_targets_hold() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout
    assert done.returncode == 0, output + done.stderr[-3000:]
    assert "PROBLEM" not in output, output
    for name in FIGURES:
        _, measured, baseline, ratio, _, verdict = _row(output, name)
        assert measured and baseline and ratio, name
        assert verdict in ("yes", "NO", "info"), name
    summary = [line for line in output.splitlines() if line.startswith("benchmarks: ")]
    assert summary and f"{len(FIGURES)} figures" in summary[0], summary
    for name in STABLE_TARGETS:
        assert _row(output, name)[-1] == "yes", f"{name}: target does not hold\n{output}"
    calls = float(_row(output, "e2e: Bot API calls per answer")[1])
    assert 1.0 <= calls <= 2.0
    taps = re.fullmatch(
        r"(\d+) of (\d+)", _row(output, "50 ms RTT: double taps handled out of order")[1]
    )
    assert taps is not None and int(taps[1]) == 0 and int(taps[2]) > 0, taps
