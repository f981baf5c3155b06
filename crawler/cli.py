"""CLI commands of `crawler` (registered on the `lantian` app)."""
from __future__ import annotations

import typer

from crawler.evidence import cli as evidence_cli


def register(app: typer.Typer) -> None:
    """Add `crawl`, and the evidence commands."""
    evidence_cli.register(app)
