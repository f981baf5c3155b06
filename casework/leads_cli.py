"""`lantian leads list|show|stats|flush`: read the lead store from the terminal, as Rich tables."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from casework.cli_base import fail, lead_store, named_lead
from casework.contacts import contacts
from casework.export import clipped
from casework.local_links import LOCAL_LINK_EN, on_this_machine
from casework.triage import ORDERS, RankedLead, Triage
from core.beijing import stamp_zh
from core.config import ConfigError
from core.lead import Lead, screenshot_shows_en
from core.terminal import as_text, highlighted
from index import LeadQuery, LeadStore, StoreError
from index.query import COUNT_BY, SORTS

app = typer.Typer(help="Browse the leads: list with filters, show one lead, counts for reports.",
                  no_args_is_help=True)
console = Console()

STATS_DEFAULT = ("label", "platform", "district", "status", "source", "week")
# How much of a crawled field the terminal shows (a field may be megabytes long); `--json` prints it whole.
TITLE_CHARS, FIELD_CHARS, TEXT_CHARS = 200, 1_000, 20_000
# Below this many columns `leads list` prints each lead as a few lines instead of a table row (the table needs
# about this much before its title and reason columns stop folding into unreadable strips).
WIDE_TABLE = 160
CARD_INDENT = 9  # the card's indent (2), its field names ("labels", 6) and the gap after them (1)
MORE = "… ({total} characters in all: `lantian leads show ID --json` prints them)"


def _query(label: list[str] | None, platform: list[str] | None, district: list[str] | None,
           status: list[str] | None, since: str | None, until: str | None, min_risk: float | None,
           text: str | None, **extra: Any) -> LeadQuery:
    try:
        return LeadQuery(labels=label or [], platforms=platform or [], districts=district or [],
                         statuses=status or [], since=since, until=until, min_risk=min_risk, text=text, **extra)
    except ValueError as exc:
        fail(exc, code=2)


LabelOpt = Annotated[list[str] | None, typer.Option("--label", "-l", help="Only leads with this label "
                                                    "(repeat for any of several).")]
PlatformOpt = Annotated[list[str] | None, typer.Option("--platform", "-p", help="Only this platform (repeatable).")]
DistrictOpt = Annotated[list[str] | None, typer.Option("--district", "-d", help="Only this district, e.g. "
                                                       "浦东新区 (repeatable).")]
StatusOpt = Annotated[list[str] | None, typer.Option("--status", "-s", help="Only this workflow status, e.g. "
                                                     "confirmed or 已确认 (repeatable).")]
SinceOpt = Annotated[str | None, typer.Option(help="First day of --date-field (YYYY-MM-DD, a day in Beijing, or an "
                                                    "ISO time).")]
UntilOpt = Annotated[str | None, typer.Option(help="Last day (inclusive) of --date-field, in Beijing.")]
RiskOpt = Annotated[float | None, typer.Option("--min-risk", min=0.0, max=1.0, help="Minimum risk, 0..1.")]
SourceOpt = Annotated[list[str] | None, typer.Option("--source", help="Only leads that came in this way: sweep, "
                                                     "capture or complaint (repeatable).")]
UnrenderedOpt = Annotated[bool, typer.Option("--read-without-rendering", help="Only leads whose newest fetch was "
                                             "read as the server sent it: the rendered page hung.")]
TextOpt = Annotated[str | None, typer.Option("--text", "-t", help="Free text: every term must occur as a phrase "
                                             "in title, seller or text.")]


def _percent(value: Any) -> str:
    return f"{float(value or 0) * 100:.0f}%"


@app.command("list")
def list_leads(
    label: LabelOpt = None, platform: PlatformOpt = None, district: DistrictOpt = None, status: StatusOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, min_risk: RiskOpt = None, text: TextOpt = None,
    source: SourceOpt = None, read_without_rendering: UnrenderedOpt = False,
    date_field: Annotated[str, typer.Option(help="Date the --since/--until window applies to: "
                                            "last_seen, first_seen or fetched_at.")] = "last_seen",
    sort: Annotated[str, typer.Option("--sort", "--order", help="Order: priority (triage priority, "
                                      "config/casework/triage.yaml), uncertain (scores nearest the detector's "
                                      f"thresholds first), {', '.join(SORTS)}.")] = "priority",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Leads per page.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many leads (paging).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the lead documents as JSON lines.")] = False,
) -> None:
    """List leads matching the filters, highest triage priority first, with why each ranks there.

    A table on a terminal of 160 columns or more, a few lines a lead on a narrower one."""
    ranked = sort in ORDERS
    query = _query(label, platform, district, status, since, until, min_risk, text, date_field=date_field,
                   sort="risk" if ranked else sort, limit=limit, offset=offset, sources=source or [],
                   read_without_rendering=read_without_rendering or None)
    with lead_store() as store:
        page = Triage(store).rank(query, sort) if ranked else store.search(query)
        absent = _absent(store, query) if not page.total else []
    if as_json:
        for lead in page.leads:
            typer.echo(json.dumps(lead.document(), ensure_ascii=False))
        return
    for note in absent:
        typer.echo(note, err=True)
    title = f"{page.total} lead(s) ({store.backend}); showing {offset + 1 if page.leads else 0}–" \
            f"{offset + len(page.leads)}"
    rows = [_row(lead, page.highlights.get(lead.id, {})) for lead in page.leads]
    if console.width >= WIDE_TABLE:
        _print_table(title, rows, ranked)
    else:
        _print_cards(title, rows)


def _absent(store: LeadStore, query: LeadQuery) -> list[str]:
    """For a query that matched nothing: each platform or district it names that no lead has, with the ones leads
    have (`--district 浦东` matches no lead of 浦东新区; `--platform taobao` none of a platform named `market`)."""
    notes = []
    for dimension, given in (("platform", query.platforms), ("district", query.districts)):
        present = store.counts(dimension) if given else {}
        missing = [value for value in given if value not in present]
        if missing:
            notes.append(f"no lead has {dimension} {', '.join(map(repr, missing))}; leads have "
                         f"{', '.join(present) or 'none yet'}")
    return notes


@dataclass(frozen=True)
class _Row:
    """What `leads list` prints of one lead."""

    id: str
    risk: str
    labels: Text
    platform: str
    district: str
    status: str
    last_seen: str
    title: Text
    priority: str | None
    why: list[str] | None


def _row(lead: Lead, highlights: Mapping[str, list[str]]) -> _Row:
    title = as_text(clipped(lead.title or "", TITLE_CHARS, "…"))
    snippet = (highlights.get("text") or [""])[0]
    if snippet:
        title.append("\n").append_text(highlighted(snippet, style="dim"))
    priority = why = None
    if isinstance(lead, RankedLead):
        reasons = [f"{r['what']} +{r['points']:g}" for r in lead.priority_reasons]
        if lead.uncertainty is not None:
            reasons.insert(0, f"离阈值 {lead.uncertainty:.2f}")
        priority, why = f"{lead.priority:g}", reasons
    return _Row(id=lead.id[:12], risk=_percent(lead.risk), labels=as_text(", ".join(lead.labels) or "—"),
                platform=lead.platform or "—", district=lead.district or "—", status=lead.status,
                last_seen=stamp_zh(lead.last_seen)[:10], title=title, priority=priority, why=why)


def _print_table(title: str, rows: Sequence[_Row], ranked: bool) -> None:
    """One row a lead, for a terminal wide enough to give every column room."""
    table = Table(title=title, show_lines=False)
    for column, style, no_wrap in (("id", "cyan", True), ("risk", "bold", True), ("labels", "magenta", False),
                                   ("platform", "", False), ("district", "", False), ("status", "green", True),
                                   ("last seen (Beijing)", "dim", True), ("title", "", False)):
        table.add_column(column, style=style or None, overflow="fold", no_wrap=no_wrap)
    if ranked:
        table.add_column("priority", style="bold", no_wrap=True)
        table.add_column("why it ranks here", overflow="fold")
    for row in rows:
        cells: list[Text | str] = [as_text(row.id), row.risk, row.labels, as_text(row.platform),
                                   as_text(row.district), as_text(row.status), as_text(row.last_seen), row.title]
        if ranked:
            cells += [row.priority or "", as_text("；".join(row.why or []))]
        table.add_row(*cells)
    console.print(table)


def _packed(reasons: Sequence[str], width: int) -> str:
    """The reasons joined by "；", a line broken only between two of them (a "+25" wrapped to the start of a line
    reads as the next reason's points)."""
    lines: list[str] = []
    for reason in reasons:
        if lines and cell_len(f"{lines[-1]}；{reason}；") <= width:
            lines[-1] += f"；{reason}"
        else:
            lines.append(reason)
    return "；\n".join(lines)


def _print_cards(title: str, rows: Sequence[_Row]) -> None:
    """A few lines a lead, for a terminal too narrow for the table: ten columns squeezed into 80 fold every title
    and reason into two-character strips that no one can read."""
    console.print(Text(title, style="italic"))
    for row in rows:
        head = Text.assemble((row.id, "cyan"), "  ")
        if row.priority is not None:
            head.append_text(Text.assemble("priority ", (row.priority, "bold"), "  "))
        head.append_text(Text.assemble("risk ", (row.risk, "bold"), "  ", as_text(row.platform), " · ",
                                       as_text(row.district), " · ", (row.status, "green"), " · ",
                                       (row.last_seen, "dim")))
        facts = Table.grid(padding=(0, 1))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column(overflow="fold")
        facts.add_row("title", row.title)
        facts.add_row("labels", Text(style="magenta").append_text(row.labels))
        if row.why is not None:
            facts.add_row("why", as_text(_packed(row.why, console.width - CARD_INDENT)))
        console.print(head)
        console.print(Padding(facts, (0, 0, 1, 2)))


@app.command("show")
def show(lead_id: Annotated[str, typer.Argument(help="Lead id, or a unique prefix of at least 6 characters.")],
         as_json: Annotated[bool, typer.Option("--json", help="Print the whole document as JSON.")] = False) -> None:
    """Show one lead: content, labels with scores, evidence spans, contacts, history, notes and audit."""
    with lead_store() as store:
        lead = named_lead(store, lead_id)
    if as_json:
        typer.echo(json.dumps(lead.document(), ensure_ascii=False, indent=2))
        return
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    # Each contact once, normalised (a phone written two ways was listed twice); agency codes go with the agency.
    shown_contacts = "; ".join(f"{k}: {', '.join(v)}" for k, v in contacts(lead).items() if k != "agency_code")
    url = f"{lead.url}\n{LOCAL_LINK_EN}" if on_this_machine(lead.url) else lead.url
    for name, value in (("id", lead.id), ("url", url), ("platform", lead.platform), ("seller", lead.seller),
                        ("agency", " ".join(filter(None, ("(the seller)" if lead.agency_name == lead.seller
                                                          else lead.agency_name, lead.agency_code)))),
                        ("contacts", shown_contacts), ("district", lead.district),
                        ("risk", f"{_percent(lead.risk)} (the highest label score below)"),
                        ("solicitation", None if lead.solicitation is None else
                         f"{_percent(lead.solicitation)} (how far the text offers the seller's services, rather than "
                         "reporting, explaining, asking or hiring)"),
                        ("status", lead.status), ("source", lead.source),
                        ("captured", "; ".join(f"{stamp_zh(c['at'])} {c['by']} {c['note'] or ''}".strip()
                                               for c in lead.captures)),
                        ("complaints", ", ".join(str(n) for n in lead.complaints)),
                        ("assignee", lead.assignee), ("cluster", lead.cluster_id),
                        ("first / last seen", f"{stamp_zh(lead.first_seen, '—')} / {stamp_zh(lead.last_seen, '—')} "
                                              f"({lead.seen_count}×)"),
                        ("listing", lead.listing_status + (f" since {stamp_zh(lead.removed_at)}"
                                                           if lead.removed_at else "")),
                        ("fetched", stamp_zh(lead.fetched_at)), ("read without rendering", lead.read_without_rendering),
                        ("raw", f"{lead.raw_path} sha256 {lead.raw_sha256}"),
                        ("screenshot", f"{lead.screenshot_path} sha256 {lead.screenshot_sha256}"),
                        ("screenshot shows", lead.screenshot_shows and screenshot_shows_en(lead.screenshot_shows)),
                        ("warc", lead.warc_path)):
        facts.add_row(name, as_text(clipped(str(value), FIELD_CHARS, MORE) if value not in (None, "") else "—"))
    console.print(Panel(facts, title=as_text(clipped(lead.title or lead.id, TITLE_CHARS, "…"))))
    console.print(Panel(as_text(clipped(lead.text or "", TEXT_CHARS, MORE)), title="text"))
    labels = Table(title="labels (✔ fired; ✘ fired, not confirmed by the reviewer: letters leave it out)")
    labels.add_column("label", style="magenta")
    labels.add_column("score")
    labels.add_column("evidence", overflow="fold")
    for label, score in sorted(lead.scores.items(), key=lambda kv: -kv[1]):
        marked = "✔ " if label in lead.labels else ""
        if label in lead.labels and label not in lead.confirmed_violations():
            marked = "✘ "  # fired, and left out by the reviewer who confirmed the lead: no letter states it
        quotes = " | ".join(f"{s['field']}[{s['start']}:{s['end']}] {s['text']}"
                            for s in lead.evidence if s["label"] == label)
        labels.add_row(as_text(marked + label), _percent(score), as_text(quotes))
    console.print(labels)
    rows: Sequence[Mapping[str, Any]]
    for name, rows, columns in (("notes", lead.notes, ("at", "by", "text")),
                                ("audit", lead.audit, ("at", "by", "action", "from", "to", "why"))):
        if rows:
            table = Table(title=name)
            for column in columns:
                table.add_column(column + (" (Beijing)" if column == "at" else ""), overflow="fold")
            for row in rows:
                table.add_row(*(as_text(stamp_zh(str(row.get(c) or "")) if c == "at" else row.get(c) or "")
                                for c in columns))
            console.print(table)


@app.command("stats")
def stats(
    by: Annotated[list[str] | None, typer.Option("--by", "-b", help=f"Count by: {', '.join(COUNT_BY)} "
                                                 f"(repeatable; default {', '.join(STATS_DEFAULT)}).")] = None,
    label: LabelOpt = None, platform: PlatformOpt = None, district: DistrictOpt = None, status: StatusOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, min_risk: RiskOpt = None, text: TextOpt = None,
    source: SourceOpt = None, read_without_rendering: UnrenderedOpt = False,
    date_field: Annotated[str, typer.Option(help="Date the --since/--until window applies to.")] = "first_seen",
) -> None:
    """Count leads by label, platform, district, status, source and week (for the bureau's reports)."""
    query = _query(label, platform, district, status, since, until, min_risk, text, date_field=date_field,
                   sources=source or [], read_without_rendering=read_without_rendering or None)
    dimensions = by or list(STATS_DEFAULT)
    unknown = [d for d in dimensions if d not in COUNT_BY]
    if unknown:
        fail(f"cannot count by {', '.join(unknown)}: use {', '.join(COUNT_BY)}", code=2)
    with lead_store() as store:
        total = store.count(query)
        results = {d: store.counts(d, query) for d in dimensions}
        absent = _absent(store, query) if not total else []
    for note in absent:
        typer.echo(note, err=True)
    console.print(f"[bold]{total}[/bold] lead(s) match")
    for dimension, counts in results.items():
        table = Table(title=f"by {dimension}")
        table.add_column(dimension)
        table.add_column("leads", justify="right")
        for key, n in counts.items():
            table.add_row(as_text(key), str(n))
        console.print(table)


@app.command("flush")
def flush() -> None:
    """Replay leads spooled while Elasticsearch was unreachable, and make every write searchable."""
    with lead_store() as store:
        store.flush()
        console.print(f"[green]ok[/green]: {store.count()} lead(s) in the {store.backend} store")


@app.command("migrate")
def migrate_command(
    to: Annotated[str, typer.Option("--to", help="Elasticsearch URL to copy the embedded store's leads into, e.g. "
                                    "http://127.0.0.1:9200.")],
    index_prefix: Annotated[str | None, typer.Option(help="Index prefix on that server (default: "
                                                     "elasticsearch.index_prefix of config/lantian.yaml).")] = None,
) -> None:
    """Copy the embedded store's leads (statuses, notes, audit trail) and agencies into Elasticsearch."""
    from core.settings import data_dir, main_settings
    from index.es_store import EsLeadStore
    from index.migrate import migrate
    from index.sqlite_store import SqliteLeadStore

    try:
        configured = main_settings().elasticsearch.index_prefix
    except ConfigError as exc:
        fail(exc, code=2)
    index_prefix = index_prefix or configured
    path = data_dir() / "index" / "leads.sqlite3"
    if not path.is_file():
        fail(f"no embedded store at {path}: nothing to migrate")
    try:
        source, target = SqliteLeadStore(path), EsLeadStore(to, index_prefix=index_prefix)
    except (StoreError, ValueError) as exc:
        fail(exc)
    try:
        done = migrate(source, target, progress=lambda n: console.print(f"{n} leads copied …"))
    except StoreError as exc:
        fail(f"{exc}; run the command again to finish (it overwrites what it copied)")
    finally:
        source.close()
        target.close()
    table = Table(title=f"{done.leads} lead(s) and {done.agencies} agencies copied to {to} ({index_prefix})")
    for column in ("status", "embedded", "elasticsearch"):
        table.add_column(column)
    for status in sorted(set(done.by_status_source) | set(done.by_status_target)):
        table.add_row(status, str(done.by_status_source.get(status, 0)), str(done.by_status_target.get(status, 0)))
    console.print(table)
    if not done.complete:
        fail("the counts differ: run the command again")
    console.print(_use_migrated(to, index_prefix, configured), highlight=False, markup=False)


def _use_migrated(url: str, index_prefix: str, configured_prefix: str) -> str:
    """What to set so that lantian uses the store a migration wrote: its URL, and its index prefix unless it is the
    configured one (there is no variable for the prefix, so a prefix of its own needs the file)."""
    if index_prefix == configured_prefix:
        return f"done: set elasticsearch.url to {url} in config/lantian.yaml (or LANTIAN_ES_URL) to use it"
    return (f"done: set elasticsearch.url to {url} and elasticsearch.index_prefix to {index_prefix} in "
            "config/lantian.yaml to use it")
