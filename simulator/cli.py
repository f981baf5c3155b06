"""CLI commands of `simulator` (registered on the `lantian` app): start, export and admin."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.config import ConfigError
from simulator.server import (
    SimulatorConfig,
    SimulatorError,
    SimulatorServer,
    default_out_dir,
    export_files,
    planned_endpoints,
)
from simulator.world import World

console = Console()
app = typer.Typer(
    name="simulator",
    help="Serve simulated platforms (marketplace, JS feed, search ads, agency sites, GBK service market) on "
    "localhost, and export their ground truth and the licensed-agency registry.",
    no_args_is_help=True,
)
admin_app = typer.Typer(
    name="admin",
    help="Change a running simulator: take listings down, put them back, edit or add listings.",
    no_args_is_help=True,
)
app.add_typer(admin_app)

Seed = Annotated[int, typer.Option(help="Random seed: same seed and --listings give the same sites.")]
Listings = Annotated[int, typer.Option(help="Number of listings across all platforms (up to 1,000,000).")]
Out = Annotated[Path | None, typer.Option(help="Where to write endpoints.json, registry.csv and "
                                          "ground_truth.jsonl (default: <data dir>/simulator).")]
EndpointsFile = Annotated[Path | None, typer.Option("--endpoints", help="endpoints.json of the running simulator "
                                                    "(default: <data dir>/simulator/endpoints.json).")]


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(1)


def _build_world(seed: int, listings: int) -> World:
    with console.status(f"generating {listings:,} listings (seed {seed})"):
        return World(seed, listings)


def _progress(total: int) -> tuple[Progress, Any]:
    progress = Progress(TextColumn("writing ground truth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True)
    task = progress.add_task("truth", total=total)
    return progress, lambda done: progress.update(task, completed=done)


@app.command()
def start(
    seed: Seed = 7,
    listings: Listings = 2000,
    port_base: Annotated[int, typer.Option(
        help="First port: platforms get port-base, +1, ... in the order market, feed, search, agencies, services, "
             "app; 0 picks free ports.")] = 8600,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    rate_limit: Annotated[float, typer.Option(help="Requests per second per client per platform before "
                                              "answering 429 with Retry-After; 0 turns it off.")] = 0.0,
    fault_rate: Annotated[float, typer.Option(help="Share of pages that fail once with 500/503 "
                                              "(a retry succeeds); 0 turns it off.")] = 0.02,
    latency: Annotated[float, typer.Option(help="Seconds every answer (but robots.txt and the admin API) takes, "
                                           "as over a real network; 0 answers at once.")] = 0.0,
    disallow_images: Annotated[bool, typer.Option(help="robots.txt also disallows the listing images (/img/), as "
                                                  "image hosts often do.")] = False,
    hostile: Annotated[bool, typer.Option(help="Also serve `hostile`, a platform whose listings attack the crawler "
                                          "(simulator/hostile.yaml is its platform config).")] = False,
    out: Out = None,
) -> None:
    """Serve every platform on its own localhost port until Ctrl-C (writes endpoints, registry, ground truth)."""
    config = SimulatorConfig(seed=seed, listings=listings, host=host, port_base=port_base, rate_limit=rate_limit,
                             fault_rate=fault_rate, latency=latency, disallow_images=disallow_images, hostile=hostile,
                             out_dir=out)
    try:
        config.validate()
        server = SimulatorServer(config, world=_build_world(seed, listings))
        progress, advance = _progress(server.world.count)

        def ready() -> None:
            progress.stop()
            table = Table(title=f"lantian simulator — seed {seed}, {listings:,} listings", show_lines=False)
            table.add_column("platform")
            table.add_column("URL")
            for platform, url in server.endpoints.items():
                table.add_row(platform, url)
            console.print(table)
            console.print(f"files in {server.out_dir}: endpoints.json, registry.csv, ground_truth.jsonl")
            console.print("rate limit: " + (f"{rate_limit:g}/s per client" if rate_limit else "off")
                          + f" · faults: {fault_rate:g} · Ctrl-C to stop")

        with progress:
            server.serve_forever(on_ready=ready, progress=advance)
    except (SimulatorError, ConfigError) as exc:
        _fail(str(exc))
    console.print("simulator stopped")


@app.command()
def export(
    seed: Seed = 7,
    listings: Listings = 2000,
    port_base: Annotated[int, typer.Option(help="Port base the URLs in the ground truth refer to "
                                           "(the one `start` will use).")] = 8600,
    host: Annotated[str, typer.Option(help="Host the URLs in the ground truth refer to.")] = "127.0.0.1",
    out: Out = None,
) -> None:
    """Write endpoints.json, registry.csv and ground_truth.jsonl without serving anything."""
    try:
        SimulatorConfig(seed=seed, listings=listings, port_base=port_base).validate()
        if not port_base:
            raise SimulatorError("--port-base must be a fixed port for export (the URLs depend on it)")
        world = _build_world(seed, listings)
        progress, advance = _progress(world.count)
        with progress:
            paths = export_files(world, out or default_out_dir(), planned_endpoints(host, port_base), advance)
    except (SimulatorError, ConfigError, OSError) as exc:
        _fail(str(exc))
    for name, path in paths.items():
        console.print(f"{name}: {path}")


def _endpoints(path: Path | None) -> dict[str, str]:
    path = path or default_out_dir() / "endpoints.json"
    try:
        endpoints = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path}: not found; start the simulator first (`lantian simulator start`) or pass --endpoints")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: invalid JSON ({exc})")
    if not isinstance(endpoints, dict) or "market" not in endpoints:
        _fail(f"{path}: not a simulator endpoints file")
    return endpoints


def _admin(endpoints_file: Path | None, action: str, params: dict | None = None, body: dict | None = None) -> None:
    base = _endpoints(endpoints_file)["market"]
    try:
        response = httpx.post(f"{base}/__admin/{action}", params=params, json=body, timeout=30)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach the simulator at {base} ({exc.__class__.__name__}); is it running?")
    payload = response.json()
    if response.status_code != 200:
        _fail(payload.get("error", response.text))
    console.print_json(data=payload)


@admin_app.command()
def remove(
    listing_id: Annotated[str, typer.Argument(help="Listing id, e.g. L000123.")],
    mode: Annotated[
        str, typer.Option(help="delisted: page says 该商品已下架 (HTTP 200); 404: page is gone.")
    ] = "delisted",
    endpoints: EndpointsFile = None,
) -> None:
    """Take a listing down."""
    _admin(endpoints, "remove", params={"id": listing_id, "mode": mode})


@admin_app.command()
def restore(
    listing_id: Annotated[str, typer.Argument(help="Listing id, e.g. L000123.")],
    endpoints: EndpointsFile = None,
) -> None:
    """Put a removed listing back."""
    _admin(endpoints, "restore", params={"id": listing_id})


@admin_app.command()
def edit(
    listing_id: Annotated[str, typer.Argument(help="Listing id, e.g. L000123.")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    text: Annotated[str | None, typer.Option(help="New description (lines separated by \\n).")] = None,
    price: Annotated[str | None, typer.Option(help="New price.")] = None,
    labels: Annotated[str | None, typer.Option(help="New ground-truth labels, comma-separated ('' for none).")] = None,
    kind: Annotated[str | None, typer.Option(help="New ground-truth kind.")] = None,
    endpoints: EndpointsFile = None,
) -> None:
    """Change a listing's page (and optionally its ground truth)."""
    body: dict[str, Any] = {"id": listing_id}
    for name, value in (("title", title), ("text", text), ("price", price), ("kind", kind)):
        if value is not None:
            body[name] = value.replace("\\n", "\n")
    if labels is not None:
        body["labels"] = [label.strip() for label in labels.split(",") if label.strip()]
    if len(body) == 1:
        _fail("nothing to change: give --title, --text, --price, --labels or --kind")
    _admin(endpoints, "edit", body=body)


@admin_app.command()
def add(
    platform: Annotated[str, typer.Argument(help="market, feed, search, agencies or services.")],
    title: Annotated[str | None, typer.Option(help="Title (omit title and text to generate from the corpus).")] = None,
    text: Annotated[str | None, typer.Option(help="Description.")] = None,
    price: Annotated[str | None, typer.Option(help="Price.")] = None,
    labels: Annotated[str | None, typer.Option(help="Ground-truth labels, comma-separated.")] = None,
    keywords: Annotated[str | None, typer.Option(help="Search keywords that find it, comma-separated.")] = None,
    endpoints: EndpointsFile = None,
) -> None:
    """Publish a new listing."""
    body: dict[str, Any] = {"platform": platform}
    for name, value in (("title", title), ("text", text), ("price", price)):
        if value is not None:
            body[name] = value.replace("\\n", "\n")
    for name, value in (("labels", labels), ("keywords", keywords)):
        if value is not None:
            body[name] = [part.strip() for part in value.split(",") if part.strip()]
    _admin(endpoints, "add", body=body)


def register(root: typer.Typer) -> None:
    """Add this part's commands to the `lantian` app."""
    root.add_typer(app)
