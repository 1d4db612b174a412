"""`python -m benchmarks.scale_bench [--window S] [--residents N] [--replicas N] [--dsn DSN]`:
scale-out figures measured in one run, each against a baseline of the same run:

1. steps/s and CPU per step for 1, 2 and 3 replicas of the real bot in webhook mode behind a
   round-robin proxy, sharing one PostgreSQL, flood limits raised (ratio to 1 replica: how close
   to linear);
2. SQLite against PostgreSQL (webhook, 1 replica): latency and CPU per step and per completion;
3. webhook against polling (PostgreSQL, 1 replica): bot CPU per step.

Each deployment is run and measured by `benchmarks.deployment`, with the same workload. Without
`--dsn` a throwaway PostgreSQL is started (`tests.postgres.LocalPostgres`, fsync off) and its CPU
is measured too. What must hold: the machine's CPU count and load are printed with the figures
(on a shared machine steps/s measure the neighbours too; CPU per step is the steadier figure);
the exit status is 2 if a resident timed out or the Bot API rejected a call, else 0 (no target
is checked: these are measurements).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from benchmarks.deployment import (
    PER_CHAT_RATE,
    RAISED_RATE,
    Config,
    Measured,
    Postgres,
    measure,
)
from benchmarks.report import Figure, ratio_figure, table

#: Every figure name the run prints with 3 replicas (the smoke test checks them with 2).
STORE_FIGURES = (
    "store: p50 step latency, PostgreSQL",
    "store: p50 completion latency, PostgreSQL",
    "store: save_session() time, PostgreSQL",
    "store: complete() time, PostgreSQL",
    "store: bot CPU per step, PostgreSQL",
    "store: bot + database CPU per step, PostgreSQL",
    "store: bot + database CPU per completed survey, PostgreSQL",
)
TRANSPORT_FIGURES = (
    "transport: bot CPU per step, webhook",
    "transport: steps/s, webhook",
    "transport: p50 step latency, webhook",
)


def steps(measured: Measured) -> float:
    """Steps the bots stored inside the window (at least 1, to divide by)."""
    return max(measured.metrics.get("steps_total", 0.0), 1.0)


def replica_figures(replicas: int) -> tuple[str, ...]:
    """The names of the replica figures for 2..`replicas` replicas."""
    return tuple(
        f"replicas: {what}, {n} replicas"
        for n in range(2, replicas + 1)
        for what in ("steps/s", "bot CPU per step", "bot + database CPU per step")
    )


def configs(replicas: int) -> list[Config]:
    """Replicas 1..`replicas` on PostgreSQL by webhook, then SQLite, then polling, 1 replica."""
    found = [Config(n, "postgres", "webhook") for n in range(1, replicas + 1)]
    return [*found, Config(1, "sqlite", "webhook"), Config(1, "postgres", "polling")]


def _all_cpu(m: Measured) -> float:
    return m.bot_cpu + (m.pg_cpu or 0.0)


def figures(runs: dict[Config, Measured], replicas: int) -> list[Figure]:
    """The ratio table: replicas against 1, PostgreSQL against SQLite, webhook against polling."""
    one = runs[Config(1, "postgres", "webhook")]
    lite = runs[Config(1, "sqlite", "webhook")]
    poll = runs[Config(1, "postgres", "polling")]
    found: list[Figure] = []
    for n in range(2, replicas + 1):
        m = runs[Config(n, "postgres", "webhook")]
        found += [
            ratio_figure(
                f"replicas: steps/s, {n} replicas", m.steps_per_second, one.steps_per_second,
                unit="/s", digits=1, baseline_label="1 replica", target=f"linear: {n}.00x",
            ),
            ratio_figure(
                f"replicas: bot CPU per step, {n} replicas", m.per_step_ms(m.bot_cpu),
                one.per_step_ms(one.bot_cpu), unit="ms", baseline_label="1 replica",
            ),
            ratio_figure(
                f"replicas: bot + database CPU per step, {n} replicas",
                m.per_step_ms(_all_cpu(m)), one.per_step_ms(_all_cpu(one)), unit="ms",
                baseline_label="1 replica",
            ),
        ]  # fmt: skip
    sqlite = "SQLite"

    def store(name: str, pg: float, base: float, unit: str = "ms", digits: int = 2) -> Figure:
        if not pg or not base:  # e.g. no completion inside a window: nothing to compare
            return Figure(f"store: {name}, PostgreSQL", "-", f"- ({sqlite})", None)
        return ratio_figure(
            f"store: {name}, PostgreSQL", pg, base, unit=unit, digits=digits,
            baseline_label=sqlite,
        )  # fmt: skip

    def per_survey(m: Measured) -> float:
        return 1000 * _all_cpu(m) / m.completions if m.completions else 0.0

    found += [
        store(
            "p50 step latency", one.p50_ms(one.step_latencies),
            lite.p50_ms(lite.step_latencies), digits=1,
        ),
        store(
            "p50 completion latency", one.p50_ms(one.completion_latencies),
            lite.p50_ms(lite.completion_latencies), digits=1,
        ),
        store("save_session() time", one.store_ms("save_session"), lite.store_ms("save_session")),
        store("complete() time", one.store_ms("complete"), lite.store_ms("complete")),
        store("bot CPU per step", one.per_step_ms(one.bot_cpu), lite.per_step_ms(lite.bot_cpu)),
        store(
            "bot + database CPU per step", one.per_step_ms(_all_cpu(one)),
            lite.per_step_ms(_all_cpu(lite)),
        ),
        store(
            "bot + database CPU per completed survey", per_survey(one), per_survey(lite),
            digits=0,
        ),
        ratio_figure(
            "transport: bot CPU per step, webhook", one.per_step_ms(one.bot_cpu),
            poll.per_step_ms(poll.bot_cpu), unit="ms", baseline_label="polling",
        ),
        ratio_figure(
            "transport: steps/s, webhook", one.steps_per_second, poll.steps_per_second,
            unit="/s", digits=1, baseline_label="polling",
        ),
        ratio_figure(
            "transport: p50 step latency, webhook", one.p50_ms(one.step_latencies),
            poll.p50_ms(poll.step_latencies), unit="ms", digits=1, baseline_label="polling",
        ),
    ]  # fmt: skip
    return found


def deployments_table(runs: Sequence[Measured]) -> str:
    """One row per deployment: what it did in its window and what it cost."""
    head = (
        "Deployment", "steps/s", "completions/s", "p50 step", "p50 completion",
        "bot CPU/step", "db CPU/step", "harness CPU/step", "cores busy", "load",
    )  # fmt: skip
    rows = [head]
    for m in runs:
        busy = (m.bot_cpu + (m.pg_cpu or 0.0) + m.harness_cpu) / m.window
        rows.append(
            (
                m.config.label, f"{m.steps_per_second:.1f}", f"{m.completions / m.window:.1f}",
                f"{m.p50_ms(m.step_latencies):.1f} ms",
                f"{m.p50_ms(m.completion_latencies):.1f} ms" if m.completions else "-",
                f"{m.per_step_ms(m.bot_cpu):.2f} ms",
                "-" if m.pg_cpu is None else f"{m.per_step_ms(m.pg_cpu):.2f} ms",
                f"{m.per_step_ms(m.harness_cpu):.2f} ms", f"{busy:.2f}", f"{m.load:.1f}",
            )
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


async def run_all(args: argparse.Namespace, scratch: Path) -> tuple[list[Measured], list[str]]:
    """Every deployment in turn on one PostgreSQL server, `args.rounds` times (alternating the
    order), each deployment's rounds merged into one measurement."""
    pg = Postgres(args.dsn)
    problems: list[str] = []
    plan = configs(args.replicas)
    sizes = {"residents": args.residents, "warmup": args.warmup, "window": args.window}
    try:
        if args.together:  # the smoke test: checks that everything runs, not the figures
            runs = list(await asyncio.gather(*(measure(c, pg, scratch, **sizes) for c in plan)))
        else:
            found: dict[Config, Measured] = {}
            for round_ in range(args.rounds):  # odd rounds in reverse: drift hits all alike
                for config in plan if round_ % 2 == 0 else plan[::-1]:
                    m = await measure(config, pg, scratch, **sizes)
                    found[config] = found[config].merged(m) if config in found else m
            runs = [found[c] for c in plan]
        for m in runs:
            label = m.config.label
            if m.timeouts:
                problems.append(f"{label}: {m.timeouts} resident(s) timed out")
            if m.rejections:
                problems.append(f"{label}: {m.rejections} Bot API call(s) rejected")
    finally:
        pg.stop()
    return runs, problems


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print both tables and the notes, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench", description=__doc__)
    parser.add_argument("--window", type=float, default=10.0, help="seconds counted per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all deployments")
    parser.add_argument(
        "--warmup", type=float, default=8.0, help="seconds before counting (residents start spread)"
    )
    parser.add_argument("--residents", type=int, default=12, help="residents at a time")
    parser.add_argument("--replicas", type=int, default=3, choices=(2, 3), help="most replicas")
    parser.add_argument("--dsn", default=None, help="an existing PostgreSQL (default: start one)")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write figures here")
    parser.add_argument(
        "--together", action="store_true", help="all deployments at once (a smoke test, no figures)"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="trygghetsbot-scale-") as scratch:
        runs, problems = asyncio.run(run_all(args, Path(scratch)))
    by_config = {m.config: m for m in runs}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Trygghetsbot scale-out benchmark ({time.perf_counter() - began:.0f} s): {cores} CPUs, "
        f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print()
    print(deployments_table(runs))
    print()
    found = figures(by_config, args.replicas)
    print(table(found))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(f) for f in found], indent=2), "utf-8")
    print()
    rounds = (
        "all deployments at once"
        if args.together
        else f"in each of {args.rounds} rounds over all deployments (every other round in "
        "reverse order), merged"
    )
    print(
        f"- workload: {args.residents} residents at a time answer the survey with buttons, each "
        f"replaced when done (the first ones start spread over the {args.warmup:g} s "
        f"warm-up), then {args.window:g} s counted, {rounds}; flood limits raised "
        f"(SURVEYBOT_OVERALL_RATE={RAISED_RATE}, SURVEYBOT_PER_CHAT_RATE={PER_CHAT_RATE})"
    )
    print(
        "- CPU per step: of the bot processes (all replicas), of the PostgreSQL server "
        "(postmaster and backends; '-' for SQLite, whose work is in the bot's thread) and of the "
        "harness (fake Bot API, residents, proxy, this process); cores busy = their sum / window"
    )
    shares = "; ".join(
        f"{m.config.label}: {'/'.join(map(str, m.per_replica))}"
        for m in runs
        if m.config.replicas > 1
    )
    print(f"- webhook POSTs per replica (round robin, whole run): {shares}")
    counted = "; ".join(
        f"{m.config.label}: {m.metrics.get('steps_total', 0):.0f} steps, "
        f"{m.metrics.get('completions_total', 0):.0f} completions, "
        f"{m.metrics.get('pseudonym_derivations_total', 0):.0f} pseudonym derivations "
        f"({1000 * m.metrics.get('pseudonym_cpu_seconds_total', 0.0) / steps(m):.2f} ms "
        "of CPU per step)"
        for m in runs
    )
    print(f"- stored inside the window, by the bots' own /metrics: {counted}")
    if args.together:
        print("- --together: all deployments ran at the same time; the figures mean nothing")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 2 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
