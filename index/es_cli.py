"""`lantian es start|stop|status`: the local single-node Elasticsearch server."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `es` sub-app."""
