"""The browser's screening proxy serves on a loop of its own: Chromium's bytes do not wait while the crawl's loop is
busy (parsing, pipelines, the detector), and its thread ends with it."""
from __future__ import annotations

import asyncio
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from crawler.browser_proxy import CONNECT, DOMAIN, NO_AUTHENTICATION, SUCCEEDED, VERSION, ScreeningProxy


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(self.request.recv(1024))


@pytest.fixture
def echo_port() -> Iterator[int]:
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server.server_address[1]
        server.shutdown()


def echo_through(proxy_port: int, port: int) -> bytes:
    """A SOCKS5 CONNECT to localhost:`port` by name and one echoed message, with blocking sockets."""
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=5) as client:
        client.sendall(bytes([VERSION, 1, NO_AUTHENTICATION]))
        assert client.recv(2) == bytes([VERSION, NO_AUTHENTICATION])
        name = b"localhost"
        client.sendall(bytes([VERSION, CONNECT, 0, DOMAIN, len(name)]) + name + port.to_bytes(2, "big"))
        reply = client.recv(10)
        assert reply[1] == SUCCEEDED
        client.sendall(b"ping")
        return client.recv(4)


def test_the_proxy_serves_while_the_loop_that_started_it_is_blocked(echo_port: int) -> None:
    async def crawl() -> bytes:
        proxy = ScreeningProxy(lambda host, port, addresses: None)
        await proxy.start(frozenset())
        try:
            proxy_port = int(proxy.url.rsplit(":", 1)[1])
            return echo_through(proxy_port, echo_port)  # no await: this loop is held throughout
        finally:
            await proxy.close()

    assert asyncio.run(crawl()) == b"ping"


def test_closing_the_proxy_ends_its_thread_and_stops_serving(echo_port: int) -> None:
    async def crawl() -> tuple[threading.Thread, int]:
        proxy = ScreeningProxy(lambda host, port, addresses: None)
        await asyncio.gather(proxy.start(frozenset()), proxy.start(frozenset()))
        serving = [thread for thread in threading.enumerate() if thread.name == "lantian-screening-proxy"]
        assert len(serving) == 1, "two contexts asking at once start one proxy"
        proxy_port = int(proxy.url.rsplit(":", 1)[1])
        await proxy.close()
        return serving[0], proxy_port

    thread, proxy_port = asyncio.run(crawl())
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy_port), timeout=5).close()
