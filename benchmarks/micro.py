"""The HTTP client alone, in this process: CPU per Bot API request of PTB's `HTTPXRequest` (as
shipped; and with `sniffio` importable, as if installed) and of
`bot.adapters.telegram.aiohttp_request.AiohttpRequest`, against a minimal keep-alive HTTP server on
127.0.0.1 in the same thread (its cost is the same for every client).

What must hold: contenders take turns in short slices for the whole time (so machine noise hits
them alike) and CPU is this thread's (`time.thread_time`), not wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.adapters.telegram.aiohttp_request import AiohttpRequest

_BODY = b'{"ok":true,"result":true}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(_BODY)).encode()
    + b"\r\n\r\n"
    + _BODY
)
SLICE = 0.1


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer every request on a keep-alive connection with `_RESPONSE`."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(_RESPONSE)
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def _server() -> AsyncIterator[str]:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot123:abc/editMessageText"
    finally:
        server.close()


def _edit_request() -> RequestData:
    """Parameters like the bot's editMessageText of a question with eight buttons."""
    keyboard = {
        "inline_keyboard": [
            [{"text": f"Svarsalternativ nummer {i}", "callback_data": f"12:c:choice_{i}"}]
            for i in range(8)
        ]
    }
    values = {
        "chat_id": 700_000_001,
        "message_id": 42,
        "text": "<b>Fråga 5 av 22</b>  ▰▰▱▱▱▱▱▱▱▱\n\n<b>Hur trygg känner du dig?</b>",
        "parse_mode": "HTML",
        "reply_markup": keyboard,
    }
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


@contextlib.contextmanager
def _sniffio_importable() -> Iterator[None]:
    """Make `import sniffio` cheap, as if it were installed (httpcore then skips the search)."""
    had = "sniffio" in sys.modules
    old = sys.modules.get("sniffio")
    sys.modules["sniffio"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if had:
            sys.modules["sniffio"] = old  # type: ignore[assignment]
        else:
            del sys.modules["sniffio"]


async def _turns(
    contenders: dict[str, Callable[[], Awaitable[int]]], seconds: float
) -> dict[str, float]:
    """CPU seconds per operation of each contender, taking turns in slices."""
    cpu = dict.fromkeys(contenders, 0.0)
    count = dict.fromkeys(contenders, 0)
    for _ in range(max(1, round(seconds / SLICE / len(contenders)))):
        for name, run in contenders.items():
            began = time.thread_time()
            deadline = time.perf_counter() + SLICE
            while time.perf_counter() < deadline:
                count[name] += await run()
            cpu[name] += time.thread_time() - began
    return {name: cpu[name] / max(count[name], 1) for name in contenders}


async def http_client_cpu(seconds: float) -> dict[str, float]:
    """CPU seconds per request: 'httpx', 'httpx_sniffio', 'aiohttp'."""
    data = _edit_request()
    async with _server() as url:
        httpx_request = HTTPXRequest(connection_pool_size=40, read_timeout=15, write_timeout=15)
        aiohttp_request = AiohttpRequest(40, read_timeout=15, write_timeout=15)
        requests: list[BaseRequest] = [httpx_request, aiohttp_request]
        for request in requests:
            await request.initialize()
        try:

            async def with_httpx() -> int:
                await httpx_request.post(url, data)
                return 1

            async def with_httpx_sniffio() -> int:
                with _sniffio_importable():
                    await httpx_request.post(url, data)
                return 1

            async def with_aiohttp() -> int:
                await aiohttp_request.post(url, data)
                return 1

            for warm in (with_httpx, with_aiohttp):
                for _ in range(20):
                    await warm()
            return await _turns(
                {"httpx": with_httpx, "httpx_sniffio": with_httpx_sniffio, "aiohttp": with_aiohttp},
                seconds,
            )
        finally:
            for request in requests:
                await request.shutdown()
