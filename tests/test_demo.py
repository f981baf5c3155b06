"""`lantian demo` (the README's first command after set-up) runs the main job end to end on the embedded default."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_sweeps_the_simulator_and_stores_leads(tmp_path: Path) -> None:
    env = {**os.environ, "LANTIAN_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    env.pop("LANTIAN_ES_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "lantian", "demo", "--listings", "60", "--max-pages", "1", "--max-images", "1"],
        capture_output=True, text=True, timeout=600, env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    leads = int(re.search(r"(\d+) leads in the embedded store", output).group(1))
    assert leads > 0, output
    assert (tmp_path / "data" / "index" / "leads.sqlite3").exists()
    assert "Against the simulator's ground truth" in output
    # The console's agency list and a lead's agency read the agency documents: the demo scores them (the list stayed
    # empty after the demo although leads named agencies).
    agencies = int(re.search(r"(\d+) agencies scored from the leads", output).group(1))
    assert agencies > 0, output
    stored = subprocess.run(
        [sys.executable, "-c", "from index import open_store\nwith open_store() as store:\n"
                               "    print(sum(1 for a in store.search_agencies(limit=1000) if a.lead_count))"],
        capture_output=True, text=True, timeout=120, env=env)
    assert stored.returncode == 0 and int(stored.stdout) == agencies, stored.stdout + stored.stderr
    assert "Where to look next" in output and "lantian console add-user NAME" in output
    # The simulator stopped with the demo: how to serve it again for a crawl after it (one read no page at all)
    assert "lantian simulator start" in output and "the demo's stopped with it" in " ".join(output.split())
    # … and the leads' links point at its ports: dead now, which the demo says (their stored pages are not)
    assert "to this run's simulator ports, dead now" in " ".join(output.split())
