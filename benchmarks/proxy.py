"""A small round-robin HTTP proxy on loopback: the load balancer in front of bot replicas.

Each request goes to the next upstream in turn, with its method, path, body and headers (the
webhook's secret-token header too); the upstream's status and body come back unchanged. An
upstream that cannot be reached gets 502, as a load balancer answers (Telegram then sends the
update again).

What must hold: it forwards in strict turn (request i goes to upstream i mod n), so the replicas
get the same share of the load; it keeps connections to the upstreams open between requests;
it binds only to 127.0.0.1.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from types import TracebackType

import aiohttp
from aiohttp import web

#: Request headers not passed on: hop-by-hop, or set again by the client session.
_DROPPED = frozenset({"host", "connection", "content-length", "transfer-encoding", "keep-alive"})


class RoundRobinProxy:
    """`async with RoundRobinProxy(upstreams) as proxy:` listens on `proxy.url`."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        """`upstreams` are base URLs such as `http://127.0.0.1:8081`."""
        if not upstreams:
            raise ValueError("a proxy needs at least one upstream")
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.forwarded = [0] * len(self.upstreams)
        #: Requests answered 502 because their upstream could not be reached.
        self.failed = 0
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RoundRobinProxy:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), auto_decompress=False
        )
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index = next(self._turn)
        self.forwarded[index] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
        body = await request.read()
        try:
            async with self._session.request(
                request.method,
                self.upstreams[index] + request.path_qs,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=70),
            ) as answer:
                payload = await answer.read()
                kind = answer.headers.get("Content-Type")
                return web.Response(
                    status=answer.status,
                    body=payload,
                    content_type=None,
                    headers={"Content-Type": kind} if kind else None,
                )
        except (aiohttp.ClientError, TimeoutError):
            self.failed += 1
            return web.Response(status=502, text="upstream unreachable\n")
