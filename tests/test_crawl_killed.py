"""A crawl killed with SIGKILL mid-way loses no lead: the next crawl makes a lead of every violation it can reach.

The crawl runs as staff run it (`lantian crawl` in its own process group, with Chromium for the screenshots of
flagged listings) and is killed while listings it fetched are still on their way to the lead store.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.lead import lead_id
from crawler.urls import canonical_url
from tests.test_crawler_sweep import CORE_KEYWORDS, LANTIAN, Workspace, reachable

IN_FLIGHT = 3  # violations fetched (in the seen-store) but not yet leads when the crawl is killed


def _rows(path: Path, query: str) -> set[str]:
    """One column of a crawl's SQLite file, read while the crawl writes it (empty while it does not exist)."""
    if not path.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return {row[0] for row in db.execute(query)}
    except sqlite3.OperationalError:  # the crawl is creating the file's tables
        return set()


def _kill_mid_way(work: Workspace, violations: set[str]) -> int:
    """Start a crawl of the market, SIGKILL it (and its browsers) while violations are in flight; how many were."""
    crawl = subprocess.Popen(
        [str(LANTIAN), "crawl", "-p", "market", "--endpoints", str(work.endpoints), "--max-images", "0",
         "--quiet"],
        env=work.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    seen_db, leads_db = work.data / "crawl" / "seen.sqlite3", work.data / "index" / "leads.sqlite3"
    deadline = time.monotonic() + 600
    try:
        while True:
            assert crawl.poll() is None, "the crawl ended before it could be killed mid-way"
            assert time.monotonic() < deadline, "no violation was ever in flight"
            fetched = _rows(seen_db, "SELECT url FROM seen") & violations
            in_flight = {url for url in fetched if lead_id(url) not in _rows(leads_db, "SELECT id FROM leads")}
            if len(in_flight) >= IN_FLIGHT:
                return len(in_flight)
            time.sleep(0.05)
    finally:
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.browser
def test_a_killed_crawl_loses_no_lead(simulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    simulator = simulator_factory(listings=120)
    work = Workspace(tmp_path, simulator)
    violations = {canonical_url(t["url"]) for t in reachable(simulator.ground_truth(), {"market"}, CORE_KEYWORDS)
                  if t["labels"] and t["evasion"] != "image"}  # the crawls read no images (--max-images 0)
    assert len(violations) > IN_FLIGHT

    assert _kill_mid_way(work, violations) >= IN_FLIGHT
    work.crawl("-p", "market", "--max-images", "0", "--quiet")

    store = work.store()
    try:
        missing = sorted(url for url in violations if store.get(lead_id(url)) is None)
    finally:
        store.close()
    assert not missing, f"{len(missing)} of {len(violations)} reachable violations are no lead: {missing[:5]}"
    seen = work.seen()
    assert all(seen[url]["lead"] and not seen[url]["pending"] for url in violations), "the seen-store marks leads"
