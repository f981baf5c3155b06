"""`lantian demo`: the main job end to end on the embedded default.

Starts the platform simulator on free localhost ports, sweeps every configured platform with the crawler (the
detector runs in its pipelines, leads go to the embedded store), then prints what was found, how it compares with
the simulator's ground truth, and where to look next.
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from core.settings import data_dir
from core.terminal import as_text
from index.store import LeadStore

console = Console()
DEMO_COLUMNS = ("pages", "items", "leads", "errors", "new", "changed", "removed")


def _fresh_start() -> None:
    """Forget earlier demo runs (crawl state, evidence, leads) so the demo shows a first sweep."""
    for name in ("crawl", "evidence", "index"):
        path = data_dir() / name
        if path.exists():
            console.print(f"  clearing {path} (earlier run; --incremental keeps it)")
            shutil.rmtree(path)


def _leads_table(store: LeadStore, limit: int) -> Table:
    from index.query import LeadQuery

    page = store.search(LeadQuery(sort="risk", limit=limit))
    table = Table(title=f"Top {limit} leads by risk", title_justify="left")
    for column in ("risk", "labels", "platform", "seller", "title"):
        table.add_column(column, overflow="fold")
    for lead in page.leads:
        table.add_row(f"{lead.risk:.2f}", as_text(", ".join(lead.labels)), as_text(lead.platform),
                      as_text((lead.seller or "")[:20]), as_text((lead.title or "")[:40]))
    return table


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split()[-1])
    table.add_column("leads", justify="right")
    for key, value in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(as_text(key), str(value))
    return table


def _truth_table(truth: list[dict[str, Any]], store: LeadStore) -> Table:
    """Leads against the simulator's ground truth, per label: how many violations became leads with that label."""
    from index.query import LeadQuery

    leads = {lead.canonical_url: lead for lead in store.iter_leads(LeadQuery())}
    expected: Counter[str] = Counter()
    found: Counter[str] = Counter()
    flagged_clean = 0
    for record in truth:
        lead = leads.get(record["url"])
        for label in record["labels"]:
            expected[label] += 1
            if lead is not None and label in lead.labels:
                found[label] += 1
        if not record["labels"] and lead is not None:
            flagged_clean += 1
    table = Table(title="Against the simulator's ground truth (all listings, reachable or not)",
                  title_justify="left")
    for column in ("label", "violations", "found as leads", "share"):
        table.add_column(column, justify="right" if column != "label" else "left")
    for label in sorted(expected):
        share = found[label] / expected[label] if expected[label] else 0.0
        table.add_row(label, str(expected[label]), str(found[label]), f"{share:.0%}")
    clean = sum(1 for record in truth if not record["labels"])
    table.add_row("(no violation)", str(clean), f"{flagged_clean} flagged", f"{flagged_clean / max(clean, 1):.0%}")
    return table


# What to try after the demo, with what each does. The demo's simulator stops when the demo ends: a crawl after
# it (config edited, say) needs the simulator served again, or it reads no page at all.
NEXT_STEPS: tuple[tuple[str, str], ...] = (
    ("leads list --label impersonation", "list leads with filters"),
    ("leads show LEAD_ID", "one lead with its evidence spans"),
    ("console add-user NAME --role admin", "a console user (once), then"),
    ("console", "the review console in a browser"),
    ("takedown -p market --sample", "a takedown letter (样稿) for its confirmed leads"),
    ("evidence verify", "check the evidence log and files"),
    ("eval", "detector quality on the held-out test split"),
    ("simulator start", "the simulated platforms again (the demo's stopped with it), on the ports "
                        "config/platforms/ names, for a `lantian crawl` in another terminal"),
)


def demo(
    listings: int = typer.Option(400, min=20, max=100_000, help="Listings the simulator generates."),
    seed: int = typer.Option(7, help="Simulator seed: the same seed gives the same platforms and listings."),
    max_pages: int = typer.Option(5, min=1, help="Result pages followed per keyword search."),
    fresh: bool = typer.Option(True, "--fresh/--incremental",
                               help="Start from an empty data dir (default), or keep earlier crawl state so this "
                                    "run is an incremental re-crawl."),
    max_images: int = typer.Option(2, min=0, help="Images per listing downloaded and read by OCR."),
    top: int = typer.Option(10, min=1, max=1000, help="Leads shown in the summary."),
) -> None:
    """Run the main job end to end: simulator → crawl → detect → leads in the embedded store → summary."""
    from casework import agencies as agency_risk
    from casework.config import load_risk_config
    from crawler.progress import progress_table
    from crawler.run import run_sweep
    from index import open_store
    from simulator.server import SimulatorConfig, SimulatorError, SimulatorServer

    if fresh:
        _fresh_start()
    console.print(Rule("[bold]1/3 Platform simulator"))
    try:
        server = SimulatorServer(SimulatorConfig(seed=seed, listings=listings)).start()
    except SimulatorError as exc:
        console.print(f"[red]Simulator: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    try:
        os.environ["LANTIAN_REGISTRY_PATH"] = str(server.registry_path)
        for platform, url in server.endpoints.items():
            console.print(f"  {platform:<10} {url}")
        console.print(f"  registry of licensed agencies: {server.registry_path}")
        console.print(Rule("[bold]2/3 Sweep: crawl → detect → leads"))
        summary = run_sweep(endpoints=server.endpoints, max_pages=max_pages, progress=True, console=console,
                            settings={"LANTIAN_MAX_IMAGES": max_images})
        console.print(progress_table(summary.platforms, title=f"Sweep finished in {summary.seconds:.0f} s",
                                     columns=DEMO_COLUMNS))
        truth = server.ground_truth()
    finally:
        server.stop()

    console.print(Rule("[bold]3/3 Leads"))
    with open_store() as store:
        total = store.count()
        console.print(f"{total} leads in the embedded store ({data_dir() / 'index'})")
        console.print(_counts_table("Leads by label", store.counts(by="label")))
        console.print(_counts_table("Leads by platform", store.counts(by="platform")))
        console.print(_leads_table(store, top))
        console.print(_truth_table(truth, store))
        # The console's agency list and a lead's agency come from the agency documents: scored here, as
        # `lantian agencies score` does, or the list stayed empty after the demo although leads named agencies.
        agencies = [a for a in agency_risk.refresh(store, load_risk_config()) if a.lead_count]
        console.print(f"{len(agencies)} agencies scored from the leads (risk classes: `lantian agencies list`, "
                      "the console's 机构风险 page)")

    console.print(Rule("[bold]Where to look next"))
    # Two columns that wrap each on its own side: at 80 columns one long line put the meaning under the command.
    steps = Table.grid(padding=(0, 2))
    steps.add_column(no_wrap=True)
    steps.add_column(overflow="fold")
    for command, meaning in NEXT_STEPS:
        steps.add_row(f"  .venv/bin/lantian {command}", meaning)
    steps.add_row("  data dir", f"{data_dir()} (evidence, crawl logs, the embedded lead store)")
    steps.add_row("  lead links", "to this run's simulator ports, dead now that it has stopped (`simulator start` "
                                  "serves other ports): the stored raw pages and screenshots keep the pages")
    console.print(steps)


def register(app: typer.Typer) -> None:
    """Add `lantian demo`."""
    app.command("demo")(demo)
