"""What every casework command shares: the terminal, user errors as one red line, the lead store, the user, and
the lead a command names."""
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
from core.lead import Lead
from core.terminal import as_text
from index import LeadQuery, LeadStore, StoreError, open_store

# The shortest id prefix a command takes for a lead (`lantian leads list` shows the first 12 characters).
MIN_ID_PREFIX = 6

console = Console()
err = Console(stderr=True)


def fail(message: object, code: int = 1) -> NoReturn:
    """Print `message` as one red line (as text: it may quote what the user typed or a crawled value) and exit with
    `code` (1; 2 for a command used wrongly)."""
    err.print(Text.assemble(("error:", "red"), " ", as_text(str(message))), soft_wrap=True)
    raise typer.Exit(code)


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


def named_lead(store: LeadStore, given: str) -> Lead:
    """The lead `given` names: by its whole id, or by a prefix of at least `MIN_ID_PREFIX` characters that only
    its id starts with (as `lantian leads list` shows ids); fails with one red line when no lead or several do."""
    lead = store.get(given)
    if lead is None and len(given) >= MIN_ID_PREFIX:
        page = store.search(LeadQuery(id_prefix=given, limit=2))
        if page.total > 1:
            fail(f"{page.total} leads start with {given}: give more characters")
        lead = page.leads[0] if page.leads else None
    if lead is None:
        fail(f"no lead {given}")
    return lead
