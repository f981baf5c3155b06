"""CLI commands of `index` (registered on the `lantian` app)."""
from __future__ import annotations

import typer

from index import es_cli, kibana_cli


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `lantian` app: `es ...` (local server) and `kibana ...`."""
    es_cli.register(app)
    app.add_typer(kibana_cli.app, name="kibana")
