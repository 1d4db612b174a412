"""`python -m benchmarks [--quick]`: run every benchmark and print one table of figures, each a
ratio against a baseline measured in the same run, with its target and whether it holds.

What must hold: one command, bounded in time (the full run takes a few minutes, `--quick` well
under one); every figure named in `FIGURES` is printed, or the run fails; the exit status is 0
whether or not targets hold (machines are noisy), unless `--strict` is given.

Scale-out (replicas, PostgreSQL, webhook) is `python -m benchmarks.scale_bench`; it starts
PostgreSQL and several bots, so it runs only when named: `--only scale` (with `--quick`, in
its smoke-test size).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from benchmarks import e2e, micro, profile, stats_bench
from benchmarks.botproc import BARE, LAUNCH, ROOT, SHIPPED
from benchmarks.report import Figure, ratio_figure, summary, table

#: Sends per second for "flood limit raised": high enough never to wait.
RAISED_RATE = 10_000
#: The shipped overall flood limit (SURVEYBOT_OVERALL_RATE's default).
SHIPPED_RATE = 30
#: Per-chat sends per second: simulated residents press far faster than people (about 1/s).
PER_CHAT_RATE = 100


@dataclass(frozen=True)
class Sizes:
    """How big each benchmark is."""

    residents: int
    at_once: int
    profile_residents: int
    latency_residents: int
    warmup: float
    window: float
    store_seconds: float
    micro_seconds: float
    stats_sizes: tuple[int, ...]
    stats_repeats: int
    sessions: int


STATS_SIZES = (1_000, 10_000, 100_000, 1_000_000)
FULL = Sizes(100, 100, 5, 200, 1.0, 3.0, 1.5, 3.0, STATS_SIZES, 3, 50_000)
#: --quick (the CI smoke test): every part runs and prints its figures, at the smallest sizes
#: that still check something: 5 residents finish the survey through each bot, 10 press at
#: once with every choice double-tapped, 5,000 sessions for the memory target (which holds on
#: any machine), and a report of 100 responses (its time hardly depends on the count).
QUICK = Sizes(5, 5, 0, 10, 0.3, 1.0, 0.3, 0.6, STATS_SIZES, 1, 5_000)

#: Every figure the table has (the smoke test checks that each is printed).
FIGURES = (
    "e2e: bot CPU per answer",
    "e2e: Bot API calls per answer",
    "e2e: p50 press to next question",
    "e2e: p99 press to next question",
    "e2e: bot peak RSS",
    "50 ms RTT: answers/s, flood limit raised",
    "50 ms RTT: answers/s, shipped limit 30 sends/s",
    "50 ms RTT: p99 to next question, limit raised",
    "50 ms RTT: p99 to next question, shipped limit",
    "50 ms RTT: double taps handled out of order",
    "50 ms RTT: bot CPU per answer, aiohttp backend",
    "50 ms RTT: answers/s, aiohttp backend",
    "50 ms RTT: CPU-bound ceiling on one core, httpx",
    "50 ms RTT: CPU-bound ceiling on one core, aiohttp",
    "HTTP client: CPU per Bot API request, aiohttp",
    "HTTP client: CPU per Bot API request, sniffio installed",
    "store: durable steps/s (save_session)",
    "store: durable completions/s (complete)",
    "store: steps/s, synchronous=NORMAL",
    "store experiment: steps/s, one trip only",
    "store experiment: steps/s, same-day state-only only",
    "store experiment: steps/s, one trip + state-only",
    "store experiment: completions/s, one trip",
    "/stats: 1k answers",
    "/stats: 10k answers",
    "/stats: 100k answers",
    "/stats: 1M answers",
    "/stats: reading the tallies, 1M answers",
    "memory: peak RSS growth, in-progress sessions",
    "report: lägesbild PDF, realistic responses",
)


def _python(*args: str, timeout: float) -> dict[str, float]:
    """Run `python -m ...` in a fresh process; its last stdout line is JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _ms(seconds: float) -> float:
    return 1000 * seconds


