"""`lantian kibana setup`: import the leads data view, saved searches and dashboard into Kibana."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from core.config import ConfigError
from core.settings import main_settings
from index.es_indices import leads_alias
from index.kibana_setup import KibanaError, import_objects, render, saved_objects

app = typer.Typer(help="Kibana for the review staff: the leads data view, saved searches and dashboard.",
                  no_args_is_help=True)
console = Console()


@app.command("setup")
def setup(
    url: Annotated[str, typer.Option("--url", help="Kibana base URL, e.g. http://localhost:5601.")],
    evidence_url: Annotated[str, typer.Option(help="Web server serving the data dir's evidence files at their "
                                              "absolute paths (the `evidence` service of deploy/).")]
    = "http://localhost:8081",
    space: Annotated[str | None, typer.Option(help="Kibana space id (default space when omitted).")] = None,
    ca_certs: Annotated[str | None, typer.Option(help="CA bundle for Kibana over TLS with a private CA.")] = None,
) -> None:
    """Import (or update) lantian's saved objects through Kibana's saved objects API."""
    try:
        alias = leads_alias(main_settings().elasticsearch.index_prefix)
        ndjson = render(alias, evidence_url)
        result = import_objects(url, ndjson, space=space, verify=ca_certs or True)
    except (ConfigError, KibanaError, ValueError) as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    titles = {o["id"]: o["attributes"].get("title") for o in saved_objects()}
    console.print(f"[green]imported {result.get('successCount', 0)} saved object(s)[/green] into {url} "
                  f"(data view on [bold]{alias}[/bold])")
    for item in result.get("successResults") or []:
        console.print(f"  {item.get('type')}: {titles.get(item.get('id'), item.get('id'))}")
