"""`lantian cluster ...`: seed a distributed sweep, run workers, watch and repair the shared frontier."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.config import ConfigError
from crawler.distributed.config import DistributedConfig, load_config

if TYPE_CHECKING:
    from crawler.distributed.run import SweepStatus, WorkerReport

cluster = typer.Typer(
    help="Distributed crawling: one Redis frontier (scrapy-redis) shared by workers on any number of machines.",
    no_args_is_help=True,
)

REDIS = typer.Option(None, "--redis", help="Redis URL (default: distributed.redis_url or LANTIAN_REDIS_URL).")
SWEEP = typer.Option(None, "--sweep", help="Sweep id: the Redis key prefix of this sweep (default: "
                                            "distributed.sweep_id, else 'default').")
PLATFORMS = typer.Option(None, "--platform", "-p",
                         help="Platform to sweep (repeatable); default: every enabled platform.")
KEYWORDS = typer.Option(None, "--keywords", "-k", help="Keywords file replacing the lists.")
MAX_PAGES = typer.Option(None, "--max-pages", min=1, help="At most N result pages per search.")
ENDPOINTS = typer.Option(None, "--endpoints", help="JSON {platform: base_url} override.")


def register(app: typer.Typer) -> None:
    """Add the `cluster` command group."""
    app.add_typer(cluster, name="cluster")


def _config(redis_url: str | None, sweep: str | None, **extra: object) -> DistributedConfig:
    return load_config().override(redis_url=redis_url, sweep_id=sweep, **extra)


def _fail(console: Console, message: str, code: int = 2) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _scrapy_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set {pair!r}: expected NAME=VALUE")
        overrides[name.strip()] = value
    return overrides


def _status_table(status: SweepStatus) -> Table:
    table = Table(title=f"sweep {status.sweep_id}", title_justify="left")
    for column in ("spider", "queued", "in flight", "workers", "seeded", "finished"):
        table.add_column(column, justify="left" if column == "spider" else "right")
    for kind, s in status.spiders.items():
        table.add_row(kind, str(s.queued), str(s.inflight), str(s.workers), "yes" if s.seeded else "no",
                      "yes" if s.finished else "no")
    return table


@cluster.command("seed")
def seed(
    redis_url: str | None = REDIS,
    sweep: str | None = SWEEP,
    platform: list[str] | None = PLATFORMS,
    keywords: Path | None = KEYWORDS,
    max_pages: int | None = MAX_PAGES,
    endpoints: Path | None = ENDPOINTS,
) -> None:
    """Store the sweep's parameters in Redis and push its start requests; workers then crawl them."""
    from crawler.distributed.run import DistributedError, seed_sweep

    console = Console()
    try:
        status = seed_sweep(_config(redis_url, sweep), platforms=platform or None, endpoints=endpoints,
                            keywords=keywords, max_pages=max_pages)
    except (ConfigError, DistributedError) as exc:
        raise _fail(console, str(exc)) from None
    console.print(_status_table(status))


WORKER_ID = typer.Option(
    None, "--worker-id", help="Stable id (e.g. host-1): a restarted worker takes back its unfinished requests at once "
                              "instead of after --stale-after. Default: hostname-pid."
)
HEARTBEAT = typer.Option(None, "--heartbeat", min=0.1, help="Seconds between heartbeats.")
STALE_AFTER = typer.Option(
    None, "--stale-after", min=0.2, help="Seconds of silence after which another worker's requests are requeued."
)
MAX_IMAGES = typer.Option(None, "--max-images", min=0, help="Images per listing for OCR (default 4; 0 = none).")
SETTING = typer.Option(
    None, "--set", "-s", help="Scrapy setting NAME=VALUE for this worker (repeatable), e.g. "
                              "EVIDENCE_SCREENSHOTS=false or LOG_LEVEL=DEBUG."
)
SUMMARY_JSON = typer.Option(None, "--summary-json", help="Write the worker's summary as JSON.")
QUIET = typer.Option(False, "--quiet", "-q", help="No live progress display (logs go to the console).")


def _run_worker(console: Console, redis_url: str | None, sweep: str | None, heartbeat: float | None,
                stale_after: float | None, max_images: int | None, setting: list[str] | None,
                summary_json: Path | None, quiet: bool, start: Callable[..., WorkerReport]) -> None:
    """Run `start` (`run_worker` or `crawl_distributed` with the command's own arguments) with the options every
    worker has, and print its summary."""
    from crawler.distributed.run import DistributedError
    from crawler.progress import SUMMARY_COLUMNS, progress_table

    try:
        # A worker owns its process, as `lantian crawl` does (crawler.gc_freeze); `--set LANTIAN_GC_FREEZE=0` is off.
        overrides: dict[str, object] = {"LANTIAN_GC_FREEZE": True, **dict(_scrapy_overrides(setting or []))}
        if max_images is not None:
            overrides["LANTIAN_MAX_IMAGES"] = max_images
        config = _config(redis_url, sweep, heartbeat_seconds=heartbeat, stale_after_seconds=stale_after)
        report = start(config, progress=not quiet, console=console, settings=overrides)
    except (ConfigError, DistributedError) as exc:
        raise _fail(console, str(exc)) from None
    summary = report.summary
    console.print(progress_table(summary.platforms, title=f"worker {report.worker_id} ({summary.seconds:.1f} s)",
                                 columns=SUMMARY_COLUMNS))
    totals = summary.totals
    console.print(f"pages {totals.pages}, listings {totals.items}, leads {totals.leads}, errors {totals.errors}; "
                  f"peak memory {report.peak_rss_mb:.0f} MB; requeued from dead workers {report.requeued}; finish: "
                  f"{', '.join(f'{k}={v}' for k, v in summary.finish_reasons.items())}")
    if summary_json is not None:
        summary_json.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if any(reason != "finished" for reason in summary.finish_reasons.values()):
        raise typer.Exit(1)


