"""`lantian evidence verify` and `lantian evidence show`: check and look up the crawl's evidence."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from crawler.evidence.archive import LOG_NAME, EvidenceArchive
from lantian.settings import data_dir
from lantian.terminal import as_text

evidence_app = typer.Typer(help="Check and look up evidence (WARC, raw pages, screenshots, the hash-chained log).",
                           no_args_is_help=True)
console = Console()

DataDirOption = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="lantian data directory (default: LANTIAN_DATA_DIR or <project>/data); "
                                    "evidence is read from its evidence/ folder."),
]


def _archive(data_dir_option: Path | None) -> EvidenceArchive:
    base = data_dir_option or data_dir()
    if data_dir_option is not None and not data_dir_option.is_dir():
        console.print(f"[red]Error:[/red] data directory {data_dir_option} does not exist", soft_wrap=True)
        raise typer.Exit(2)
    return EvidenceArchive(Path(base) / "evidence")


@evidence_app.command("verify")
def verify(data_dir_option: DataDirOption = None) -> None:
    """Re-hash every evidence file and every log line; exit 1 if anything was altered, removed or re-chained."""
    archive = _archive(data_dir_option)
    total = archive.log.line_count()
    if total == 0 and not archive.blobs.root.exists():
        console.print(f"No evidence recorded under {archive.root}.", soft_wrap=True)
        return
    with Progress(TextColumn("Verifying evidence"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("verify", total=total)
        report = archive.verify(on_line=lambda number: progress.update(task, completed=number))

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column(overflow="fold")
    summary.add_row("Evidence directory", str(archive.root))
    summary.add_row("Log lines checked", str(report.lines))
    summary.add_row("Files re-hashed", str(report.files_checked))
    summary.add_row("Chain head", f"seq {report.head_seq} · {report.head_hash}" if report.head_seq else "(empty)")
    summary.add_row("Files named by no log line", str(len(report.unlogged)))
    console.print(summary)
    for path in report.unlogged[:10]:
        console.print(Text.assemble("  ", ("unlogged", "yellow"), " ", as_text(path)))
    if report.ok:
        console.print("[green]OK[/green]: the log chain is intact and every logged file matches its SHA-256.")
        return
    problems = Table("line", "problem", "file", "detail", title=f"{len(report.problems)} problem(s)")
    for problem in report.problems[:50]:
        problems.add_row(str(problem.line), problem.kind, as_text(problem.path), as_text(problem.detail))
    console.print(problems)
    first = report.first_problem
    console.print(f"[red]TAMPERED[/red]: first broken at line {first.line} of {LOG_NAME} ({first.kind}).",
                  soft_wrap=True)
    raise typer.Exit(1)


_SHOWN_FIELDS = ("sha256", "url", "request_url", "status", "fetched_at", "taken_at", "source", "size",
                 "warc_path", "warc_offset", "warc_record_id", "hash")


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
                value = archive.root / record[name] if name == "warc_path" else record[name]
                fields.add_row(name, as_text(value))
        console.rule(as_text(f"#{record.get('seq')} {record.get('kind')} · logged {record.get('at')}"), align="left")
        console.print(fields)


def register(app: typer.Typer) -> None:
    """Add the `evidence` command group to the `lantian` app."""
    app.add_typer(evidence_app, name="evidence")
