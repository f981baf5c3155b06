"""Start, run and stop a simulator instance: one aiohttp application per platform, each on its own port.

`SimulatorServer` runs the event loop in a background thread (tests, benchmarks, the demo); the CLI runs it in
the foreground with `serve_forever()`.
"""
from __future__ import annotations

import asyncio
import errno
import json
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from core.settings import data_dir
from simulator.corpus import PLATFORMS
from simulator.listing import parse_id
from simulator.sellers import write_registry
from simulator.web.agencies import build_agencies
from simulator.web.app import build_app
from simulator.web.feed import build_feed
from simulator.web.hostile import build_hostile
from simulator.web.market import build_market
from simulator.web.search import build_search
from simulator.web.services import build_services
from simulator.web.site import Site
from simulator.world import World

BUILDERS: dict[str, Callable[[Site], web.Application]] = {
    "market": build_market,
    "feed": build_feed,
    "search": build_search,
    "agencies": build_agencies,
    "services": build_services,
    "app": build_app,
}


class SimulatorError(RuntimeError):
    """The simulator cannot start (port in use, bad option); the message says what to change."""


def default_out_dir() -> Path:
    return data_dir() / "simulator"


def planned_endpoints(host: str, port_base: int) -> dict[str, str]:
    """The endpoints `start --port-base` would serve (for `export` without a server)."""
    return {platform: f"http://{host}:{port_base + offset}" for offset, platform in enumerate(PLATFORMS)}


@dataclass
class SimulatorConfig:
    """Options of one instance: the CLI flags of `lantian simulator start` (`write_files=False` skips the exports;
    port_base 0 = free ports; rate_limit 0, fault_rate 0 and latency 0 = off; `hostile` adds the platform of
    attacks on the crawler, `simulator.web.hostile`, after the others)."""

    seed: int = 7
    listings: int = 2000
    host: str = "127.0.0.1"
    port_base: int = 0
    rate_limit: float = 0.0
    fault_rate: float = 0.0
    latency: float = 0.0
    disallow_images: bool = False
    hostile: bool = False
    out_dir: Path | None = None
    write_files: bool = True

    def validate(self) -> None:
        if self.listings < 1 or self.listings > 1_000_000:
            raise SimulatorError("--listings must be between 1 and 1,000,000")
        if not 0 <= self.fault_rate < 1:
            raise SimulatorError("--fault-rate must be in [0, 1)")
        if not 0 <= self.latency <= 60:
            raise SimulatorError("--latency must be between 0 and 60 seconds")
        if self.rate_limit < 0:
            raise SimulatorError("--rate-limit must be 0 (off) or a positive number of requests per second")
        last = 65535 - len(PLATFORMS) - self.hostile
        if self.port_base and not 1 <= self.port_base <= last:
            raise SimulatorError(f"--port-base must be 0 (free ports) or 1..{last}")


