"""CLI commands of `crawler.evidence` (registered through its parent part's cli module)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `lantian` app."""
