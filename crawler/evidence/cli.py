"""`lantian evidence verify`, `anchor` and `show`: check, anchor and look up the crawl's evidence."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from core.beijing import stamp_zh
from core.config import ConfigError
from core.settings import data_dir
from core.terminal import as_text
from crawler.evidence.anchor import CHECKPOINTS_NAME, Checkpoints, signing_key, signing_key_path
from crawler.evidence.archive import LOG_NAME, EvidenceArchive
from crawler.evidence.log import EvidenceLogError, VerifyReport

evidence_app = typer.Typer(help="Check and look up evidence (WARC, raw pages, screenshots, the hash-chained log).",
                           no_args_is_help=True)
console = Console()

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="lantian data directory (default: LANTIAN_DATA_DIR or <project>/data); "
                                    "evidence is read from its evidence/ folder."),
]


def _archive(data_dir_option: Path | None) -> EvidenceArchive:
    base = data_dir_option or data_dir()
    if data_dir_option is not None and not data_dir_option.is_dir():
        console.print(f"[red]Error:[/red] data directory {data_dir_option} does not exist", soft_wrap=True)
        raise typer.Exit(2)
    return EvidenceArchive(Path(base) / "evidence")


def _key_path() -> Path:
    """The configured signing key's path; a config error is one red line and exit status 2."""
    try:
        return signing_key_path()
    except ConfigError as exc:
        _config_error(exc)


def _config_error(exc: ConfigError) -> NoReturn:
    console.print(Text.assemble(("Error:", "red"), " ", as_text(exc)), soft_wrap=True)
    raise typer.Exit(2)


