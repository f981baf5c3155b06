"""Processes that open one new SQLite database at the same moment all get it: the crawl's workers share the OCR
cache, the seen-store and the lead store, and the first one to turn a new file to write-ahead logging held a lock
that SQLite reported to the others as "database is locked" at once, without waiting (a distributed crawl's site
crawl failed to open in stop 33's CI)."""
from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from core.sqlite import open_database

PROCESSES = 6
ROUNDS = 20


def _open_together(path: str, barrier: Any, answers: Any) -> None:
    barrier.wait()
    try:
        db = open_database(Path(path))
        db.executescript("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY)")
        db.close()
        answers.put("")
    except Exception as exc:  # the answer is what the test reads
        answers.put(repr(exc))


def test_processes_opening_a_new_database_together_all_get_it(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    failures: list[str] = []
    for round_number in range(ROUNDS):
        path = tmp_path / f"round-{round_number}" / "cache.sqlite3"
        barrier, answers = context.Barrier(PROCESSES), context.Queue()
        processes = [context.Process(target=_open_together, args=(str(path), barrier, answers))
                     for _ in range(PROCESSES)]
        for process in processes:
            process.start()
        failures += [answer for answer in (answers.get(timeout=60) for _ in processes) if answer]
        for process in processes:
            process.join(timeout=60)
    assert failures == []
