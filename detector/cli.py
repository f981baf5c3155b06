"""CLI commands of `detector` (registered on the `lantian` app)."""
from __future__ import annotations

import typer

from detector.training import cli as training_cli


def register(app: typer.Typer) -> None:
    """Add `detect`, and the training commands (`train`, `eval`)."""
    training_cli.register(app)
