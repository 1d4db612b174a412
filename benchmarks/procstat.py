"""Process figures from /proc (Linux): CPU seconds of a process and of each of its threads,
current and peak resident memory.

What must hold: reading never fails because a thread ended meanwhile (it is skipped), and
every figure is read from the kernel, not estimated, so a subprocess's CPU is measured honestly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of_stat(text: str) -> float:
    """utime + stime (seconds) from the text of a /proc/.../stat file."""
    fields = text.rsplit(")", 1)[1].split()
    # After the ")" closing comm: field 3 (state) is fields[0]; utime is 14, stime is 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (all its threads)."""
    return _cpu_of_stat(Path(f"/proc/{pid}/stat").read_text())


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds per live thread of the process, by thread id (the main thread's id = pid)."""
    found: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found[int(task.name)] = _cpu_of_stat((task / "stat").read_text())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@dataclass(frozen=True)
class Memory:
    """Resident memory in KiB: now (VmRSS) and the peak so far (VmHWM)."""

    rss_kib: int
    peak_kib: int


def memory(pid: int) -> Memory:
    """The process's current and peak resident set size."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return Memory(values.get("VmRSS", 0), values.get("VmHWM", 0))


@dataclass(frozen=True)
class CpuMark:
    """CPU seconds of a process, in total and on its main thread, at one moment."""

    total: float
    main: float

    @classmethod
    def read(cls, pid: int) -> CpuMark:
        threads = thread_cpu(pid)
        return cls(total=cpu_seconds(pid), main=threads.get(pid, 0.0))


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of `pid` and of each of its direct children, by process id (e.g. a
    PostgreSQL server: the postmaster and its backends). A process that ends between two
    readings takes its CPU with it: compare readings of processes that live through both."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        parent = int(text.rsplit(")", 1)[1].split()[1])
        if int(entry.name) == pid or parent == pid:
            found[int(entry.name)] = _cpu_of_stat(text)
    return found
