"""CLI commands of `crawler` (registered on the `lantian` app)."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `lantian` app."""
