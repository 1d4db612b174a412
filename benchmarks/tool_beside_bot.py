"""The bot's completions with a staff tool working beside it on the same SQLite file:
`python -m benchmarks.tool_beside_bot SECONDS` prints JSON.

- `alone_per_s`, `with_tool_per_s`: `SQLiteStore.complete` (the bot's store, in this process)
  per second without and with a tool process (`mode="tool"`) publishing, recording the
  disclosure history, reading the tallies and opening every response in a loop, as fast as it
  can: far more than staff ever do, so the ratio `with_tool_ratio` is a worst case;
- `alone_p95_ms`, `with_tool_p95_ms`: the 95th percentile of one completion's time;
- `left_in_wal`: completions whose marker was still in the WAL when `complete()` returned, with
  the tool working (the bot's checkpoint waits for the tool's short reads: must be 0);
- `tool_rounds`: the tool's rounds meanwhile.

What must hold: the two take turns in short slices for the whole time (a change of the machine's
speed hits both alike); the tool only works in its slices and holds no transaction while it
waits; both run on the same file, the bot with the runner lock, the tool without.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from benchmarks.answers import completed, shipped_survey
from storage import SQLiteStore, generate_keypair
from storage.base import every

SLICE_SECONDS = 0.5
SURVEY = shipped_survey()


def tool_process(path: str, private: str, events: tuple[Event, Event, Event], rounds: Any) -> None:
    """The staff tool: one round of calls at a time, only while `active` is set."""
    ready, active, stop = events

    async def work() -> None:
        tool = await SQLiteStore.open(path, mode="tool")
        ready.set()
        try:
            while not stop.is_set():
                if not active.wait(0.05):
                    continue
                snapshot = await tool.publish_if_due(SURVEY.id, every(SURVEY.min_group_size))
                if snapshot.responses and not snapshot.disclosure_recorded:
                    await tool.record_disclosure(SURVEY.id, snapshot.responses, "h")
                await tool.tallies(SURVEY.id)
                await tool.responses(SURVEY.id, private)
                rounds.value += 1
        finally:
            await tool.close()

    asyncio.run(work())


async def measure(seconds: float) -> dict[str, float]:
    public, private = generate_keypair()
    scratch = Path(tempfile.mkdtemp(prefix="tool-bench-"))
    path = scratch / "survey.db"
    bot = await SQLiteStore.open(path, synchronous="NORMAL", analysis_key=public)
    wal = path.with_name(path.name + "-wal")
    context = multiprocessing.get_context("spawn")
    ready, active, stop = context.Event(), context.Event(), context.Event()
    rounds = context.Value("i", 0)
    events = (ready, active, stop)
    tool = context.Process(target=tool_process, args=(str(path), private, events, rounds))
    tool.start()
    if not ready.wait(120):
        raise RuntimeError("the tool process did not open the store")
    times: dict[bool, list[float]] = {False: [], True: []}
    spent = {False: 0.0, True: 0.0}
    left, n = 0, 0
    rng = random.Random(16)
    try:
        end = time.monotonic() + seconds
        with_tool = False
        while time.monotonic() < end:
            with_tool = not with_tool
            if with_tool:
                active.set()
            else:
                active.clear()
            began = time.monotonic()
            while time.monotonic() - began < SLICE_SECONDS:
                done = completed(SURVEY, rng)
                marker = n.to_bytes(32, "big")
                start = time.perf_counter()
                await bot.complete(
                    session_key=marker, marker=marker, response=done.response, cells=done.cells
                )
                times[with_tool].append(time.perf_counter() - start)
                if with_tool and wal.exists() and marker in wal.read_bytes():
                    left += 1
                n += 1
            spent[with_tool] += time.monotonic() - began
    finally:
        stop.set()
        active.set()
        tool.join(30)
        await bot.close()

    def p95(values: list[float]) -> float:
        return sorted(values)[int(0.95 * len(values))] * 1000 if values else 0.0

    alone = len(times[False]) / spent[False]
    beside = len(times[True]) / spent[True]
    return {
        "alone_per_s": alone,
        "with_tool_per_s": beside,
        "with_tool_ratio": beside / alone,
        "alone_p95_ms": p95(times[False]),
        "with_tool_p95_ms": p95(times[True]),
        "left_in_wal": float(left),
        "tool_rounds": float(rounds.value),
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    print(json.dumps(asyncio.run(measure(seconds)), indent=1))


if __name__ == "__main__":
    main()
