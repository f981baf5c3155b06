"""Start, stop and inspect lantian's local single-node Elasticsearch.

The server is the Maven module in `index/es-server` (`make es-server` builds it): the real Elasticsearch server and
its Netty4 HTTP transport from Maven Central, run in one JVM. It keeps its data, pid file, state and log in one home
directory (default `<data dir>/es`), listens on 127.0.0.1 only, and runs detached from the process that started it,
so `lantian es start` returns while the server keeps running until `lantian es stop`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from core.environment import environment
from core.settings import data_dir, project_root

DEFAULT_PORT = 9200
DEFAULT_HEAP = "512m"
JAR_NAME = "lantian-es-server.jar"
LOG_TAIL_LINES = 40
_HEAP_PATTERN = re.compile(r"^[1-9][0-9]*[mMgG]$")
_STACK_FRAME = re.compile(r"^\s+(at |\.\.\. \d+ more)")


class EsServerError(RuntimeError):
    """The local server cannot be built, started, reached or stopped; the message says why and what to do."""


def default_jar() -> Path:
    return project_root() / "index" / "es-server" / "target" / JAR_NAME


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_java() -> str:
    """`LANTIAN_JAVA`, else `$JAVA_HOME/bin/java`, else `java` on PATH (Java 17 or newer)."""
    variables = environment()
    candidates = [variables.java, variables.java_home and variables.java_home / "bin" / "java", shutil.which("java")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise EsServerError("java not found: install Java 17 or newer, or set LANTIAN_JAVA to the java binary")


@dataclass(frozen=True)
class EsInfo:
    """What an Elasticsearch at some URL says about itself."""

    url: str
    version: str
    cluster_name: str
    health: str
    unassigned_shards: int
    heap_max_bytes: int | None
    heap_used_bytes: int | None


def describe(url: str, timeout: float = 5.0) -> EsInfo:
    """Ask the Elasticsearch at `url` for its version, cluster health and heap (local server or any other)."""
    url = url.rstrip("/")
    try:
        with httpx.Client(base_url=url, timeout=timeout) as client:
            root = _get_json(client, "/")
            health = _get_json(client, "/_cluster/health")
            nodes = _get_json(client, "/_nodes/_local/stats/jvm").get("nodes", {})
    except httpx.HTTPError as exc:
        raise EsServerError(f"Elasticsearch at {url} is not reachable: {exc}") from exc
    node: dict[str, Any] = next(iter(nodes.values()), {})
    heap = node.get("jvm", {}).get("mem", {})
    return EsInfo(
        url=url,
        version=root["version"]["number"],
        cluster_name=root.get("cluster_name", ""),
        health=health["status"],
        unassigned_shards=health.get("unassigned_shards", 0),
        heap_max_bytes=heap.get("heap_max_in_bytes"),
        heap_used_bytes=heap.get("heap_used_in_bytes"),
    )


def _get_json(client: httpx.Client, path: str) -> dict[str, Any]:
    response = client.get(path)
    response.raise_for_status()
    return response.json()


@dataclass(frozen=True)
class EsStatus:
    """The local server as seen from its home directory: the process, and what it answers when it is up."""

    home: Path
    running: bool
    url: str | None = None
    pid: int | None = None
    rss_bytes: int | None = None
    info: EsInfo | None = None
    error: str | None = None


class EsServer:
    """One local single-node Elasticsearch, identified by its home directory (data, pid file, state, log).

    With `owner_pid` the server also stops when that process ends (test sessions pass their own pid).
    """

    def __init__(
        self,
        home: Path | None = None,
        port: int = DEFAULT_PORT,
        heap: str = DEFAULT_HEAP,
        jar: Path | None = None,
        owner_pid: int | None = None,
    ) -> None:
        if not _HEAP_PATTERN.match(heap):
            raise EsServerError(f"heap {heap!r} is not a JVM size such as 512m or 1g")
        if not 0 < port < 65536:
            raise EsServerError(f"port {port} is not a TCP port (1-65535)")
        self.home = (Path(home) if home is not None else data_dir() / "es").absolute()
        self.port = port
        self.heap = heap
        self.jar = (Path(jar) if jar is not None else default_jar()).absolute()
        self.owner_pid = owner_pid
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid_file(self) -> Path:
        return self.home / "es.pid"

    @property
    def state_file(self) -> Path:
        return self.home / "es.json"

    @property
    def log_file(self) -> Path:
        return self.home / "es.log"

    @property
    def url(self) -> str:
        """The URL of the running server (its recorded port), else the one `start` would use."""
        state = self._read_state()
        return state["url"] if state else f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True, timeout: float = 180.0) -> str:
        """Start the server detached and, with `wait`, return once all primary shards are allocated."""
        running = self._running_process()
        if running is not None:
            raise EsServerError(f"Elasticsearch is already running at {self.url} (pid {running.pid}); "
                                "`lantian es stop` it first")
        if not self.jar.is_file():
            raise EsServerError(f"Elasticsearch server jar {self.jar} is not built: run `make es-server`")
        if not _port_is_free(self.port):
            raise EsServerError(f"port {self.port} on 127.0.0.1 is already in use: choose another with --port")
        java = find_java()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "tmp").mkdir(exist_ok=True)
        with open(self.log_file, "wb") as log:
            self._process = subprocess.Popen(
                self._command(java),
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{self.port}"
        self.pid_file.write_text(f"{self._process.pid}\n", encoding="utf-8")
        self.state_file.write_text(json.dumps({"pid": self._process.pid, "url": url, "port": self.port,
                                               "heap": self.heap, "started_at": time.time()}), encoding="utf-8")
        if wait:
            try:
                self._wait_ready(self._process, url, timeout)
            except KeyboardInterrupt:
                self.stop()
                raise
        return url

    def stop(self, timeout: float = 60.0) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout` seconds); return its pid, or None if not running."""
        process = self._running_process()
        pid = process.pid if process is not None else None
        if process is not None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=timeout)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            except psutil.NoSuchProcess:
                pass
        if self._process is not None:
            self._process.wait(timeout=10)
            self._process = None
        self.pid_file.unlink(missing_ok=True)
        self.state_file.unlink(missing_ok=True)
        return pid

    def status(self) -> EsStatus:
        """Whether the server runs, and if it answers: its URL, pid, RSS, version, health and heap."""
        process = self._running_process()
        if process is None:
            return EsStatus(home=self.home, running=False)
        url = self.url
        try:
            rss = process.memory_info().rss
        except psutil.Error:
            rss = None
        try:
            info, error = describe(url), None
        except (EsServerError, KeyError, ValueError) as exc:
            info, error = None, str(exc)
        return EsStatus(home=self.home, running=True, url=url, pid=process.pid, rss_bytes=rss, info=info,
                        error=error)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the log, without Java stack frames, so the messages and their causes show."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        kept = [line for line in text.splitlines() if not _STACK_FRAME.match(line)]
        return "\n".join(kept[-lines:])

    def _command(self, java: str) -> list[str]:
        jvm = [
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-Dfile.encoding=UTF-8",
            "-Djava.awt.headless=true",
            f"-Djava.io.tmpdir={self.home / 'tmp'}",
        ]
        if self.owner_pid is not None:
            jvm.append(f"-Dlantian.es.owner-pid={self.owner_pid}")
        return [java, *jvm, "-jar", str(self.jar), f"-Epath.home={self.home}", f"-Ehttp.port={self.port}"]

    def _wait_ready(self, process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health_path = "/_cluster/health?wait_for_status=yellow&wait_for_no_initializing_shards=true&timeout=1s"
        with httpx.Client(base_url=url, timeout=5.0) as client:
            while True:
                code = process.poll()
                if code is not None:
                    self.pid_file.unlink(missing_ok=True)
                    self.state_file.unlink(missing_ok=True)
                    self._process = None
                    raise EsServerError(f"Elasticsearch exited with code {code} while starting; "
                                        f"last lines of {self.log_file}:\n{self.log_tail()}")
                try:
                    response = client.get(health_path)
                    if response.status_code == 200 and not response.json().get("timed_out", True):
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise EsServerError(f"Elasticsearch was not ready within {timeout:.0f}s and was stopped; "
                                        f"last lines of {self.log_file}:\n{self.log_tail()}")
                time.sleep(0.25)

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _running_process(self) -> psutil.Process | None:
        """The process in the pid file, if it is still this home's server (not a recycled pid)."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
            process = psutil.Process(pid)
            cmdline = process.cmdline()
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
        except (FileNotFoundError, ValueError, psutil.Error):
            return None
        if str(self.jar) in cmdline and f"-Epath.home={self.home}" in cmdline:
            return process
        return None


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Elasticsearch binds it
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
