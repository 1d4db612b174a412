"""The benchmarks run end to end in CI: `python -m benchmarks --quick` completes, reports no
problem (no Bot API rejection, no resident timed out or left unfinished) and prints every
figure of the table with a value and a verdict.

The targets are not asserted (CI machines are noisy; docs/performance.md has a full run's
table), only loose sanity bounds on figures that do not depend on the machine's speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import FIGURES

ROOT = Path(__file__).resolve().parents[1]


def _row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        if line.startswith(f"| {name} "):
            return [cell.strip() for cell in line.strip().strip("|").split("|")]
    raise AssertionError(f"the table has no figure {name!r}:\n{output}")


@pytest.mark.timeout(280)
def test_the_quick_benchmark_prints_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout
    assert done.returncode == 0, output + done.stderr[-3000:]
    assert "PROBLEM" not in output
    for name in FIGURES:
        _, measured, baseline, ratio, _, verdict = _row(output, name)
        assert measured and baseline and ratio, name
        assert verdict in ("yes", "NO", "info"), name
    summary = [line for line in output.splitlines() if line.startswith("benchmarks: ")]
    assert summary and f"{len(FIGURES)} figures" in summary[0], summary
    calls = float(_row(output, "e2e: Bot API calls per answer")[1])
    assert 1.0 <= calls <= 3.0
    out_of_order = _row(output, "50 ms RTT: double taps handled out of order")[1]
    assert out_of_order.startswith("0 of "), out_of_order
