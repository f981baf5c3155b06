"""`python -m crawler.distributed` (the `lantian cluster` commands): seeding into a real Redis, status, reset, and
one-line errors for a Redis that is down, a sweep never seeded and a sweep re-seeded with other parameters."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.fixtures.servers import free_port


def cluster(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.distributed", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "200", **(env or {})})


def one_line_error(result: subprocess.CompletedProcess, code: int, text: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert text in " ".join((result.stdout + result.stderr).split())


@pytest.fixture
def sweep_inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Two keywords and an endpoint nobody listens on: seeding only pushes requests, it fetches nothing."""
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("商标注册\n撤三\n", "utf-8")
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps({"market": f"http://127.0.0.1:{free_port()}"}), "utf-8")
    return keywords, endpoints


@pytest.mark.slow
def test_seed_status_reset(redis_url: str, sweep_inputs: tuple[Path, Path], tmp_path: Path) -> None:
    keywords, endpoints = sweep_inputs
    sweep = f"cli-{uuid.uuid4().hex[:6]}"
    env = {"LANTIAN_DATA_DIR": str(tmp_path / "data")}
    args = ["--redis", redis_url, "--sweep", sweep]
    seed = cluster("seed", *args, "-p", "market", "-k", str(keywords), "--endpoints", str(endpoints), env=env)
    assert seed.returncode == 0, seed.stdout + seed.stderr

    status = json.loads(cluster("status", *args, "--json").stdout)
    assert status["spiders"] == {"sweep": {"queued": 2, "inflight": 0, "workers": 0, "seeded": True}}
    assert not status["finished"]

    again = cluster("seed", *args, "-p", "market", "-k", str(keywords), "--endpoints", str(endpoints), env=env)
    assert again.returncode == 0, "seeding again with the same parameters is harmless"
    assert json.loads(cluster("status", *args, "--json").stdout)["spiders"]["sweep"]["queued"] == 2

    other = cluster("seed", *args, "-p", "market", "-k", str(keywords), "--endpoints", str(endpoints),
                    "--max-pages", "3", env=env)
    one_line_error(other, 2, f"sweep '{sweep}' was seeded with other parameters")

    reset = cluster("reset", *args, "--yes")
    assert reset.returncode == 0 and "deleted" in reset.stdout
    one_line_error(cluster("status", *args), 1, f"sweep '{sweep}' has not been seeded")


def test_errors_are_one_line(redis_url: str) -> None:
    one_line_error(cluster("work", "--redis", f"redis://127.0.0.1:{free_port()}/0", "--sweep", "x"), 2,
                   "is not reachable")
    one_line_error(cluster("work", "--redis", redis_url, "--sweep", f"never-{uuid.uuid4().hex[:6]}"), 2,
                   "has not been seeded (run `lantian cluster seed` first)")
    one_line_error(cluster("work", "--redis", redis_url, "--sweep", "a b"), 2, "sweep_id: sweep id 'a b'")
    one_line_error(cluster("work", "--redis", redis_url, "--set", "LOG_LEVEL"), 2, "expected NAME=VALUE")
    one_line_error(cluster("status", "--sweep", "x", env={"LANTIAN_REDIS_URL": ""}), 2,
                   "distributed.redis_url is empty")


@pytest.mark.slow
def test_lantian_crawl_distributed_crawls_through_redis(redis_url: str, simulator, tmp_path: Path) -> None:
    """`lantian crawl --distributed` is the same sweep on the shared frontier: it fetches listings, and afterwards
    the sweep's frontier in Redis is finished (nothing queued or in flight)."""
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("商标注册\n", "utf-8")
    sweep = f"lc-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "COLUMNS": "200", "LANTIAN_DATA_DIR": str(tmp_path / "data"),
           "LANTIAN_REGISTRY_PATH": str(simulator.registry_path)}
    summary = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, "-m", "lantian", "crawl", "--distributed", "--redis", redis_url, "--sweep", sweep,
         "-p", "market", "-k", str(keywords), "--max-pages", "1", "--max-images", "0",
         "--endpoints", str(simulator.endpoints_path), "--summary-json", str(summary), "-q"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(summary.read_text("utf-8"))["totals"]["items"] > 0
    status = json.loads(cluster("status", "--redis", redis_url, "--sweep", sweep, "--json").stdout)
    assert status["finished"], status
