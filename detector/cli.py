"""CLI commands of `detector` (registered on the `lantian` app): `detect`, plus `train` and `eval`."""
from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from core.config import ConfigError
from detector.training import cli as training_cli

BATCH_SIZE = 256
STAT_NAMES = {
    "images_read": "images read",
    "images_failed": "images unreadable",
    "fields_truncated": "over-long fields cut",
}


def register(app: typer.Typer) -> None:
    """Add `detect`, and the training commands (`train`, `eval`)."""
    app.command("detect")(detect)
    training_cli.register(app)


def detect(
    input: Annotated[str, typer.Option("--input", "-i", help="JSONL of listings (id, title, text, seller, "
                                       "images …); '-' reads standard input.")] = "-",
    output: Annotated[str, typer.Option("--output", "-o", help="JSONL of detections; '-' writes standard "
                                        "output.")] = "-",
    model_dir: Annotated[Path | None, typer.Option(help="Trained model directory (default models/detector/).")] = None,
    rules_only: Annotated[bool, typer.Option("--rules-only", help="Score with the config rules alone, "
                                             "without the trained model.")] = False,
    registry: Annotated[Path | None, typer.Option(help="Licensed-agency registry CSV (default: registry.path "
                                                  "of config/lantian.yaml).")] = None,
    config: Annotated[Path | None, typer.Option(help="Config directory (default config/).")] = None,
) -> None:
    """Detect illegal IP-agency ads: one JSON listing per line in, one detection per line out.

    Output lines hold id, labels, scores (every label, 0..1), evidence in original offsets, entities, risk and
    solicitation (0..1: is the author offering something to win business?).

    Bad lines are reported with their line number and skipped; a summary ends the run. Exit status 1 says that
    some lines were skipped (every good line is still written), 2 a usage or config error.
    """
    err = Console(stderr=True)
    from detector.detector import Detector, freeze_loaded
    from detector.registry import warning_about

    try:
        detector = Detector.load(config, model_dir, rules_only=rules_only, registry=registry)
    except ConfigError as exc:
        _fail(err, str(exc))
    freeze_loaded()  # this command owns its process: its garbage collections need not walk the detector
    warning = warning_about(detector.registry_problem)
    if warning:
        err.print(f"warning: {warning}", style="yellow", markup=False, highlight=False, soft_wrap=True)
    with ExitStack() as stack:
        try:
            source = sys.stdin.buffer if input == "-" else stack.enter_context(open(input, "rb"))
            sink: IO[str] = sys.stdout if output == "-" else stack.enter_context(
                open(output, "w", encoding="utf-8"))
        except OSError as exc:
            _fail(err, f"{exc.filename}: {exc.strerror}")
        total = Path(input).stat().st_size if input != "-" else None
        summary = _run(detector, source, sink, err, total)
    labels = ", ".join(f"{label} {count}" for label, count in sorted(summary["labels"].items())) or "none"
    err.print(
        f"{summary['listings']} listings detected ({detector.mode} mode), {summary['flagged']} flagged "
        f"({labels}), {summary['bad']} bad lines skipped"
        + "".join(f", {count} {STAT_NAMES.get(key, key)}" for key, count in sorted(detector.stats.items())),
        markup=False, highlight=False, soft_wrap=True,
    )
    if summary["bad"]:
        raise typer.Exit(1)


def _fail(err: Console, message: str) -> NoReturn:
    """A user error: one line on stderr, exit status 2, no traceback."""
    err.print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _run(detector: Any, source: IO[bytes], sink: IO[str], err: Console, total: int | None) -> dict[str, Any]:
    summary: dict[str, Any] = {"listings": 0, "flagged": 0, "bad": 0, "labels": Counter()}
    progress = Progress(TextColumn("detecting"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} bytes"
                        if total else "{task.fields[listings]} listings"), TimeElapsedColumn(),
                        console=err, transient=True, disable=not err.is_terminal)

    def bad(line_no: int, message: str) -> None:
        summary["bad"] += 1
        err.print(f"line {line_no}: {message} (skipped)", markup=False, highlight=False, soft_wrap=True)

    with progress:
        task = progress.add_task("detect", total=total, listings=0)
        for batch_lines, batch in _batches(source, bad, lambda n: progress.advance(task, n)):
            def skipped(index: int, exc: Exception, lines: list[int] = batch_lines) -> None:
                bad(lines[index], str(exc))

            for result in detector.detect_many(batch, skipped):
                sink.write(json.dumps(result.document(), ensure_ascii=False) + "\n")
                summary["listings"] += 1
                if result.labels:
                    summary["flagged"] += 1
                    summary["labels"].update(result.labels)
            progress.update(task, listings=summary["listings"])
    sink.flush()
    return summary


def _batches(source: IO[bytes], bad: Any, advance: Any) -> Iterator[tuple[list[int], list[Any]]]:
    """Parsed JSON lines in batches, with their line numbers; lines that are not JSON go to `bad`."""
    numbers: list[int] = []
    batch: list[Any] = []
    for line_no, raw in enumerate(source, start=1):
        advance(len(raw))
        if not raw.strip():
            continue
        try:
            listing = json.loads(raw.decode("utf-8-sig" if line_no == 1 else "utf-8"))
        except UnicodeDecodeError:
            bad(line_no, "not UTF-8 text")
            continue
        except json.JSONDecodeError as exc:
            bad(line_no, f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        except ValueError:  # json.loads refuses an integer longer than Python converts
            bad(line_no, f"invalid JSON (a number of more than {sys.get_int_max_str_digits()} digits)")
            continue
        except RecursionError:
            bad(line_no, "invalid JSON (nested too deeply)")
            continue
        numbers.append(line_no)
        batch.append(listing)
        if len(batch) >= BATCH_SIZE:
            yield numbers, batch
            numbers, batch = [], []
    if batch:
        yield numbers, batch
