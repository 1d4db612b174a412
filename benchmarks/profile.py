"""Where the bot's CPU goes: a cProfile of the bot's main thread (`benchmarks.launch --profile`)
summed by who owns the code (HTTP client, PTB, the bot, SQLite calls, pydantic, ...).

What must hold: shares are of the profiled main thread's own CPU time (`tottime`, measured with
`time.thread_time`), so waiting is not counted; CPU of other threads (aiosqlite runs SQLite in
its own thread) is reported apart from /proc by the caller.
"""

from __future__ import annotations

import pstats
from collections import Counter
from pathlib import Path

#: (category, markers in a function's file path or name), first match wins.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "HTTP client (aiohttp or httpx, and their helpers)",
        ("/httpx/", "/httpcore/", "/anyio/", "/h11/", "/sniffio/", "/aiohttp/", "/yarl/",
         "/multidict/", "aiohttp", "yarl", "multidict", "/urllib/parse.py", "/ssl.py",
         "/http/cookiejar.py", "/urllib/request.py", "/email/", "/ipaddress.py"),
    ),
    (
        "imports at run time (failed `import sniffio`)",
        ("<frozen importlib", "posix.stat", "/_distutils_hack/", "__editable__"),
    ),
    ("python-telegram-bot", ("/telegram/",)),
    ("pydantic (sessions, survey)", ("/pydantic/", "pydantic_core")),
    ("aiosqlite (main-thread side)", ("/aiosqlite/", "_queue.SimpleQueue")),
    ("bot and storage code", ("/bot/", "/storage/", "/benchmarks/")),
    ("json", ("/json/", "_json")),
    ("asyncio event loop, sockets", ("/asyncio/", "selectors", "_socket", "select.epoll")),
)  # fmt: skip
OTHER = "everything else (stdlib, logging, ...)"


def categorise(where: str) -> str:
    """The category of one profiled function, from 'file:line(name)' or a built-in's name."""
    for category, markers in CATEGORIES:
        if any(marker in where for marker in markers):
            return category
    return OTHER


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    return f"{filename}:{line}({name})"


def breakdown(profile: Path) -> list[tuple[str, float]]:
    """(category, share of the profiled CPU), largest first. A built-in function's time (e.g.
    `isinstance`, `dict.get`, `posix.stat`) goes to the category of the code that called it."""
    stats = pstats.Stats(str(profile))
    totals: Counter[str] = Counter()
    for func, row in stats.stats.items():  # type: ignore[attr-defined]
        tottime, callers = row[2], row[4]
        if func[0] == "~" and callers and categorise(_where(func)) == OTHER:
            for caller, edge in callers.items():
                totals[categorise(_where(caller))] += edge[2]
        else:
            totals[categorise(_where(func))] += tottime
    whole = sum(totals.values()) or 1.0
    return [(category, seconds / whole) for category, seconds in totals.most_common()]
