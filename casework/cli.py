"""CLI commands of `casework` (registered on the `lantian` app): console, takedown, recheck, report, cases,
reviews, agencies."""
from __future__ import annotations

from datetime import UTC, date
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from casework import complaints_cli, leads_cli
from casework.cli_base import console, err, fail, lead_store, named_lead, user_errors
from casework.dates import date_zh, minute_zh
from casework.workflow import CONFIRMED_STATUSES
from core.beijing import stamp_zh
from core.environment import login_name
from core.terminal import as_text
from index.query import MAX_WINDOW

console_app = typer.Typer(help="Start the review console (web; no subcommand) or manage its users.",
                          invoke_without_command=True,
                          no_args_is_help=False)
cases_app = typer.Typer(help="Work with cases: workflow changes, exports for the case-handling system, evidence.",
                        no_args_is_help=True)
reviews_app = typer.Typer(help="Reviewer decisions as training examples for the detector.", no_args_is_help=True)
takedown_app = typer.Typer(help="Takedown requests to platforms: first letters, numbered follow-ups, the register.",
                            invoke_without_command=True, no_args_is_help=False)
agencies_app = typer.Typer(help="Agency credit-risk classification (信用风险分类) and entity resolution.",
                           no_args_is_help=True)


# --- console ------------------------------------------------------------------------------------------------

def port_in_use(host: str, port: int) -> None:
    """Refuse a port another server listens on, before saying the console is served there (uvicorn's own refusal
    came after "review console on …", with its errno)."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port} ({exc.strerror or exc}): another program (a console already "
             "running?) holds it; choose another with --port")


@console_app.callback()
def console_main(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8700, min=1, max=65535, help="Port to listen on."),
    users: Path | None = typer.Option(None, help="Users file (default config/casework/users.yaml)."),
    ssl_certfile: Path | None = typer.Option(None, help="Serve HTTPS with this certificate (PEM); the session "
                                                "cookie is then Secure and responses carry HSTS."),
    ssl_keyfile: Path | None = typer.Option(None, help="The certificate's private key (PEM)."),
    endpoints: Path | None = typer.Option(None, "--endpoints", help="JSON {platform: base_url} overriding base URLs "
                                          "for the captures of complaints' links, e.g. data/simulator/endpoints.json "
                                          "(links to internal addresses are captured only where a platform is)."),
) -> None:
    """Start the review console (log in with a user from `lantian console add-user`)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from casework.console.app import create_app
    from casework.console.security import served_over_tls
    from casework.users import load_users

    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together")
    with lead_store() as store:
        with user_errors():
            if not load_users(users):
                fail("no console users yet: add one with `lantian console add-user NAME --role admin`")
            tls = ssl_certfile is not None or served_over_tls()
            app = create_app(store, users, tls=tls, endpoints=endpoints)
            port_in_use(host, port)
        scheme = "https" if ssl_certfile is not None else "http"
        console.print(f"review console on {scheme}://{host}:{port}/ (backend: {store.backend}); Ctrl-C to stop")
        uvicorn.run(app, host=host, port=port, log_level="warning", ssl_certfile=ssl_certfile,
                    ssl_keyfile=ssl_keyfile)


@console_app.command("add-user")
def add_user(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("reviewer", help="reviewer or admin."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 help="At least 8 characters (prompted when not given)."),
    users: Path | None = typer.Option(None, help="Users file (default config/casework/users.yaml)."),
) -> None:
    """Add a console user or reset their password or role.

    Stores an Argon2id hash, never the password; a reset ends the user's open console sessions."""
    from casework.users import save_user, users_path

    with user_errors():
        save_user(username, role, password, users)
    console.print(f"saved {role} {username} in {users or users_path()}")


@console_app.command("users")
def list_users(users: Path | None = typer.Option(None, help="Users file.")) -> None:
    """List console users and their roles."""
    from casework.users import load_users

    with user_errors():
        found = load_users(users)
    for user in found.values():
        console.print(f"{user.username}\t{user.role}")


# --- takedown and recheck ---------------------------------------------------------------------------------------

