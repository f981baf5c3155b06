"""The `lantian` entry point: every part's commands, and a start that imports only the part a command belongs to."""
from __future__ import annotations

import inspect
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import click
import typer
from typer.core import TyperGroup

from lantian.cli import COMMANDS, app

LANTIAN = Path(sys.executable).with_name("lantian")

ONLY_CASEWORK = """
import sys
from lantian.cli import main
sys.argv = ["lantian", "cases", "--help"]
try:
    main()
except SystemExit as exit:
    assert exit.code == 0, exit.code
print(sorted(name for name in ("simulator.server", "crawler.cli", "detector.cli", "scrapy") if name in sys.modules))
"""


def commands_of(app: typer.Typer) -> set[str]:
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_command_table_names_what_each_part_registers() -> None:
    for module, names in COMMANDS.items():
        alone = typer.Typer()
        alone.callback()(lambda: None)
        import_module(module).register(alone)
        assert commands_of(alone) == set(names), module
    listed = [name for names in COMMANDS.values() for name in names]
    assert len(listed) == len(set(listed)) and commands_of(app) == set(listed)


def test_a_command_starts_without_importing_the_other_parts() -> None:
    result = subprocess.run([sys.executable, "-c", ONLY_CASEWORK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_script_runs_a_part_with_a_single_command_and_lists_every_command() -> None:
    demo = subprocess.run([str(LANTIAN), "demo", "--help"], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": ""})
    assert demo.returncode == 0 and "Usage: lantian demo [OPTIONS]" in demo.stdout, demo.stdout + demo.stderr
    listing = subprocess.run([str(LANTIAN), "--help"], capture_output=True, text=True, timeout=120,
                             env={"COLUMNS": "200", "PATH": ""})
    assert listing.returncode == 0, listing.stderr
    assert all(f"│ {name} " in listing.stdout for names in COMMANDS.values() for name in names), listing.stdout


def summaries(group: TyperGroup, path: str = "lantian") -> dict[str, str]:
    """Every command's first help paragraph, as `lantian --help` and each group's help list them."""
    context = click.Context(group)
    found = {}
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        found[f"{path} {name}"] = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        if isinstance(command, TyperGroup):
            found.update(summaries(command, f"{path} {name}"))
    return found


def test_every_command_is_summed_up_in_one_line() -> None:
    # Typer's rich help keeps a summary's line breaks in the command lists, so a summary wrapped in the docstring
    # shows as broken lines in `lantian --help`.
    listed = summaries(typer.main.get_command(app))  # type: ignore[arg-type]
    assert {path: summary for path, summary in listed.items() if "\n" in summary or not summary} == {}