def _checked(archive: EvidenceArchive, key_path: Path, files: bool) -> VerifyReport:
    total = archive.log.line_count()
    with Progress(TextColumn("Verifying evidence"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("verify", total=total)
        try:
            return archive.verify(lambda number: progress.update(task, completed=number), key_path=key_path,
                                  files=files)
        except ConfigError as exc:
            _config_error(exc)


def _print_problems(report: VerifyReport) -> None:
    problems = Table("line", "problem", "file", "detail", title=f"{len(report.problems)} problem(s)")
    for problem in report.problems[:50]:
        problems.add_row(str(problem.line), problem.kind, as_text(problem.path), as_text(problem.detail))
    console.print(problems)


@evidence_app.command("verify")
def verify(data_dir_option: DataDirOption = None) -> None:
    """Re-hash every evidence file and log line and check the log against its signed checkpoints.

    Exit status 1 if anything was altered, removed or re-chained, or if no checkpoint anchors the log."""
    archive = _archive(data_dir_option)
    if archive.log.line_count() == 0 and not archive.blobs.root.exists():
        console.print(f"No evidence recorded under {archive.root}.", soft_wrap=True)
        return
    report = _checked(archive, _key_path(), files=True)
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column(overflow="fold")
    summary.add_row("Evidence directory", as_text(archive.root))
    summary.add_row("Log lines checked", str(report.lines))
    summary.add_row("Files re-hashed", str(report.files_checked))
    summary.add_row("Chain head", f"seq {report.head_seq} · {report.head_hash}" if report.head_seq else "(empty)")
    summary.add_row("Signed checkpoint", f"up to seq {report.anchored_seq}" if report.anchored_seq else "none")
    later = (report.head_seq or 0) - (report.anchored_seq or 0)
    if report.anchored_seq and later > 0:
        summary.add_row("Not yet anchored", f"{later} line(s) after the last checkpoint (a crawl still running or "
                                            "killed; `lantian evidence anchor` signs them)")
    summary.add_row("Files named by no log line", str(len(report.unlogged)))
    console.print(summary)
    for path in report.unlogged[:10]:
        console.print(Text.assemble("  ", ("unlogged", "yellow"), " ", as_text(path)))
    if report.ok:
        console.print("[green]OK[/green]: the log chain is intact up to its signed checkpoint and every logged file "
                      "matches its SHA-256.", soft_wrap=True)
        return
    _print_problems(report)
    first = report.first_problem
    assert first is not None  # the report is not ok
    if all(problem.kind == "unanchored" for problem in report.problems):
        console.print("[yellow]NOT ANCHORED[/yellow]: the chain is intact, but no signed checkpoint shows that no "
                      "line was removed from its end.", soft_wrap=True)
    else:
        console.print(Text.assemble(("TAMPERED", "red"), f": first broken at line {first.line} of "
                                    f"{first.path if first.path == CHECKPOINTS_NAME else LOG_NAME} ({first.kind})."),
                      soft_wrap=True)
    raise typer.Exit(1)


@evidence_app.command("anchor")
def anchor(data_dir_option: DataDirOption = None) -> None:
    """Sign a checkpoint of the log's head now and print the head for the case file.

    Refused when the log is broken: run `lantian evidence verify`."""
    archive = _archive(data_dir_option)
    if archive.log.line_count() == 0:
        console.print(f"No evidence recorded under {archive.root}.", soft_wrap=True)
        return
    key_path = _key_path()
    report = _checked(archive, key_path, files=False)
    if any(problem.kind != "unanchored" for problem in report.problems):
        _print_problems(report)
        first = report.first_problem
        assert first is not None  # a problem was found just above
        console.print(Text.assemble(("Not signed", "red"), f": the log is broken at line {first.line} "
                                    f"({first.kind}); run `lantian evidence verify`."), soft_wrap=True)
        raise typer.Exit(1)
    try:
        checkpoint = Checkpoints(archive.log).sign_head(signing_key(key_path))
    except ConfigError as exc:
        _config_error(exc)
    except EvidenceLogError as exc:
        console.print(Text.assemble(("Not signed", "red"), ": ", as_text(exc)), soft_wrap=True)
        raise typer.Exit(1) from None
    assert checkpoint is not None  # the log has lines
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row("Evidence log", as_text(archive.log.path))
    facts.add_row("Head", f"seq {checkpoint.seq} · {checkpoint.hash}")
    facts.add_row("Signed", f"{stamp_zh(checkpoint.at, checkpoint.at)} with key {checkpoint.key}")
    console.print(facts)
    console.print(f"For the case file: 蓝天证据日志截至第 {checkpoint.seq} 条，链头 SHA-256 {checkpoint.hash}，"
                  f"{stamp_zh(checkpoint.at, checkpoint.at)} 签名（密钥指纹 {checkpoint.key[:16]}）。", soft_wrap=True,
                  highlight=False)


_SHOWN_FIELDS = ("sha256", "url", "request_url", "status", "fetched_at", "taken_at", "source", "size",
                 "warc_path", "warc_offset", "warc_record_id", "hash")
# Fields holding an instant: the log keeps UTC, staff read Beijing time with the zone named (`core.beijing`).
_TIME_FIELDS = ("fetched_at", "taken_at")


@evidence_app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="A listing URL (final or requested) or a SHA-256 (8+ hex digits).")],
    data_dir_option: DataDirOption = None,
) -> None:
    """Print the evidence records of one listing URL or one file hash."""
    archive = _archive(data_dir_option)
    records = archive.find(key)
    if not records:
        console.print(as_text(f"No evidence records for {key} in {archive.log.path}."), soft_wrap=True)
        raise typer.Exit(1)
    console.print(as_text(f"{len(records)} evidence record(s) for {key}"))
    for record in records:
        fields = Table.grid(padding=(0, 2))
        fields.add_column(style="bold", no_wrap=True)
        fields.add_column(overflow="fold")
        fields.add_row("file", as_text(archive.root / str(record.get("path"))))
        for name in _SHOWN_FIELDS:
            if record.get(name) not in (None, ""):
                value = archive.root / str(record[name]) if name == "warc_path" else record[name]
                if name in _TIME_FIELDS:
                    value = stamp_zh(str(value), missing=str(value))
                fields.add_row(name, as_text(value))
        logged = stamp_zh(record.get("at"), "?")
        console.rule(as_text(f"#{record.get('seq')} {record.get('kind')} · logged {logged}"), align="left")
        console.print(fields)


def register(app: typer.Typer) -> None:
    """Add the `evidence` command group to the `lantian` app."""
    app.add_typer(evidence_app, name="evidence")
