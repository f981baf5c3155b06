"""What every casework command shares: the terminal, user errors as one red line, the lead store, the user."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text

from casework.complaints import ComplaintError
from casework.workflow import WorkflowError
from core.config import ConfigError
from core.terminal import as_text
from index import LeadStore, StoreError, open_store

console = Console()
err = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print `message` as one red line and exit with status 1."""
    err.print(Text.assemble(("error:", "red"), " ", as_text(message)), soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def user_errors() -> Iterator[None]:
    """User errors (config, store, workflow) as one red line and exit code 1, never a traceback."""
    try:
        yield
    except (ConfigError, StoreError, WorkflowError, ComplaintError, OSError) as exc:
        fail(str(exc))


@contextmanager
def lead_store() -> Iterator[LeadStore]:
    """The configured lead store, closed when the command ends; its errors are user errors."""
    with user_errors():
        store = open_store()
        try:
            yield store
        finally:
            store.close()
