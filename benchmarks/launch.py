"""`python -m benchmarks.launch [options]`: `survey-bot run` (`bot.cli.main`) with experimental
changes applied in this process only, to measure them before anyone changes the bot.

- `--overall-rate N`: the overall flood limit (sends/s), i.e. SURVEYBOT_OVERALL_RATE (default 30,
  Telegram's limit);
- `--request httpx|aiohttp`: the HTTP client under PTB, i.e. SURVEYBOT_HTTP_CLIENT (the bot's
  default is aiohttp; httpx is PTB's own, kept for comparison);
- `--no-sniffio-lookup`: `sys.modules["sniffio"] = None`, so httpcore's `import sniffio` (on
  every lock it sets up, i.e. several times per request) fails at once instead of searching
  `sys.path` each time; the effect of installing `sniffio`, which httpcore uses but no longer
  gets as a dependency (anyio 4.16 does not require it);
- `--profile FILE`: cProfile of the main thread's CPU time (`time.thread_time`, so waiting
  in epoll does not count), from SIGUSR1 (sent once the bot polls, so start-up is left out)
  until the bot stops, written to FILE.

Without options it is exactly `python -m bot run`. Settings come from SURVEYBOT_* as usual.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import signal
import sys
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Apply the chosen changes, then run the bot like `survey-bot run`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.launch")
    parser.add_argument("--overall-rate", type=float, default=None)
    parser.add_argument("--request", choices=("httpx", "aiohttp"), default="aiohttp")
    parser.add_argument("--no-sniffio-lookup", action="store_true")
    parser.add_argument("--profile", default=None, metavar="FILE")
    args = parser.parse_args(argv)

    from bot.cli.main import main as cli_main

    if args.overall_rate is not None:
        os.environ["SURVEYBOT_OVERALL_RATE"] = str(args.overall_rate)
    os.environ["SURVEYBOT_HTTP_CLIENT"] = args.request
    if args.no_sniffio_lookup:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    if args.profile is None:
        return cli_main(["run"])
    profiler = cProfile.Profile(time.thread_time)  # CPU of the main thread, not waiting
    signal.signal(signal.SIGUSR1, lambda signum, frame: profiler.enable())
    try:
        return cli_main(["run"])
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    raise SystemExit(main())
