"""The benchmark table: every figure is a ratio against a baseline measured in the same run.

What must hold: each row names its figure, the measured value, the baseline value, their ratio,
the target and whether the target holds; rows without a target are marked "info". The table is
printed as Markdown so it can be pasted into docs/performance.md as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

HOLDS, FAILS, INFO = "yes", "NO", "info"


@dataclass(frozen=True)
class Figure:
    """One row of the table."""

    name: str
    measured: str
    baseline: str
    ratio: float | None
    target: str = ""
    holds: bool | None = None

    @property
    def verdict(self) -> str:
        if self.holds is None:
            return INFO
        return HOLDS if self.holds else FAILS


def ratio_figure(
    name: str,
    measured: float,
    baseline: float,
    *,
    unit: str,
    digits: int = 2,
    baseline_label: str = "",
    target: str = "",
    check: Callable[[float, float], bool] | None = None,
) -> Figure:
    """A figure whose ratio is measured / baseline; `check(ratio, measured)` decides the target."""
    ratio = measured / baseline if baseline else None
    holds = None
    if check is not None:
        holds = ratio is not None and check(ratio, measured)
    label = f" ({baseline_label})" if baseline_label else ""
    return Figure(
        name=name,
        measured=f"{measured:.{digits}f} {unit}".strip(),
        baseline=f"{baseline:.{digits}f} {unit}{label}".strip(),
        ratio=ratio,
        target=target,
        holds=holds,
    )


def table(figures: Sequence[Figure]) -> str:
    """The Markdown table of `figures`."""
    header = ("Figure", "Measured", "Baseline (same run)", "Ratio", "Target", "Holds")
    rows = [
        (
            f.name,
            f.measured,
            f.baseline,
            "-" if f.ratio is None else f"{f.ratio:.2f}x",
            f.target or "-",
            f.verdict,
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def summary(figures: Sequence[Figure]) -> str:
    """One closing line: how many figures, how many targets hold."""
    targeted = [f for f in figures if f.holds is not None]
    held = sum(1 for f in targeted if f.holds)
    return f"benchmarks: {len(figures)} figures, {held} of {len(targeted)} targets hold" + (
        "" if held == len(targeted) else f" ({len(targeted) - held} do not)"
    )
