"""The `lantian` command: one Typer app; each part of the product registers its own commands.

`main` (the `lantian` script) imports only the part that owns the command asked for: importing every part (aiohttp,
Scrapy, numpy, …) takes longer than many commands take to run, and scripts and tests start `lantian` again and again.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import cache
from importlib import import_module

import typer

# Each module's `register(app)` adds these top-level commands (tests/test_lantian_cli.py keeps the two in step).
COMMANDS: dict[str, tuple[str, ...]] = {
    "simulator.cli": ("simulator",),
    "detector.cli": ("detect", "train", "eval"),
    "crawler.cli": ("crawl", "capture", "evidence"),
    "crawler.distributed.cli": ("cluster",),
    "index.cli": ("es", "kibana"),
    "casework.cli": ("agencies", "cases", "complaints", "console", "leads", "recheck", "report", "reviews",
                     "takedown"),
    "lantian.demo": ("demo",),
}
COMMAND_MODULES = tuple(COMMANDS)


def build_app(modules: Iterable[str] = COMMAND_MODULES) -> typer.Typer:
    """The app with the commands of these modules (a group of commands even when they register only one)."""
    app = typer.Typer(
        name="lantian",
        help="蓝天 lantian — crawl platforms, detect illegal IP-agency ads, index leads, and work the cases.",
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_show_locals=False,
    )
    app.callback()(_commands_follow)
    for module in modules:
        import_module(module).register(app)
    return app


def _commands_follow() -> None:
    """The app's own options; the commands do the work."""


@cache
def full_app() -> typer.Typer:
    """Every part's commands."""
    return build_app()


def __getattr__(name: str) -> typer.Typer:
    """`app`: every part's commands, built when first asked for (`from lantian.cli import app`)."""
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Run `lantian` with the commands of the part owning `sys.argv[1]` (all of them for help or an unknown name)."""
    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    owners = [module for module, names in COMMANDS.items() if wanted in names]
    (build_app(owners) if owners else full_app())(prog_name="lantian")
