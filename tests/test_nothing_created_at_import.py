"""Importing lantian creates nothing: every module of every part is imported in a fresh process whose data dir,
home and temporary dir are empty folders, and they stay empty (paths are made when a command needs them)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("core", "lantian", "simulator", "detector", "index", "crawler", "casework", "bench")
IMPORT_ALL = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def modules() -> list[str]:
    names = []
    for part in PARTS:
        for path in sorted((ROOT / part).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue  # running the CLI is not importing it
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_importing_every_module_creates_no_file_or_folder(tmp_path: Path) -> None:
    places = {name: tmp_path / name for name in ("data", "home", "tmp")}
    for place in places.values():
        place.mkdir()
    env = {"PATH": "/usr/bin:/bin", "LANTIAN_DATA_DIR": str(places["data"]), "HOME": str(places["home"]),
           "TMPDIR": str(places["tmp"]), "PYTHONDONTWRITEBYTECODE": "1"}
    names = modules()
    assert len(names) > 100 and "crawler.settings" in names and "casework.console.app" in names
    subprocess.run([sys.executable, "-c", IMPORT_ALL, *names], cwd=ROOT, env=env, check=True, timeout=300)
    created = {name: sorted(str(p.relative_to(place)) for p in place.rglob("*")) for name, place in places.items()}
    assert created == {"data": [], "home": [], "tmp": []}