@takedown_app.callback()
def takedown(
    ctx: typer.Context,
    platform: str | None = typer.Option(None, "--platform", "-p", help="Platform name as stored on the leads."),
    follow_up: bool = typer.Option(False, "--follow-up", help="Numbered follow-up notices for the platform's "
                                                             "persisting leads, citing the first request."),
    out: Path | None = typer.Option(None, help="Output folder (default <data dir>/casework/takedowns)."),
    by: str = typer.Option(login_name(), help="Who sends the request (recorded in the audit trail)."),
    sample: bool = typer.Option(False, "--sample", help="Only write the letter, marked 样稿 (not to be sent) on "
                                                        "every page: no lead moves, no notice is recorded."),
) -> None:
    """Build the takedown request (DOCX, PDF, URL CSV) for the platform's confirmed leads and mark them
    takedown_requested; with --follow-up, the numbered notice for its persisting leads. Refused while the sender's
    details in config/casework/takedown.yaml are placeholders, except as a --sample."""
    if ctx.invoked_subcommand is not None:
        return
    if not platform:
        fail("give --platform (or use `lantian takedown register`)")
    from casework.config import load_takedown_config
    from casework.takedown import request_follow_ups, request_takedowns
    from core.settings import data_dir

    folder = out or data_dir() / "casework" / "takedowns"
    with lead_store() as store, user_errors():
        config = load_takedown_config()
        if follow_up:
            results = request_follow_ups(store, platform, config, folder, by=by, sample=sample)
        else:
            first = request_takedowns(store, platform, config, folder, by=by, sample=sample)
            results = [first] if first else []
    if not results:
        wanted, how = (("persisting leads with an earlier request", "`lantian recheck` finds them")
                       if follow_up else
                       ("confirmed leads", "confirm leads in `lantian console`, or with `lantian cases status ID "
                        "reviewing` and then `lantian cases status ID confirmed`"))
        console.print(f"no {wanted} on platform {platform!r}: nothing to request ({how})", markup=False,
                      highlight=False)
        return
    for result in results:
        for kind, path in result.files.items():
            console.print(f"{kind}: {path}", highlight=False)
        if result.letter is not None and result.letter.sample:
            console.print(f"sample {result.letter.reference} written for {len(result.letter.rows)} leads: not sent, "
                          "no lead moved", highlight=False)
        elif result.letter is not None:
            notice = result.letter.notice
            cites = f", notice {notice.number} citing {notice.first_reference}" if notice.number > 1 else ""
            console.print(f"{len(result.moved)} leads → takedown_requested (reference {result.letter.reference}"
                          f"{cites}; reply due {result.letter.reply_by}, re-check after {config.deadline_days} "
                          "days)", highlight=False)
        for reason in result.refused:
            err.print(Text.assemble(("skipped", "yellow"), " ", as_text(reason)), soft_wrap=True)


