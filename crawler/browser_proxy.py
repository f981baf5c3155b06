"""The SOCKS5 proxy every browser context of the crawl connects through, where Chromium's host names are resolved
and screened.

Chromium resolves the names a page asks for itself (its document, scripts, stylesheets, fetches, redirects), so a
check of a name before the request (`crawler.browser.internal_request`, which reads hosts as written) cannot see
what Chromium will connect to: a seller's name that answers 127.0.0.1, or that answers with a public address first
and an internal one at Chromium's look-up (DNS rebinding), reached this machine's other ports. Through a SOCKS5
proxy Chromium hands over the name unresolved; the proxy looks it up, drops the internal addresses it may not reach
(`crawler.addresses.refused_answer`), and connects to an address it kept, the one it checked. Hosts written as IP
addresses go direct (`DIRECT`): they need no look-up and were judged as written.

The proxy runs on an event loop of its own, in a daemon thread: every byte Chromium fetches by name passes it, and on
the crawl's loop each would wait while parsing, pipelines or the detector hold that loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Collection

from crawler.addresses import Origin, refused_answer

logger = logging.getLogger(__name__)

DIRECT = "0.0.0.0/0,::/0"
"""Chromium's proxy bypass rules: hosts written as IP addresses (Chromium matches ranges only against IP literals),
judged as written by `internal_request`. Names, `localhost` among them, go through the proxy."""
CONNECT_TIMEOUT_S = 30.0
"""As long as Scrapy's DOWNLOAD_TIMEOUT gives a connection."""
CHUNK = 65536

# SOCKS5 (RFC 1928)
VERSION = 5
NO_AUTHENTICATION = 0
CONNECT = 1
IPV4, DOMAIN, IPV6 = 1, 3, 4
SUCCEEDED, FAILURE, NOT_ALLOWED, HOST_UNREACHABLE, REFUSED, NOT_SUPPORTED = 0, 1, 2, 4, 5, 7


class ScreeningProxy:
    """A SOCKS5 proxy on 127.0.0.1 (CONNECT only, no authentication) that connects to no internal address a public
    name answered, unless its host and port are one of `own` (the crawl's configured platforms). It serves on a
    loop of its own in a daemon thread, from `start()` to `close()`; each refusal is passed to
    `on_refused(host, port, addresses)` on the loop that called `start()`."""

    def __init__(self, on_refused: Callable[[str, int, list[str]], None]) -> None:
        self.on_refused = on_refused
        self.own: Collection[Origin] = frozenset()
        self.server: asyncio.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.caller: asyncio.AbstractEventLoop | None = None
        self.starting = asyncio.Lock()

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return f"socks5://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def start(self, own: Collection[Origin]) -> None:
        """Serve in a new thread, once however many contexts ask at the same time; `own` are the origins that may
        answer internal addresses, fixed for the run."""
        async with self.starting:
            if self.server is None:
                await self._start(own)

    async def _start(self, own: Collection[Origin]) -> None:
        self.own = own
        self.caller = asyncio.get_running_loop()
        loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=_run, args=(loop,), name="lantian-screening-proxy", daemon=True)
        self.thread.start()
        self.loop = loop
        try:
            self.server = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
                asyncio.start_server(self._serve, "127.0.0.1", 0), loop))
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop serving, end the connections still open, and end the thread."""
        if self.loop is None or self.thread is None:
            return
        loop, thread, self.loop, self.thread = self.loop, self.thread, None, None
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._shut(), loop))
        self.server = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    async def _shut(self) -> None:
        """On the proxy's loop: close the server and cancel the connections it serves."""
        if self.server is not None:
            self.server.close()
        serving = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in serving:
            task.cancel()
        await asyncio.gather(*serving, return_exceptions=True)

    def _refused(self, host: str, port: int, addresses: list[str]) -> None:
        """Hand a refusal to the loop that started the proxy, whose objects (the crawl's stats) are not shared."""
        assert self.caller is not None
        self.caller.call_soon_threadsafe(self.on_refused, host, port, addresses)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await self._handshake(reader, writer)
            if upstream is not None:
                await _pipe(reader, writer, *upstream)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        version, methods = await reader.readexactly(2)
        offered = await reader.readexactly(methods)
        if version != VERSION or NO_AUTHENTICATION not in offered:
            writer.write(bytes([VERSION, 0xFF]))
            return None
        writer.write(bytes([VERSION, NO_AUTHENTICATION]))
        _, command, _, kind = await reader.readexactly(4)
        if kind == IPV4:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif kind == IPV6:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif kind == DOMAIN:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode("idna")
        else:
            await _reply(writer, NOT_SUPPORTED)
            return None
        port = int.from_bytes(await reader.readexactly(2), "big")
        if command != CONNECT:
            await _reply(writer, NOT_SUPPORTED)
            return None
        try:
            answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            await _reply(writer, HOST_UNREACHABLE)
            return None
        addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
        refused = [address for address in addresses if refused_answer(host, port, address, self.own)]
        if refused:
            self._refused(host, port, refused)
        for address in (address for address in addresses if address not in refused):
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError):
                continue
            await _reply(writer, SUCCEEDED)
            return upstream
        await _reply(writer, NOT_ALLOWED if refused else REFUSED)
        return None


def _run(loop: asyncio.AbstractEventLoop) -> None:
    """The proxy thread: its loop runs until `ScreeningProxy.close` stops it."""
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


async def _reply(writer: asyncio.StreamWriter, status: int) -> None:
    """A SOCKS5 reply with `status` (no bound address: Chromium does not use it)."""
    writer.write(bytes([VERSION, status, 0, IPV4]) + ipaddress.IPv4Address(0).packed + bytes(2))
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream_reader: asyncio.StreamReader,
                upstream_writer: asyncio.StreamWriter) -> None:
    """Copy both ways until both sides have finished."""

    async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(CHUNK):
                sink.write(chunk)
                await sink.drain()
            if sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, OSError):
            sink.close()

    try:
        await asyncio.gather(copy(reader, upstream_writer), copy(upstream_reader, writer))
    finally:
        upstream_writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await upstream_writer.wait_closed()
