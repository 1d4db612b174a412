"""The disclosure audit over a series of publications, one publication at a time: how long each
audit takes, how much it hides, and whether it fell back to hiding everything. A lighter look at
what `benchmarks.stats_bench` reports for the same realistic data set, for work on the audit
(`bot.stats.disclosure`, `bot.stats.newcomers`).

`python -m benchmarks.audit_bench [publications] [responses] [commit]`: the first
`publications` of a month of daily looks at `responses` responses (default: all 31 of 1,500),
with the audit as it is and as it was at `commit` (default `BEFORE`, loaded from git).
`publications` = `schedule`: the shipped survey's release schedule instead (100, 200, 400, 800
and the close for 1,500). What must hold: the same data set and looks as `stats_bench` ("daily,
31", "chosen"), so the figures compare; the review's attacks are counted on the shown numbers as
there (they must stay zero).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

from benchmarks.answers import shipped_survey
from benchmarks.stats_bench import (
    Publication,
    halmstad_responses,
    hidden_share,
    review_attacks,
    scheduled_looks,
    snapshot_of_answers,
)
from bot.stats.disclosure import audit
from bot.stats.history import History
from bot.stats.model import tally_model

#: The audit before complements were read from the reader's proof (`bot.stats.complements`,
#: z12b); 3a69417 is the one before forced zeros (`bot.stats.forced`, z12), 82eeada the one
#: before every earlier publication was modelled (n12), ef11d14 before the newcomers were (p12a).
BEFORE = "5e58c6c"

#: The audit's modules, each after those it imports; a commit may lack the optional ones.
MODULES = ("span", "history", "chains", "forced", "newcomers", "complements", "disclosure")
OPTIONAL = {"chains", "forced", "newcomers", "complements"}

Audit = Callable[..., tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]]]


def audit_at(commit: str) -> tuple[Audit, type[History]] | None:
    """`audit` and `History` as they were at `commit` (None without git)."""
    root = Path(__file__).resolve().parent.parent
    loaded: dict[str, types.ModuleType] = {}
    for name in MODULES:
        found = subprocess.run(
            ["git", "show", f"{commit}:bot/stats/{name}.py"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if found.returncode and name in OPTIONAL:
            continue  # not there yet
        if found.returncode:
            return None
        source = found.stdout
        for earlier in loaded:
            source = source.replace(f"bot.stats.{earlier} ", f"before_{earlier} ")
        module = types.ModuleType(f"before_{name}")
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(source, f"before_{name}.py", "exec"), module.__dict__)
        loaded[name] = module
    return loaded["disclosure"].audit, loaded["history"].History


def run(looks: list[int], n: int, audit: Audit, history_type: type[History]) -> None:
    survey = shipped_survey()
    k = survey.min_group_size
    stream = halmstad_responses(survey, n)
    history = history_type()
    done: list[Publication] = []
    for look in looks:
        model = tally_model(survey, snapshot_of_answers(survey, stream[:look]))
        began = time.perf_counter()
        suppressed, known = audit(model, k, history)
        seconds = time.perf_counter() - began
        history = history_type.from_json(history.after(model, known).to_json())
        done.append(Publication(model, suppressed, seconds))
        hidden, lost = hidden_share(done[-1])
        print(
            f"  after {look:5}: audit {seconds * 1000:7.0f} ms, hides {hidden:6.1%} of answer "
            f"counts, {lost:6.1%} of split percentages",
            flush=True,
        )
    times = [p.seconds for p in done]
    print(
        f"  audit {statistics.median(times) * 1000:.0f} ms median, {max(times) * 1000:.0f} ms "
        f"max; attacks that succeed: {review_attacks(done, k)}",
        flush=True,
    )


def main(publications: str = "31", n: int = 1_500, commit: str = BEFORE) -> None:
    if publications == "schedule":
        survey = shipped_survey()
        looks = scheduled_looks(survey, n, survey.releases)
        print(f"the release schedule at {n:,} responses: {looks}", flush=True)
    else:
        looks = [round(n * (d + 1) / 31) for d in range(31)][: int(publications)]
        print(f"daily looks at {n:,} responses, the first {publications}", flush=True)
    print("the audit now:", flush=True)
    run(looks, n, audit, History)
    before = audit_at(commit)
    if before is None:
        print(f"  ({commit} not found in git)")
    else:
        print(f"the audit at {commit}:", flush=True)
        run(looks, n, *before)


if __name__ == "__main__":
    given = sys.argv[1:]
    main(
        given[0] if given else "31",
        int(given[1]) if len(given) > 1 else 1_500,
        given[2] if len(given) > 2 else BEFORE,
    )