def export_files(world: World, out_dir: Path, endpoints: dict[str, str],
                 progress: Callable[[int], None] | None = None) -> dict[str, Path]:
    """Write endpoints.json, registry.csv and ground_truth.jsonl; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "endpoints": out_dir / "endpoints.json",
        "registry": out_dir / "registry.csv",
        "ground_truth": out_dir / "ground_truth.jsonl",
    }
    paths["endpoints"].write_text(json.dumps(endpoints, indent=2) + "\n", encoding="utf-8")
    write_registry(world.population.registry, paths["registry"])
    world.write_ground_truth(paths["ground_truth"], endpoints, progress)
    return paths


def _bind(host: str, port: int, platform: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SimulatorError(f"port {port} ({platform}) is already in use: choose another --port-base, "
                                 "or 0 for free ports") from exc
        raise SimulatorError(f"cannot listen on {host}:{port} ({platform}): {exc.strerror}") from exc
    return sock


class SimulatorServer:
    """One simulator instance: the world, its platform apps and the files it exports."""

    def __init__(self, config: SimulatorConfig | None = None, world: World | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.config.validate()
        self.world = world or World(self.config.seed, self.config.listings)
        self.site = Site(self.world, self.config.seed, self.config.rate_limit, self.config.fault_rate,
                         self.config.latency, self.config.disallow_images)
        self.out_dir = Path(self.config.out_dir) if self.config.out_dir else default_out_dir()
        self._sockets: dict[str, socket.socket] = {}
        self._runners: list[web.AppRunner] = []
        self.builders = {**BUILDERS, **({"hostile": build_hostile} if self.config.hostile else {})}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- files and addresses ---------------------------------------------------------------------------------------

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self.site.endpoints)

    @property
    def registry_path(self) -> Path:
        return self.out_dir / "registry.csv"

    @property
    def ground_truth_path(self) -> Path:
        return self.out_dir / "ground_truth.jsonl"

    @property
    def endpoints_path(self) -> Path:
        return self.out_dir / "endpoints.json"

    def _bind_all(self) -> None:
        url_host = "127.0.0.1" if self.config.host in ("0.0.0.0", "", "::") else self.config.host
        if ":" in url_host:
            url_host = f"[{url_host}]"
        try:
            for offset, platform in enumerate(self.builders):
                port = self.config.port_base + offset if self.config.port_base else 0
                sock = _bind(self.config.host, port, platform)
                self._sockets[platform] = sock
                self.site.endpoints[platform] = f"http://{url_host}:{sock.getsockname()[1]}"
        except SimulatorError:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()
            raise

    async def _start_apps(self) -> None:
        for platform, build in self.builders.items():
            runner = web.AppRunner(build(self.site), access_log=None, handle_signals=False, shutdown_timeout=1)
            await runner.setup()
            await web.SockSite(runner, self._sockets[platform]).start()
            self._runners.append(runner)

    async def _stop_apps(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    # -- background thread -----------------------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Bind the ports, write the files, and serve from a background thread; returns when ready."""
        self._bind_all()
        if self.config.write_files:
            export_files(self.world, self.out_dir, self.endpoints)
        self._loop = loop = asyncio.new_event_loop()
        ready: Future = Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_apps())
            except BaseException as exc:  # handed to the caller of start()
                ready.set_exception(exc)
                return
            ready.set_result(None)
            loop.run_forever()
            loop.run_until_complete(self._stop_apps())
            loop.close()

        self._thread = threading.Thread(target=run, name="lantian-simulator", daemon=True)
        self._thread.start()
        ready.result(timeout=60)
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        self._thread = None
        self._loop = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _in_loop(self, make: Callable[[], Any]) -> Any:
        """Run `make()` on the server's loop so it never races a request being served."""
        if not self._loop:
            return make()

        async def call() -> Any:
            return make()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=120)

    # -- the admin, from Python ------------------------------------------------------------------------------------

    def ground_truth(self) -> list[dict]:
        return self._in_loop(lambda: list(self.world.ground_truth(self.endpoints)))

    def remove(self, listing_id: str, mode: str = "delisted") -> dict:
        return self._admin(lambda index: self.world.remove(index, mode), listing_id)

    def restore(self, listing_id: str) -> dict:
        return self._admin(self.world.restore, listing_id)

    def edit(self, listing_id: str, **changes: Any) -> dict:
        return self._admin(lambda index: self.world.edit(index, changes), listing_id)

    def add(self, platform: str, **fields: Any) -> dict:
        return self._in_loop(lambda: self.world.truth(self.world.add(platform, fields), self.endpoints))

    def stats(self) -> dict:
        return self._in_loop(self.site.stats.as_dict)

    def _admin(self, action: Callable[[int], Any], listing_id: str) -> dict:
        index = parse_id(listing_id)
        return self._in_loop(lambda: self.world.truth(action(index), self.endpoints))

    # -- foreground ------------------------------------------------------------------------------------------------

    def serve_forever(self, on_ready: Callable[[], None] | None = None,
                      progress: Callable[[int], None] | None = None) -> None:
        """Serve in the current thread until Ctrl-C (the CLI)."""
        self._bind_all()
        if self.config.write_files:
            export_files(self.world, self.out_dir, self.endpoints, progress)

        async def main() -> None:
            await self._start_apps()
            if on_ready:
                on_ready()
            try:
                await asyncio.Event().wait()
            finally:
                await self._stop_apps()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
