import asyncio, random, time, cProfile, pstats
import pytest
from tests.e2e.harness import running_bot
from tests.faults.conftest import make_takers, run_all

async def test_probe(server, survey, tmp_path):
    takers = make_takers(server, survey, 200, 1, patience=20)
    async with running_bot(server, survey, tmp_path / "s.db", concurrency=32, overall_rate=0) as bot:
        task = asyncio.create_task(run_all(takers, 100))
        await asyncio.sleep(3)
        pr = cProfile.Profile(); pr.enable()
        s0 = sum(x.actions for x in takers)
        await asyncio.sleep(10)
        pr.disable()
        steps = sum(x.actions for x in takers) - s0
        task.cancel()
        print(f"\n{steps} steps in 10 s")
        st = pstats.Stats(pr); st.print_callers("_find_and_load")
