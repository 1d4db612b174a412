"""The aiohttp backend honours `pool_timeout`: a request that waits for a pooled connection
longer than that (plus the connect timeout, which aiohttp counts in the same wait) raises PTB's
`TimedOut` without opening a connection, while the request holding the connection goes on
(issue 10 item 6)."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import TimedOut

from bot.adapters.telegram.aiohttp_request import AiohttpRequest


async def test_waiting_for_a_pooled_connection_longer_than_pool_timeout_times_out() -> None:
    connections: list[asyncio.StreamWriter] = []
    accepted = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        accepted.set()
        await reader.read()  # holds the connection until the client goes

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/botX/getMe"
    request = AiohttpRequest(
        connection_pool_size=1, read_timeout=30, write_timeout=30, connect_timeout=0.2,
        pool_timeout=0.2,
    )  # fmt: skip
    await request.initialize()
    try:
        holder = asyncio.create_task(request.do_request(url, "POST"))
        await asyncio.wait_for(accepted.wait(), 10)
        with pytest.raises(TimedOut):
            await request.do_request(url, "POST")
        assert len(connections) == 1, "the second request opened no connection of its own"
        assert not holder.done(), "the first request still holds its connection"
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
