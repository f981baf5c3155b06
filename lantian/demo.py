"""`lantian demo`: the main job end to end on the embedded default."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `lantian demo`."""
