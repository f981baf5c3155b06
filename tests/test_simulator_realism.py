"""Web realism: per-client rate limits with 429 + Retry-After, transient faults that a retry gets past."""
from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from simulator import SimulatorServer


def test_rate_limit_answers_429_with_retry_after(simulator_factory: Callable[..., SimulatorServer]) -> None:
    sim = simulator_factory(listings=50, rate_limit=2)
    base = sim.endpoints["market"]
    with httpx.Client() as client:
        statuses = [client.get(base + "/").status_code for _ in range(8)]
        assert statuses[0] == 200 and 429 in statuses
        limited = client.get(base + "/")
        assert limited.status_code == 429
        wait = int(limited.headers["Retry-After"])
        assert wait >= 1
        # other platforms have their own budget, and robots.txt and the admin are never limited
        assert client.get(sim.endpoints["feed"] + "/").status_code == 200
        assert client.get(base + "/robots.txt").status_code == 200
        assert client.get(base + "/__admin/stats").status_code == 200
        time.sleep(wait)
        assert client.get(base + "/").status_code == 200
    assert sim.stats()["status"]["429"] >= 2


def test_rate_limit_is_off_by_default(simulator: SimulatorServer) -> None:
    with httpx.Client() as client:
        assert {client.get(simulator.endpoints["market"] + "/").status_code for _ in range(40)} == {200}


def test_transient_faults_succeed_on_retry(simulator_factory: Callable[..., SimulatorServer]) -> None:
    sim = simulator_factory(listings=100, fault_rate=0.3)
    urls = [r["url"] for r in sim.ground_truth()][:60]
    with httpx.Client() as client:
        first = {url: client.get(url).status_code for url in urls}
        failed = [url for url, status in first.items() if status != 200]
        assert failed and {first[url] for url in failed} <= {500, 503}
        assert len(failed) < len(urls)
        assert all(client.get(url).status_code == 200 for url in failed)
        assert client.get(sim.endpoints["market"] + "/robots.txt").status_code == 200
