"""CLI commands of `index` (registered on the `lantian` app)."""
from __future__ import annotations

import typer

from index import es_cli, kibana_cli, leads_cli


def register(app: typer.Typer) -> None:
    """Add this part's commands to the `lantian` app: `es ...` (local server) and the lead/Kibana commands."""
    es_cli.register(app)
    app.add_typer(leads_cli.app, name="leads")
    app.add_typer(kibana_cli.app, name="kibana")
