"""`lantian complaints add|list|show|reply`: complaints from the public, from receipt to the answer."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from casework.cli_base import console, fail, lead_store, user_errors
from casework.dates import minute_zh
from core.beijing import stamp_zh
from core.environment import login_name
from core.lead import Lead
from core.terminal import as_text

app = typer.Typer(help="Complaints from the public (举报投诉): record, capture their links and screenshots, answer.",
                  no_args_is_help=True)


def _register() -> Any:
    """The complaint register (imported here so that `lantian --help` stays fast)."""
    from casework.complaints import ComplaintRegister

    return ComplaintRegister()


@app.command("add")
def add(
    report: str = typer.Option(..., "--report", help="What the complainant reports, in their words."),
    name: str = typer.Option("", "--name", help="The complainant's name (private: only in the answer to them)."),
    phone: str = typer.Option("", "--phone", help="The complainant's phone (private)."),
    email: str = typer.Option("", "--email", help="The complainant's e-mail (private)."),
    address: str = typer.Option("", "--address", help="The complainant's postal address (private)."),
    channel: str = typer.Option("", "--channel", help="How it came in: 电话, 来信, 网上, 当面 ..."),
    url: list[str] = typer.Option([], "--url", help="A link the complainant gives (repeatable); captured as a lead."),
    screenshot: list[Path] = typer.Option(
        [], "--screenshot", exists=True, dir_okay=False,
        help="An image the complainant attaches (repeatable); kept as evidence, OCR'd and detected as a lead."),
    screenshot_platform: str = typer.Option(
        "screenshot", "--screenshot-platform", help="Where the screenshots' posts were seen (e.g. wechat)."),
    by: str = typer.Option(login_name(), "--by", help="Who records the complaint (audited)."),
    endpoints: Path | None = typer.Option(None, "--endpoints", help="Base-URL overrides for the capture."),
) -> None:
    """Record a complaint, capture its links and keep its screenshots as evidence; prints its number."""
    from casework.complaints import add_screenshot, capture_links, load_complaints_config, record_captures
    from crawler.cli import warn_without_registry
    from detector import Detector
    from detector.ocr import ImageTextReader

    if url or screenshot:
        warn_without_registry()
    with lead_store() as store, user_errors():
        config = load_complaints_config()
        register = _register()
        try:
            complaint = register.add(report=report, by=by, channel=channel, urls=url, config=config,
                                     complainant={"name": name, "phone": phone, "email": email, "address": address})
            console.print(f"complaint {complaint.number} recorded; answer due by "
                          f"{stamp_zh(complaint.answer_deadline)}", highlight=False)
            if screenshot:
                detector, reader = Detector.load(), ImageTextReader()
                for path in screenshot:
                    entry = add_screenshot(register, store, detector, reader, complaint.number, path.read_bytes(),
                                           name=path.name, by=by, platform=screenshot_platform)
                    labels = ", ".join(entry["labels"]) or "no label"
                    console.print(Text.assemble("screenshot ", as_text(path.name), f": sha256 {entry['sha256']}, "
                                                f"lead {entry['lead_id']} ({labels})"))
            store.flush()
            outcomes = capture_links(complaint.urls, complaint.number, by=by, endpoints=endpoints)
            record_captures(register, store, complaint.number, outcomes, by=by)
            for outcome in outcomes:
                console.print(Text.assemble((outcome.outcome, "green" if outcome.captured else "yellow"), " ",
                                            as_text(outcome.url), ": ", as_text(outcome.message)))
        finally:
            register.close()


@app.command("list")
def list_complaints(
    all_: bool = typer.Option(False, "--all", help="Also the answered ones."),
) -> None:
    """Complaints not answered yet (oldest first) with their status and age against the answer deadline."""
    from casework.complaints import COMPLAINT_STATUS_NAMES_ZH, load_complaints_config, status_of

    with lead_store() as store, user_errors():
        config = load_complaints_config()
        register = _register()
        try:
            complaints = register.all(answered=None if all_ else False)
            table = Table(title=f"complaints (answer within {config.answer_days} days; times in Beijing, 北京时间)")
            for column in ("no.", "received", "age", "due", "status", "leads", "report"):
                table.add_column(column, overflow="fold")
            for complaint in complaints:
                status = status_of(complaint, store, config)
                due = minute_zh(complaint.answer_deadline) + (" [red]overdue[/red]" if complaint.overdue() else "")
                table.add_row(str(complaint.number), minute_zh(complaint.received_at), f"{complaint.age_days()} d", due,
                              f"{status} {COMPLAINT_STATUS_NAMES_ZH[status]}", str(len(complaint.lead_ids)),
                              as_text(complaint.report[:60]))
        finally:
            register.close()
    console.print(table)


@app.command("show")
def show(number: int = typer.Argument(..., help="Complaint number.")) -> None:
    """One complaint: the report, its links and screenshots with what became of them, its leads and audit trail."""
    from casework.complaints import load_complaints_config, status_of

    with lead_store() as store, user_errors():
        config = load_complaints_config()
        register = _register()
        try:
            complaint = register.get(number)
            if complaint is None:
                fail(f"no complaint {number}")
            status = status_of(complaint, store, config)
            leads = [store.get(lead_id) or Lead(id=lead_id, status="missing") for lead_id in complaint.lead_ids]
        finally:
            register.close()
    console.print(Text.assemble((f"complaint {complaint.number}", "bold"), f" ({status}) received "
                                f"{stamp_zh(complaint.received_at)} by ", as_text(complaint.received_by),
                                f"; answer due {stamp_zh(complaint.answer_deadline)}"))
    console.print(Text.assemble("complainant: ", as_text(", ".join(complaint.complainant.values()) or "—")))
    console.print(Text.assemble("report: ", as_text(complaint.report)))
    for capture in complaint.captures:
        console.print(Text.assemble("link ", as_text(capture["url"]), f": {capture['outcome']} — ",
                                    as_text(capture["message"])))
    for shot in complaint.screenshots:
        console.print(Text.assemble("screenshot ", as_text(shot["name"]), f" sha256 {shot['sha256']}: ",
                                    as_text(shot["ocr_text"][:80])))
    for lead in leads:
        console.print(Text.assemble(f"lead {lead.id} {lead.status} {', '.join(lead.labels) or 'no label'} ",
                                    as_text(lead.url or "")))
    for event in complaint.audit:
        console.print(Text.assemble(f"{stamp_zh(event['at'])} ", as_text(event.get("by")), f" {event['action']} ",
                                    as_text(event.get("to") or ""), " ", as_text(event.get("why") or "")))


@app.command("reply")
def reply(
    number: int = typer.Argument(..., help="Complaint number."),
    out: Path | None = typer.Option(None, help="Output folder (default <data dir>/casework/replies)."),
    by: str = typer.Option(login_name(), "--by", help="Who answers (audited)."),
) -> None:
    """Write the answer to the complainant (DOCX and text), once every lead the complaint names is closed.

    Its wording is config/casework/complaints.yaml; the answer is recorded in the complaint's and the leads' audit
    trails."""
    from casework.complaints import answer, load_complaints_config
    from casework.config import load_takedown_config
    from core.settings import data_dir

    with lead_store() as store, user_errors():
        register = _register()
        try:
            result, files = answer(register, store, number, load_complaints_config(), load_takedown_config(), by=by,
                                   out_dir=out or data_dir() / "casework" / "replies")
        finally:
            register.close()
    for kind, path in files.items():
        console.print(f"{kind}: {path}")
    console.print(f"complaint {number} answered ({result.reference})")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="complaints")