class Run:
    """One benchmark run: collects figures, notes and checks."""

    def __init__(self, sizes: Sizes, scratch: Path, quick: bool) -> None:
        self.sizes = sizes
        self.scratch = scratch
        self.quick = quick
        #: Share of choices pressed twice at once. --quick taps every one: its short window
        #: must still check some double taps, whatever the machine's speed.
        self.double_tap = 1.0 if quick else 0.1
        self.figures: list[Figure] = []
        self.notes: list[str] = []
        self.problems: list[str] = []
        self.extra: list[str] = []

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    # --- end to end ------------------------------------------------------------------------

    async def end_to_end(self) -> None:
        s = self.sizes
        settings: dict[str, str | int | float] = {"per_chat_rate": PER_CHAT_RATE}
        raised = (*LAUNCH, "--overall-rate", str(RAISED_RATE))
        bare, bot, _ = await asyncio.gather(
            e2e.load_run(
                "bare", BARE, self.scratch, residents=s.residents, at_once=s.at_once,
                settings=settings,
            ),
            e2e.load_run(
                "bot", raised, self.scratch, residents=s.residents, at_once=s.at_once,
                settings=settings,
            ),
            self.cpu_profile(),
        )  # fmt: skip
        for result in (bare, bot):
            self.check(result.rejections == 0, f"{result.label}: Bot API rejected calls")
            self.check(result.log.timeouts == 0, f"{result.label}: residents timed out")
            self.check(
                result.log.finished == s.residents,
                f"{result.label}: {result.log.finished} of {s.residents} residents finished",
            )
        self.notes.append(
            f"e2e: {s.residents} residents ({s.at_once} at a time) answer the whole survey with "
            f"buttons; bot {bot.presses} answers in {bot.seconds:.0f} s, bare PTB "
            f"{bare.presses} in {bare.seconds:.0f} s, both at the same time (and a profiled bot "
            f"for the CPU breakdown below); "
            f"SURVEYBOT_PER_CHAT_RATE={PER_CHAT_RATE}, overall flood limit "
            f"{RAISED_RATE}/s; SQLite thread share of bot CPU {bot.other_threads_share:.0%}"
        )
        self.figures += [
            ratio_figure(
                "e2e: bot CPU per answer", bot.cpu_ms_per_press, bare.cpu_ms_per_press,
                unit="ms", baseline_label="bare PTB", target="<= 1.3x bare",
                check=lambda r, m: r <= 1.3,
            ),
            ratio_figure(
                "e2e: Bot API calls per answer", bot.calls_per_press, bare.calls_per_press,
                unit="", baseline_label="bare PTB", target="<= 2 calls",
                check=lambda r, m: m <= 2.0 + 1e-9,
            ),
            ratio_figure(
                "e2e: p50 press to next question", bot.p50_ms, bare.p50_ms, unit="ms",
                digits=0, baseline_label="bare PTB",
            ),
            ratio_figure(
                "e2e: p99 press to next question", bot.p99_ms, bare.p99_ms, unit="ms",
                digits=0, baseline_label="bare PTB",
            ),
            ratio_figure(
                "e2e: bot peak RSS", bot.peak_rss_kib / 1024, bare.peak_rss_kib / 1024,
                unit="MB", digits=1, baseline_label="bare PTB",
            ),
        ]  # fmt: skip

    async def cpu_profile(self) -> None:
        s = self.sizes
        if not s.profile_residents:
            self.extra.append("(--quick: no CPU profile)")
            return
        path = self.scratch / "bot.prof"
        argv = (*LAUNCH, "--overall-rate", str(RAISED_RATE), "--profile", str(path))
        result = await e2e.load_run(
            "profile", argv, self.scratch, residents=s.profile_residents,
            at_once=s.profile_residents, settings={"per_chat_rate": PER_CHAT_RATE},
            on_ready=lambda pid: os.kill(pid, signal.SIGUSR1),
        )  # fmt: skip
        # The bot wrote the profile on its way out, before load_run's stop() returned.
        self.check(path.exists(), "profile: the profiled bot wrote no profile")
        if not path.exists():
            return
        rows = profile.breakdown(path)
        self.extra.append(
            f"Where the bot's main-thread CPU goes (cProfile, {result.presses} answers; "
            f"SQLite's own thread adds {result.other_threads_share:.0%} on top):"
        )
        self.extra += [f"  {share:6.1%}  {category}" for category, share in rows]

    # --- 50 ms round trip ------------------------------------------------------------------

    async def round_trip(self) -> None:
        s = self.sizes

        async def run(
            label: str, argv: Sequence[str], warmup: float = s.warmup, **extra: int
        ) -> e2e.LatencyResult:
            settings: dict[str, str | int | float] = {"per_chat_rate": PER_CHAT_RATE, **extra}
            result = await e2e.latency_run(
                label, argv, self.scratch, residents=s.latency_residents, settings=settings,
                warmup=warmup, window=s.window, double_tap=self.double_tap,
            )  # fmt: skip
            self.check(result.rejections == 0, f"{label}: Bot API rejected calls")
            self.check(result.timeouts == 0, f"{label}: residents timed out")
            return result

        raised = (*LAUNCH, "--overall-rate", str(RAISED_RATE))
        runs = (
            run("sequential", SHIPPED, concurrency=1),
            # At 30 sends/s the first presses of everyone take N / 30 s to be answered: count
            # after that, when every resident waits for the whole crowd (the steady state).
            run("shipped", SHIPPED, warmup=s.warmup + s.latency_residents / SHIPPED_RATE),
            run("capacity", (*raised, "--request", "httpx")),
            run("aiohttp", (*raised, "--request", "aiohttp")),
        )
        if self.quick:  # all at once: CI checks that everything runs, not the figures
            one, shipped, capacity, aio = await asyncio.gather(*runs)
        else:
            one, shipped, capacity, aio = [await r for r in runs]
        self.notes.append(
            f"50 ms RTT: every Bot API call (getUpdates too) delayed 50 ms; "
            f"{s.latency_residents} residents at once, counted over {s.window:.0f} s after "
            f"{s.warmup:.1f} s (shipped limit: after "
            f"{s.warmup + s.latency_residents / SHIPPED_RATE:.1f} s, when everyone's first "
            f"press has been answered); {self.double_tap:.0%} of choices double-tapped; "
            f"baseline = the bot with "
            f"SURVEYBOT_CONCURRENCY=1 ({one.steps_per_second:.1f} answers/s; its p99 is cut "
            f"short by the window, its queue never drains); CPU-bound ceiling = 1 s / the "
            f"bot's CPU per answer in that run (answers/s one whole core could serve)"
            + ("; --quick: the four bots ran at the same time" if self.quick else "")
        )
        checked = capacity.double_taps + shipped.double_taps + aio.double_taps
        wrong = capacity.order_violations + shipped.order_violations + aio.order_violations
        self.figures += [
            ratio_figure(
                "50 ms RTT: answers/s, flood limit raised", aio.steps_per_second,
                one.steps_per_second, unit="/s", digits=1, baseline_label="1 at a time",
                target=">= 120/s", check=lambda r, m: m >= 120 and aio.order_violations == 0,
            ),
            ratio_figure(
                "50 ms RTT: answers/s, shipped limit 30 sends/s", shipped.steps_per_second,
                one.steps_per_second, unit="/s", digits=1, baseline_label="1 at a time",
                target="(capped at 30 edits/s)",
            ),
            ratio_figure(
                "50 ms RTT: p99 to next question, limit raised", aio.p99_ms, one.p99_ms,
                unit="ms", digits=0, baseline_label="1 at a time",
            ),
            ratio_figure(
                "50 ms RTT: p99 to next question, shipped limit", shipped.p99_ms, one.p99_ms,
                unit="ms", digits=0, baseline_label="1 at a time",
            ),
            Figure(
                "50 ms RTT: double taps handled out of order", f"{wrong} of {checked}", "-",
                None, target="0", holds=wrong == 0 and checked > 0,
            ),
            ratio_figure(
                "50 ms RTT: bot CPU per answer, aiohttp backend", aio.cpu_ms_per_step,
                capacity.cpu_ms_per_step, unit="ms", baseline_label="httpx",
            ),
            ratio_figure(
                "50 ms RTT: answers/s, aiohttp backend", aio.steps_per_second,
                capacity.steps_per_second, unit="/s", digits=1, baseline_label="httpx",
            ),
            ratio_figure(
                "50 ms RTT: CPU-bound ceiling on one core, httpx",
                1000 / max(capacity.cpu_ms_per_step, 1e-9), one.steps_per_second, unit="/s",
                digits=0, baseline_label="1 at a time, measured",
            ),
            ratio_figure(
                "50 ms RTT: CPU-bound ceiling on one core, aiohttp",
                1000 / max(aio.cpu_ms_per_step, 1e-9), one.steps_per_second, unit="/s",
                digits=0, baseline_label="1 at a time, measured",
            ),
        ]  # fmt: skip

    async def http_client(self) -> None:
        cpu = await micro.http_client_cpu(self.sizes.micro_seconds)
        us = {k: 1e6 * v for k, v in cpu.items()}
        self.figures += [
            ratio_figure(
                "HTTP client: CPU per Bot API request, aiohttp", us["aiohttp"], us["httpx"],
                unit="us", digits=0, baseline_label="httpx (PTB default)",
            ),
            ratio_figure(
                "HTTP client: CPU per Bot API request, sniffio installed",
                us["httpx_sniffio"], us["httpx"], unit="us", digits=0,
                baseline_label="httpx as installed",
            ),
        ]  # fmt: skip
        self.notes.append(
            "HTTP client: PTB's request.post() of an editMessageText with 8 buttons, one at a "
            "time, against a minimal keep-alive server in the same thread (its share is the "
            "same for all); contenders take turns in 0.1 s slices"
        )

    # --- store, /stats, memory ---------------------------------------------------------------

    def store(self) -> None:
        rates = _python("-m", "benchmarks.store_bench", str(self.sizes.store_seconds), timeout=120)
        plain = rates["plain"]
        base = "plain aiosqlite loop"

        def fig(
            name: str,
            key: str,
            target: str = "",
            check: Callable[[float, float], bool] | None = None,
        ) -> Figure:
            return ratio_figure(
                name, rates[key], plain, unit="/s", digits=0, baseline_label=base,
                target=target, check=check,
            )  # fmt: skip

        self.notes.append(
            "store: one CPU (sched_setaffinity), WAL + synchronous=FULL unless said; baseline "
            "= one upsert per transaction into a two-column table; contenders take turns in "
            f"0.2 s slices; session JSON {rates['session_bytes']:.0f} bytes"
        )
        self.figures += [
            fig(
                "store: durable steps/s (save_session)", "steps", target=">= 0.5x plain",
                check=lambda r, m: r >= 0.5,
            ),
            fig("store: durable completions/s (complete)", "completions"),
            fig("store: steps/s, synchronous=NORMAL", "steps_normal"),
            fig("store experiment: steps/s, one trip only", "onetrip_steps"),
            fig("store experiment: steps/s, same-day state-only only", "sameday_steps"),
            fig("store experiment: steps/s, one trip + state-only", "stateonly_steps"),
            fig("store experiment: completions/s, one trip", "onetrip_completions"),
        ]  # fmt: skip

    async def stats(self) -> None:
        s = self.sizes
        results = await stats_bench.measure(self.scratch, list(s.stats_sizes), s.stats_repeats)
        first, last = results[0], results[-1]
        labels = {1_000: "1k", 10_000: "10k", 100_000: "100k", 1_000_000: "1M"}
        for timing in results:
            is_last = timing is last
            self.figures.append(
                ratio_figure(
                    f"/stats: {labels.get(timing.answers, timing.answers)} answers",
                    _ms(timing.seconds), _ms(first.seconds), unit="ms", digits=0,
                    baseline_label="1k answers", target="<= 2x 1k" if is_last else "",
                    check=(lambda r, m: r <= 2.0) if is_last else None,
                )
            )  # fmt: skip
        self.figures.append(
            ratio_figure(
                "/stats: reading the tallies, 1M answers", _ms(last.read_seconds),
                _ms(first.read_seconds), unit="ms", digits=1, baseline_label="1k answers",
            )
        )  # fmt: skip
        self.notes.append(
            f"/stats: read tallies (publish_if_due) + headline + all {first.tables} tables "
            f"with disclosure control, cold cache; sizes take turns, median of "
            f"{s.stats_repeats} rounds; responses: "
            + ", ".join(f"{t.responses:,}" for t in results)
        )

    def report(self) -> None:
        n = 100 if self.quick else 1500
        found = _python("-m", "benchmarks.report_bench", str(n), timeout=600)
        self.figures.append(
            ratio_figure(
                "report: lägesbild PDF, realistic responses", found["report_seconds"],
                found["tables_seconds"], unit="s", digits=1,
                baseline_label="/stats all questions", target="< 60 s",
                check=lambda r, m: m < 60,
            )
        )  # fmt: skip
        self.notes.append(
            f"report: {int(found['responses']):,} responses, build + PDF "
            f"{found['report_seconds']:.1f} s wall, {found['report_cpu_seconds']:.1f} s CPU, "
            f"{found['pdf_bytes'] / 1024:.0f} kB"
        )

    def scale(self) -> None:
        """`benchmarks.scale_bench` in its own process; its figures join the table."""
        path = self.scratch / "scale.json"
        tiny = ["--together", "--replicas", "2", "--residents", "3", "--window", "2"]
        args = ["-m", "benchmarks.scale_bench", "--json", str(path), *(tiny if self.quick else [])]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True, timeout=900
        )
        self.check(done.returncode == 0, f"scale: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        if path.exists():
            self.figures += [Figure(**f) for f in json.loads(path.read_text(encoding="utf-8"))]
        self.extra.append(done.stdout.split("\n\n")[1] if "\n\n" in done.stdout else "")

    def memory(self) -> None:
        n = self.sizes.sessions
        found = _python("-m", "benchmarks.memory_bench", str(n), timeout=180)
        before, after = found["peak_before_kib"] / 1024, found["peak_after_kib"] / 1024
        growth = after - before
        self.figures.append(
            Figure(
                "memory: peak RSS growth, in-progress sessions",
                f"+{growth:.1f} MB for {n:,}",
                f"{before:.1f} MB peak before",
                after / before if before else None,
                target="< 30 MB",
                holds=growth < 30,
            )
        )
        self.check(found["sessions"] >= n, "memory: sessions were not all stored")


async def _run_all(run: Run, parts: set[str]) -> None:
    steps = {
        "e2e": run.end_to_end,
        "latency": run.round_trip,
        "http": run.http_client,
        "store": run.store,
        "stats": run.stats,
        "memory": run.memory,
        "report": run.report,
        "scale": run.scale,
    }
    took: list[str] = []
    for name, step in steps.items():
        if name not in parts:
            continue
        began = time.perf_counter()
        done = step()
        if done is not None:
            await done
        took.append(f"{name} {time.perf_counter() - began:.0f} s")
    run.notes.append("time per part: " + ", ".join(took))


PARTS = ("e2e", "latency", "http", "store", "stats", "memory", "report")
#: Parts run only when named in --only.
OPT_IN = ("scale",)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print the table, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI-size run (well under 60 s)")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"parts: {','.join(PARTS)} (and {','.join(OPT_IN)} when named)",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="also write figures here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument(
        "--residents", type=int, default=None, help="end-to-end residents (full run: 150)"
    )
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = parts - {*PARTS, *OPT_IN}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sizes = QUICK if args.quick else FULL
    if args.residents:
        sizes = replace(sizes, residents=args.residents)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trygghetsbot-bench-") as scratch:
        run = Run(sizes, Path(scratch), args.quick)
        asyncio.run(_run_all(run, parts))
    elapsed = time.perf_counter() - began
    if parts == set(PARTS):
        shown = {f.name for f in run.figures}
        for name in FIGURES:
            run.check(name in shown, f"the figure {name!r} was not measured")
    print(f"Trygghetsbot benchmarks ({'quick' if args.quick else 'full'} run, {elapsed:.0f} s)")
    print()
    print(table(run.figures))
    print()
    for note in run.notes:
        print(f"- {note}")
    if run.extra:
        print()
        print("\n".join(run.extra))
    for problem in run.problems:
        print(f"PROBLEM: {problem}")
    print()
    print(summary(run.figures))
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(f) for f in run.figures], indent=2), encoding="utf-8"
        )
    failed = any(f.holds is False for f in run.figures)
    if run.problems:
        return 2
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