@takedown_app.command("register")
def takedown_register(
    platform: str | None = typer.Option(None, "--platform", "-p", help="Only this platform."),
) -> None:
    """The register of requests: every notice sent, first requests and numbered follow-ups with what they cite.

    Each platform is shown by the name staff know it by; its code stays in the reference and in -p."""
    from casework.takedown import register
    from crawler.platforms import display_names

    with lead_store() as store, user_errors():
        entries = register(store, platform)
        names = display_names()
    # Dates in Beijing, as the letters print them (the reply is due by the day the letter names).
    table = Table(title=f"{len(entries)} takedown notice(s); times in Beijing (北京时间)")
    for column in ("reference", "notice", "platform", "sent", "reply due", "cites", "listings"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        reply_by = entry.get("reply_by")
        code = str(entry.get("platform") or "")
        table.add_row(entry["reference"], f"第{entry.get('number') or 1}次", as_text(names.get(code, code)),
                      minute_zh(entry.get("date"), "—"), date_zh(reply_by) if reply_by else "—",
                      str(entry.get("cites") or "—"), str(len(entry["lead_ids"])))
    console.print(table)


def recheck(
    ignore_deadline: bool = typer.Option(False, "--ignore-deadline", help="Re-check even before the deadline."),
    include_persisting: bool = typer.Option(False, "--include-persisting",
                                            help="Also re-check leads already marked persisting."),
    render: bool = typer.Option(True, "--render/--no-render",
                                help="Use Chromium for platforms that render their listing pages "
                                     "(browser.render_detail_pages in config/platforms/)."),
    by: str = typer.Option("recheck", help="Name recorded in the audit trail."),
    out: Path | None = typer.Option(None, help="Per-URL result CSV (default <data dir>/casework/rechecks/"
                                                  "recheck-<time>.csv)."),
) -> None:
    """Re-fetch takedown_requested leads past their deadline and mark each removed, persisting or resolved_by_edit.

    resolved_by_edit: still online, but the detector finds no violation any more. Writes a per-URL CSV."""
    from datetime import datetime

    from casework.config import load_recheck_config, load_takedown_config
    from casework.recheck import not_due, recheck_leads, write_results_csv
    from core.settings import data_dir

    outcomes: dict[str, int] = {"removed": 0, "persisting": 0, "resolved_by_edit": 0, "unreachable": 0}
    started = datetime.now(UTC)
    with lead_store() as store, user_errors():
        config = load_recheck_config()
        statuses = ["takedown_requested", "persisting"] if include_persisting else ["takedown_requested"]
        # The bar is for a terminal: run from cron or piped, its last frame would be left in the output.
        with Progress(TextColumn("re-checking"), BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                      disable=not err.is_terminal) as progress:
            task = progress.add_task("recheck", total=None)

            def step(verdict: Any) -> None:
                outcomes[verdict.outcome] += 1
                progress.advance(task)
                if verdict.outcome == "unreachable":
                    progress.console.print(Text.assemble(("unreachable", "yellow"), " ",
                                                         as_text(f"{verdict.lead_id}: {verdict.reason}")))

            verdicts = recheck_leads(store, config, by=by, statuses=statuses, ignore_deadline=ignore_deadline,
                                     render=render, progress=step, now=started)
        if not verdicts:
            waiting = not_due(store, started, statuses)
            days = load_takedown_config().deadline_days
            # The deadline in Beijing time, as the letter that set it printed it ("reply due 2026年12月13日").
            then = (f"{waiting.waiting} lead(s) wait, the next deadline is {stamp_zh(waiting.next_deadline)}. "
                    "Use --ignore-deadline to check them now." if waiting.waiting else
                    "no lead waits for one: `lantian takedown --platform P` requests the takedown of a platform's "
                    "confirmed leads.")
            console.print(f"nothing due: a lead is re-checked once its takedown_deadline has passed (the request "
                          f"date + deadline_days = {days} days, config/casework/takedown.yaml); {then}",
                          highlight=False)
            return
        path = out or data_dir() / "casework" / "rechecks" / f"recheck-{started:%Y%m%d-%H%M%S}.csv"
        write_results_csv(store, verdicts, path)
    console.print(f"removed {outcomes['removed']}, persisting {outcomes['persisting']}, "
                  f"resolved_by_edit {outcomes['resolved_by_edit']}, unreachable {outcomes['unreachable']}")
    console.print(f"wrote {path}", highlight=False)


# --- report --------------------------------------------------------------------------------------------------

def report(
    week: bool = typer.Option(True, "--week", help="The last seven days (the default period)."),
    ending: str | None = typer.Option(None, help="Last day of the week (YYYY-MM-DD; default today in Beijing)."),
    out: Path | None = typer.Option(None, help="Output folder (default <data dir>/casework/reports)."),
    images: bool = typer.Option(True, "--images/--no-images", help="Link agencies by near-identical images."),
) -> None:
    """Print the weekly report and write it as HTML (with charts) and XLSX."""
    from casework.complaints import COMPLAINT_STATUS_NAMES_ZH
    from casework.config import load_risk_config
    from casework.report import Period, build_report, reviewed_counts, write_html, write_xlsx
    from core.labels import LABEL_NAMES_ZH
    from core.lead import SOURCE_NAMES_ZH, STATUS_NAMES_ZH
    from core.settings import data_dir

    try:
        period = Period.week(date.fromisoformat(ending) if ending else None)
    except ValueError:
        fail(f"--ending {ending!r} is not a date (YYYY-MM-DD)")
    with lead_store() as store, user_errors():
        result = build_report(store, period, load_risk_config(), use_images=images)
        folder = out or data_dir() / "casework" / "reports"
        stem = f"weekly-{period.last_day.isoformat()}"
        html = write_html(result, folder / f"{stem}.html")
        xlsx = write_xlsx(result, folder / f"{stem}.xlsx")
    console.print(f"[bold]蓝天 weekly report {period.label}[/bold]: {result.new_leads} new leads, "
                  f"{result.agencies_active} agencies ({result.agencies_new} new, {result.agencies_repeat} repeat)")
    for title, counts, names in (("label", result.by_label, LABEL_NAMES_ZH), ("platform", result.by_platform,
                                                                        result.platform_names),
                                 ("district", result.by_district, {}), ("status", result.by_status,
                                                                         STATUS_NAMES_ZH),
                                 ("takedown outcomes this week", result.outcomes_in_period, STATUS_NAMES_ZH),
                                 ("source", result.by_source, SOURCE_NAMES_ZH),
                                 ("complaint status (now)", result.complaints_by_status, COMPLAINT_STATUS_NAMES_ZH),
                                 ("age of unanswered complaints", result.complaints_by_age, {})):
        table = Table(title=f"by {title}", show_header=False)
        for key, value in counts.items():
            table.add_row(as_text(names.get(key, key)), str(value))
        console.print(table)
    classes = ", ".join(f"{name} from {minimum:g}" for name, minimum in result.risk_classes.items())
    table = Table(title=f"agencies at or above class {result.trigger_class}",
                  caption=f"classes by score, low to high: {classes}; confirmed leads count in full, unreviewed "
                          f"ones × {result.unreviewed_factor:g}, dismissed ones not at all (config/casework/risk.yaml)")
    for column in ("class", "score", "agency", "platforms", "leads", "confirmed", "unreviewed"):
        table.add_column(column, overflow="fold")
    for agency in result.triggered:
        confirmed, unreviewed = reviewed_counts(agency)
        table.add_row(str(agency.risk_level), str(agency.score), as_text(agency.name),
                      as_text(result.platforms_of(agency)), str(agency.lead_count), str(confirmed), str(unreviewed))
    console.print(table)
    console.print(f"wrote {html}\nwrote {xlsx}")


# --- cases ---------------------------------------------------------------------------------------------------

@cases_app.command("status")
def case_status(
    lead_id: str = typer.Argument(..., help="Lead id, or a unique prefix of at least 6 characters."),
    to: str = typer.Argument(..., help="New status: reviewing, confirmed, dismissed, ..."),
    why: str = typer.Option("", help="Reason (required to dismiss)."),
    by: str = typer.Option(login_name(), help="Who makes the change."),
    admin: bool = typer.Option(False, "--admin", help="Act as admin (allows undoing a decision)."),
    label: list[str] = typer.Option([], "--label", "-l", help="With confirmed: a label of the lead found to hold "
                                    "(repeat for several; default all of its labels). Letters and case files "
                                    "state only these."),
) -> None:
    """Move a lead to another workflow status (refused with a message when the transition is not allowed)."""
    from casework import workflow

    with lead_store() as store, user_errors():
        lead = workflow.set_status(store, named_lead(store, lead_id).id, to, by=by, why=why,
                                   role="admin" if admin else "reviewer", labels=label or None)
    console.print(f"{lead.id}: {lead.audit[-1]['from']} → {lead.status}")


@cases_app.command("assign")
def case_assign(
    lead_id: str = typer.Argument(..., help="Lead id, or a unique prefix of at least 6 characters."),
    assignee: str = typer.Argument(..., help="Console user name (empty string to unassign)."),
    by: str = typer.Option(login_name(), help="Who makes the change."),
    users: Path | None = typer.Option(None, help="Users file (default config/casework/users.yaml)."),
) -> None:
    """Assign a lead to a reviewer (audited); once the console has users, only to one of them."""
    from casework import workflow
    from casework.users import load_users

    with lead_store() as store, user_errors():
        known = load_users(users)
        # A misspelt name would hand the lead to no one, as the console refuses to (没有用户).
        if assignee and known and assignee not in known:
            fail(f"no console user {assignee!r}: the users are {', '.join(sorted(known))} "
                 "(`lantian console add-user NAME` adds one)", code=2)
        lead = workflow.set_field(store, named_lead(store, lead_id).id, "assignee", assignee, by=by)
    console.print(f"{lead.id}: assigned to {assignee or 'nobody'}")


@cases_app.command("export")
def case_export(
    out: Path = typer.Option(..., help="Output file; .csv or .xlsx."),
    status: list[str] = typer.Option(list(CONFIRMED_STATUSES),
                                     help="Statuses to include (repeat the option)."),
    outside_shanghai: bool = typer.Option(False, "--outside-shanghai",
                                          help="Only sellers located outside Shanghai (案件移送 to their region)."),
) -> None:
    """Export confirmed leads (and later stages) for the case-handling system as CSV or XLSX."""
    from casework.config import load_takedown_config
    from casework.export import outside_shanghai as is_outside
    from casework.export import write_cases_csv, write_cases_xlsx
    from index import LeadQuery

    if out.suffix not in (".csv", ".xlsx"):
        fail(f"{out}: the output must end in .csv or .xlsx")
    with lead_store() as store, user_errors():
        leads = store.iter_leads(LeadQuery(statuses=status, sort="last_seen"))
        if outside_shanghai:
            leads = (lead for lead in leads if is_outside(lead))
        count = (write_cases_csv if out.suffix == ".csv" else write_cases_xlsx)(leads, out, load_takedown_config())
    console.print(f"wrote {count} leads to {out}")


@cases_app.command("evidence")
def case_evidence(
    lead_ids: list[str] = typer.Argument(..., help="Lead ids, or unique prefixes of at least 6 characters."),
    out: Path = typer.Option(Path("."), help="Folder for the ZIP files."),
) -> None:
    """Write one evidence package (ZIP with listing text, raw HTML, screenshot, SHA-256 manifest) per lead."""
    from casework.export import evidence_package

    with lead_store() as store, user_errors():
        for given in lead_ids:
            lead = named_lead(store, given)
            path = out / f"evidence-{lead.id}.zip"
            manifest = evidence_package(lead, path)
            missing = [f["kind"] for f in manifest["files"] if f.get("missing")]
            console.print(f"wrote {path}" + (f" (missing: {', '.join(missing)})" if missing else ""))


# --- reviews and agencies -----------------------------------------------------------------------------------------

@reviews_app.command("export")
def reviews_export(
    out: Path = typer.Option(..., help="Output JSONL file (detector corpus format)."),
) -> None:
    """Export reviewer decisions (confirmed = positive, dismissed = negative) as labelled examples."""
    from casework.reviews import export_reviews
    from index import LeadQuery

    with lead_store() as store, user_errors():
        leads = store.iter_leads(LeadQuery(statuses=[*CONFIRMED_STATUSES, "dismissed"]))
        counts = export_reviews(leads, out)
    console.print(f"wrote {counts['positive']} positive and {counts['negative']} negative examples to {out}")


@agencies_app.command("score")
def agencies_score(
    images: bool = typer.Option(True, "--images/--no-images", help="Link leads by near-identical images."),
) -> None:
    """Resolve advertisers across leads, classify each agency's risk (A–D) and index the results."""
    from casework.agencies import refresh
    from casework.config import load_risk_config

    with lead_store() as store, user_errors():
        with console.status("resolving advertisers and scoring agencies"):
            docs = refresh(store, load_risk_config(), use_images=images)
    by_level: dict[str, int] = {}
    for doc in docs:
        by_level[str(doc.risk_level)] = by_level.get(str(doc.risk_level), 0) + 1
    console.print(f"{len(docs)} agencies: " + ", ".join(f"{k} {v}" for k, v in sorted(by_level.items())))


@agencies_app.command("watchlist")
def agencies_watchlist(
    months: int = typer.Option(12, "--months", min=1, max=120, help="Violations confirmed in the last N months."),
    out: Path | None = typer.Option(None, help="Output folder (default <data dir>/casework/watchlists)."),
) -> None:
    """The 快速预审 watch list for the IP protection centre (CSV and XLSX).

    Agencies with violations confirmed in the period, with codes, licence status, violations, lead numbers and
    evidence hashes."""
    from casework.agencies import load_registry
    from casework.watchlist import watched_agencies, write_watchlist_csv, write_watchlist_xlsx
    from core.settings import data_dir
    from index import LeadQuery

    registry, problem = load_registry()
    if problem:
        err.print(Text.assemble(("warning:", "yellow"), " licence status unknown: ", as_text(problem)))
    with lead_store() as store, user_errors():
        agencies = watched_agencies(store.iter_leads(LeadQuery()), registry, months=months,
                                    registry_problem=problem)
        folder = out or data_dir() / "casework" / "watchlists"
        stem = f"watchlist-{date.today().isoformat()}-{months}m"
        files = [write_watchlist_csv(agencies, folder / f"{stem}.csv"),
                 write_watchlist_xlsx(agencies, folder / f"{stem}.xlsx")]
    console.print(f"{len(agencies)} agencies with violations confirmed in the last {months} months")
    for path in files:
        console.print(f"wrote {path}")


@agencies_app.command("list")
def agencies_list(
    level: list[str] = typer.Option([], help="Only these risk levels (repeat the option)."),
    text: str | None = typer.Option(None, help="Name or code contains."),
    limit: int = typer.Option(50, min=1, max=MAX_WINDOW, help="At most this many."),
) -> None:
    """List scored agencies, highest risk first, their platforms by the names staff know them by."""
    from crawler.platforms import display_names

    with lead_store() as store, user_errors():
        docs = [d for d in store.search_agencies(text, risk_levels=level or None, limit=limit)
                if not d.superseded]
        names = display_names()
    from casework.agencies import LICENCE_NAMES_ZH

    table = Table()
    for column in ("id", "class", "score", "agency", "licence", "codes", "platforms", "leads"):
        table.add_column(column, overflow="fold")
    for doc in docs:
        status = doc.licence["status"] if doc.licence else ""
        table.add_row(doc.id, str(doc.risk_level), str(doc.score), as_text(doc.name),
                      LICENCE_NAMES_ZH.get(status, status), as_text(", ".join(doc.agency_codes)),
                      as_text("、".join(names.get(code, code) for code in doc.platforms)), str(doc.lead_count))
    console.print(table)


@agencies_app.command("show")
def agencies_show(agency_id: str = typer.Argument(..., help="Agency id (from `agencies list`).")) -> None:
    """Why an agency has its class: licence status and every indicator with its values, weight and points."""
    from casework.agencies import LICENCE_NAMES_ZH

    with lead_store() as store, user_errors():
        doc = store.get_agency(agency_id)
    if doc is None or doc.superseded:
        fail(f"no agency {agency_id} (run `lantian agencies score`, then `lantian agencies list`)")
    licence_status = str(doc.licence["status"] if doc.licence else None)
    console.print(Text.assemble((f"{doc.risk_level} 类", "bold"), f"  {doc.score} 分  ", as_text(doc.name)))
    console.print(Text.assemble("别名：", as_text("、".join(doc.aliases) or "—")))
    console.print(Text.assemble("执业许可：", LICENCE_NAMES_ZH.get(licence_status, licence_status),
                                "（", as_text(doc.licence["note"] if doc.licence else ""), "）"))
    table = Table(title=f"indicators (unreviewed leads × {doc.unreviewed_factor})")
    for column in ("indicator", "confirmed", "unreviewed", "weight", "cap", "points"):
        table.add_column(column)
    for row in doc.breakdown:
        table.add_row(f"{row['name_zh']} ({row['indicator']})", f"{row['confirmed']:g}", f"{row['unreviewed']:g}",
                      f"{row['weight']:g}", f"{row['cap']:g}", f"{row['points']:g}")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `lantian` app."""
    app.add_typer(console_app, name="console")
    app.add_typer(takedown_app, name="takedown")
    app.command("recheck")(recheck)
    app.command("report")(report)
    app.add_typer(cases_app, name="cases")
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(agencies_app, name="agencies")
    app.add_typer(leads_cli.app, name="leads")
    complaints_cli.register(app)
