"""The `lantian` command: one Typer app; each part of the product registers its own commands."""
from __future__ import annotations

from importlib import import_module

import typer

COMMAND_MODULES = (
    "simulator.cli",
    "detector.cli",
    "crawler.cli",
    "crawler.distributed.cli",
    "index.cli",
    "casework.cli",
    "lantian.demo",
)

app = typer.Typer(
    name="lantian",
    help="蓝天 lantian — crawl platforms, detect illegal IP-agency ads, index leads, and work the cases.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)

for _module in COMMAND_MODULES:
    import_module(_module).register(app)
