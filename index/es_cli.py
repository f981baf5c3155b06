"""`lantian es start|stop|status`: the local single-node Elasticsearch server."""
from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from index.es_server import DEFAULT_HEAP, DEFAULT_PORT, EsServer, EsServerError, EsStatus, describe

console = Console()
err_console = Console(stderr=True)

es_app = typer.Typer(
    name="es",
    help="Run lantian's local single-node Elasticsearch (built by `make es-server`) on 127.0.0.1.",
    no_args_is_help=True,
)

DataDirOption = typer.Option(
    None, "--data-dir", help="Home of the server: its data, pid file and log. Default: <data dir>/es."
)


def register(app: typer.Typer) -> None:
    """Add the `es` sub-app."""
    app.add_typer(es_app)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


@es_app.command("start")
def start(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="HTTP port on 127.0.0.1."),
    data_dir: Path | None = DataDirOption,
    heap: str = typer.Option(DEFAULT_HEAP, "--heap", help="JVM heap, e.g. 512m or 1g."),
    timeout: float = typer.Option(180.0, "--timeout", help="Seconds to wait until the cluster is ready."),
) -> None:
    """Start the server in the background, wait until its cluster is ready, and print its URL."""
    try:
        server = EsServer(home=data_dir, port=port, heap=heap)
        running = server.status()
        if running.running:
            console.print(f"Elasticsearch is already running (pid {running.pid}, home {running.home})",
                          highlight=False)
            typer.echo(running.url)
            return
        began = time.monotonic()
        with console.status(f"Starting Elasticsearch on port {port} (heap {heap}) …"):
            url = server.start(wait=True, timeout=timeout)
        elapsed = time.monotonic() - began
        state = server.status()
    except EsServerError as exc:
        _fail(str(exc))
    version = state.info.version if state.info else "?"
    health = state.info.health if state.info else "?"
    console.print(f"Elasticsearch {version} is up in {elapsed:.1f}s: pid {state.pid}, health {health}, "
                  f"log {server.log_file}", highlight=False)
    typer.echo(url)


@es_app.command("stop")
def stop(data_dir: Path | None = DataDirOption) -> None:
    """Stop the server started from this data dir (waits for a clean shutdown)."""
    try:
        server = EsServer(home=data_dir)
        with console.status("Stopping Elasticsearch …"):
            pid = server.stop()
    except EsServerError as exc:
        _fail(str(exc))
    if pid is None:
        console.print(f"Elasticsearch is not running (home {server.home})", highlight=False)
    else:
        console.print(f"Elasticsearch (pid {pid}) stopped", highlight=False)


@es_app.command("status")
def status(
    data_dir: Path | None = DataDirOption,
    url: str | None = typer.Option(None, "--url", help="Inspect the Elasticsearch at this URL instead."),
) -> None:
    """Show URL, version, health, pid, heap and memory of the server; exit 1 when it is not running."""
    if url is not None:
        try:
            info = describe(url)
        except (EsServerError, KeyError, ValueError) as exc:
            _fail(f"{url} does not answer as Elasticsearch: {exc}")
        _print_table({"url": info.url, "version": info.version, "cluster": info.cluster_name,
                      "health": info.health, "heap": _heap(info.heap_used_bytes, info.heap_max_bytes)})
        return
    try:
        state = EsServer(home=data_dir).status()
    except EsServerError as exc:
        _fail(str(exc))
    if not state.running:
        console.print(f"Elasticsearch is not running (home {state.home})", highlight=False)
        raise typer.Exit(1)
    _print_table(_rows(state))
    if state.error:
        _fail(f"the process runs but does not answer: {state.error}")


def _rows(state: EsStatus) -> dict[str, str]:
    rows = {"url": state.url or "?", "pid": str(state.pid), "home": str(state.home),
            "rss": _mib(state.rss_bytes)}
    if state.info is not None:
        rows |= {"version": state.info.version, "cluster": state.info.cluster_name, "health": state.info.health,
                 "heap": _heap(state.info.heap_used_bytes, state.info.heap_max_bytes)}
    return rows


def _print_table(rows: dict[str, str]) -> None:
    table = Table(show_header=False, box=None)
    for key, value in rows.items():
        table.add_row(f"[bold]{key}[/]", value)
    console.print(table)


def _mib(value: int | None) -> str:
    return "?" if value is None else f"{value / 2**20:.0f} MiB"


def _heap(used: int | None, maximum: int | None) -> str:
    return f"{_mib(used)} used of {_mib(maximum)}"