@cluster.command("work")
def work(
    redis_url: str | None = REDIS,
    sweep: str | None = SWEEP,
    worker_id: str | None = WORKER_ID,
    wait: float = typer.Option(0.0, "--wait", min=0, help="Wait up to N seconds for the sweep to be seeded."),
    heartbeat: float | None = HEARTBEAT,
    stale_after: float | None = STALE_AFTER,
    max_images: int | None = MAX_IMAGES,
    setting: list[str] | None = SETTING,
    summary_json: Path | None = SUMMARY_JSON,
    quiet: bool = QUIET,
) -> None:
    """Run one worker: crawl from the shared frontier until the whole sweep is done.

    The detector, evidence and leads run in this worker. Start as many as you like, on any machine, at any time."""
    from crawler.distributed.run import run_worker

    _run_worker(Console(), redis_url, sweep, heartbeat, stale_after, max_images, setting, summary_json, quiet,
                partial(run_worker, worker_id=worker_id, wait_seconds=wait))


@cluster.command("crawl")
def crawl(
    redis_url: str | None = REDIS,
    sweep: str | None = SWEEP,
    platform: list[str] | None = PLATFORMS,
    keywords: Path | None = KEYWORDS,
    max_pages: int | None = MAX_PAGES,
    endpoints: Path | None = ENDPOINTS,
    worker_id: str | None = WORKER_ID,
    heartbeat: float | None = HEARTBEAT,
    stale_after: float | None = STALE_AFTER,
    max_images: int | None = MAX_IMAGES,
    setting: list[str] | None = SETTING,
    summary_json: Path | None = SUMMARY_JSON,
    quiet: bool = QUIET,
) -> None:
    """Seed and work in one process (`lantian crawl --distributed`).

    Run the same command on several machines: they share one frontier, and each URL is fetched once."""
    from crawler.distributed.run import crawl_distributed

    _run_worker(Console(), redis_url, sweep, heartbeat, stale_after, max_images, setting, summary_json, quiet,
                partial(crawl_distributed, platforms=platform or None, endpoints=endpoints, keywords=keywords,
                        max_pages=max_pages, worker_id=worker_id))


@cluster.command("status")
def status(redis_url: str | None = REDIS, sweep: str | None = SWEEP,
           as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show the sweep's frontier: queued and in-flight requests, workers and their last heartbeat."""
    from crawler.distributed.run import DistributedError, sweep_status

    console = Console()
    try:
        result = sweep_status(_config(redis_url, sweep))
    except (ConfigError, DistributedError) as exc:
        raise _fail(console, str(exc)) from None
    if result.params is None:
        raise _fail(console, f"sweep {result.sweep_id!r} has not been seeded", 1)
    if as_json:
        typer.echo(json.dumps({
            "sweep_id": result.sweep_id, "finished": result.finished,
            "spiders": {k: {"queued": s.queued, "inflight": s.inflight, "workers": s.workers, "seeded": s.seeded}
                        for k, s in result.spiders.items()},
            "workers": {w: round(age, 1) for w, age in result.workers.items()},
        }, ensure_ascii=False))
        return
    console.print(_status_table(result))
    for worker, age in sorted(result.workers.items()):
        console.print(f"worker {worker}: last heartbeat {age:.0f} s ago")


@cluster.command("requeue-stale")
def requeue(redis_url: str | None = REDIS, sweep: str | None = SWEEP,
            stale_after: float | None = typer.Option(
                None, "--stale-after", min=0,
                help="Seconds of silence that make a worker dead (default: the config's; 0: every worker).")) -> None:
    """Put the in-flight requests of dead workers back in the queue (workers also do this by themselves)."""
    from crawler.distributed.run import DistributedError, requeue_stale

    console = Console()
    try:
        moved = requeue_stale(_config(redis_url, sweep), stale_after)
    except (ConfigError, DistributedError) as exc:
        raise _fail(console, str(exc)) from None
    for worker, count in sorted(moved.items()):
        console.print(f"{worker}: {count} requests back in the queue")
    console.print(f"requeued {sum(moved.values())} requests from {len(moved)} workers")


@cluster.command("reset")
def reset(redis_url: str | None = REDIS, sweep: str | None = SWEEP,
          yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete the sweep's frontier, dupefilter and worker records from Redis (leads and evidence stay)."""
    from crawler.distributed.run import DistributedError, reset_sweep

    console = Console()
    try:
        config = _config(redis_url, sweep)
        if not yes:
            typer.confirm(f"Delete every Redis key of sweep {config.sweep_id!r}?", abort=True)
        deleted = reset_sweep(config)
    except (ConfigError, DistributedError) as exc:
        raise _fail(console, str(exc)) from None
    console.print(f"deleted {deleted} keys of sweep {config.sweep_id!r}")
