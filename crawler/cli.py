"""CLI commands of `crawler` (registered on the `lantian` app)."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from core.config import ConfigError
from core.environment import login_name
from crawler.evidence import cli as evidence_cli


def register(app: typer.Typer) -> None:
    """Add `crawl`, `capture`, and the evidence commands."""
    app.command("crawl")(crawl)
    app.command("capture")(capture)
    evidence_cli.register(app)


def crawl(
    platform: list[str] | None = typer.Option(
        None, "--platform", "-p", help="Platform to sweep (repeatable); default: every enabled platform."
    ),
    keywords: Path | None = typer.Option(
        None, "--keywords", "-k", help="Keywords file (YAML list or one a line) replacing the configured lists."
    ),
    max_pages: int | None = typer.Option(
        None, "--max-pages", min=1, help="At most N result pages per keyword search (and per seller shop)."
    ),
    endpoints: Path | None = typer.Option(
        None, "--endpoints", help="JSON {platform: base_url} overriding base URLs, e.g. data/simulator/endpoints.json."
    ),
    max_images: int | None = typer.Option(
        None, "--max-images", min=0, help="Download at most N images per listing for OCR (default 4; 0 = none)."
    ),
    resumable: bool = typer.Option(
        False, "--resumable", help="Keep Scrapy's job state so an interrupted sweep resumes where it stopped."
    ),
    summary_json: Path | None = typer.Option(
        None, "--summary-json", help="Also write the end summary as JSON to this file."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No live progress display, only the end summary."),
    distributed: bool = typer.Option(
        False, "--distributed",
        help="Share one Redis frontier with other `lantian crawl --distributed` processes (any machine): each URL "
             "is fetched once, and a killed process loses nothing. See docs/scaling.md and `lantian cluster`.",
    ),
    redis: str | None = typer.Option(
        None, "--redis", help="Redis URL for --distributed (default: distributed.redis_url or LANTIAN_REDIS_URL)."
    ),
    sweep: str | None = typer.Option(
        None, "--sweep", help="Sweep id for --distributed: processes with the same id share one frontier."
    ),
) -> None:
    """Sweep platforms × keywords: search pages → listings → detector → leads (config/platforms/*.yaml)."""
    if not distributed and (redis is not None or sweep is not None):
        Console().print("[red]error:[/red] --redis and --sweep need --distributed", highlight=False)
        raise typer.Exit(2)
    _load_detector_frozen()
    if distributed:
        from crawler.distributed import cli as distributed_cli

        distributed_cli.crawl(
            redis_url=redis, sweep=sweep, platform=platform, keywords=keywords, max_pages=max_pages,
            endpoints=endpoints, worker_id=None, heartbeat=None, stale_after=None, max_images=max_images,
            setting=None, summary_json=summary_json, quiet=quiet,
        )
        return
    from crawler.progress import SUMMARY_COLUMNS, progress_table
    from crawler.run import run_sweep

    console = Console()
    warn_without_registry()
    try:
        summary = run_sweep(
            platforms=platform or None, endpoints=endpoints, keywords=keywords, max_pages=max_pages,
            progress=not quiet, resumable=resumable, console=console,
            settings={"LANTIAN_GC_FREEZE": True,
                      **({"LANTIAN_MAX_IMAGES": max_images} if max_images is not None else {})},
        )
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    console.print(progress_table(summary.platforms, title=f"crawl summary ({summary.seconds:.1f} s)",
                                 columns=SUMMARY_COLUMNS))
    totals = summary.totals
    console.print(
        f"pages {totals.pages}, listings {totals.items}, leads {totals.leads}, errors {totals.errors}; "
        f"finish: {', '.join(f'{k}={v}' for k, v in summary.finish_reasons.items()) or 'nothing to crawl'}"
    )
    console.print(f"log: {summary.log_file}", highlight=False)
    for name, state in summary.health.items():
        for problem in state["problems"]:
            console.print(f"[red]unhealthy[/red] {escape(name)}: {escape(problem)}", highlight=False)
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if any(reason not in ("finished", "None") for reason in summary.finish_reasons.values()):
        raise typer.Exit(1)


def warn_without_registry() -> None:
    """Say on stderr, before the crawl starts, that its detector cannot decide `unlicensed_agency` and how to give
    it a registry (a fresh clone has none until the simulator, or staff, writes one)."""
    from detector.registry import registry_warning

    warning = registry_warning()
    if warning:
        Console(stderr=True).print(f"warning: {warning}", style="yellow", markup=False, highlight=False,
                                   soft_wrap=True)


def _load_detector_frozen() -> None:
    """Load the sweep's detector now (the detection pipeline's own load is then the cached one) and keep what the
    process holds by then out of its garbage collections (`detector.detector.freeze_loaded`): this command owns its
    process. A config the detector cannot load is left for the crawl to report, as before."""
    from detector.detector import Detector, freeze_loaded

    try:
        Detector.load()
    except ConfigError:
        return
    freeze_loaded()


def capture(
    url: list[str] = typer.Argument(..., help="The page to capture (several may be given)."),
    browser: bool = typer.Option(
        False, "--browser", help="Load the page in Chromium (pages that a platform config renders always are)."
    ),
    note: str = typer.Option("", "--note", help="Why it is captured (a phone call, a letter, ...); kept on the lead."),
    by: str = typer.Option(login_name(), "--by", help="Who captures it (recorded on the lead)."),
    endpoints: Path | None = typer.Option(
        None, "--endpoints", help="JSON {platform: base_url} overriding base URLs, e.g. data/simulator/endpoints.json."
    ),
    max_mb: float | None = typer.Option(
        None, "--max-mb", min=0.01,
        help="Refuse pages larger than this many MB (default: the crawler's DOWNLOAD_MAXSIZE).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print each outcome as a JSON line."),
    complaint: int | None = typer.Option(
        None, "--complaint", min=1, help="The complaint the links come from (`lantian complaints add` sets it).",
        hidden=True,
    ),
) -> None:
    """Capture single pages as leads (a link someone sent, an ad found by hand), even when no label fires.

    Each page is fetched like a sweep (politeness, WARC, raw body, screenshot, evidence log), read with the
    platform's config or by main-content extraction, detected, and stored with `source: capture`. Every attempt is
    logged in <data dir>/capture/attempts.jsonl."""
    from urllib.parse import urlsplit

    from rich.text import Text

    from core.terminal import as_text
    from crawler.run import run_capture

    console = Console()
    bad = [u for u in url if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).netloc]
    if bad:
        console.print(f"[red]error:[/red] not an http(s) URL: {', '.join(bad)}", highlight=False)
        raise typer.Exit(2)
    settings = {"DOWNLOAD_MAXSIZE": int(max_mb * 2**20)} if max_mb else None
    warn_without_registry()
    try:
        outcomes = run_capture(list(dict.fromkeys(url)), by=by, note=note, complaint=complaint, browser=browser,
                               endpoints=endpoints, settings=settings)
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    for outcome in outcomes:
        if as_json:
            typer.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
        else:
            console.print(Text.assemble((outcome.outcome, "green" if outcome.captured else "yellow"), " ",
                                        as_text(outcome.url), ": ", as_text(outcome.message)))
    if not all(outcome.captured for outcome in outcomes):
        raise typer.Exit(1)
