"""The SQLite databases lantian keeps under the data dir (the embedded lead store, the seen-store, the OCR cache,
the complaints register, the console's sessions): opened one way, and written in transactions that take SQLite's
write lock before they read, so two processes never both read a row and then both write it."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

BUSY_SECONDS = 30.0
"""How long a process waits for another's lock on a database before it gives up."""


def open_database(path: Path) -> sqlite3.Connection:
    """A connection to the database at `path` (its folder created) that the threads of a process share under a lock
    of their own: in autocommit mode, so a transaction is always an explicit `transaction`, and with write-ahead
    logging, so readers do not wait for a writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=BUSY_SECONDS, check_same_thread=False, isolation_level=None)
    # Turning a new file to write-ahead logging needs its exclusive lock, and SQLite answers "database is locked"
    # at once, without its busy timeout, while another process does the same: two crawl workers opening the
    # shared OCR cache together failed one crawl (stop 33's CI). Asked again until the timeout.
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                db.close()
                raise
            time.sleep(0.02)


@contextmanager
def transaction(db: sqlite3.Connection, lock: AbstractContextManager[Any]) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT` on `db` while holding `lock`, rolled back on any exception. Entered again inside
    a transaction of the same thread (with a reentrant `lock`), it joins the transaction already open."""
    with lock:
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
