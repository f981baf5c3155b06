"""bench/bench_crawl_memory.py on a small simulator: it crawls, samples memory and prints a verdict."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_memory_benchmark_crawls_and_prints_a_verdict(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_crawl_memory.py"), "--listings", "300", "--target", "200",
         "--workdir", str(tmp_path), "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verdict" in result.stdout
    assert "peak RSS by 10% of listings" in result.stdout
    data = json.loads(figures.read_text("utf-8"))
    assert data["listings_fetched"] >= data["static_listings"] * 0.95
    assert data["pages"] > data["listings_fetched"]
    assert all(peak > 50 * 2**20 for peak in data["quarters"])
    assert len(data["deciles"]) == 10 and all(peak > 0 for _, peak in data["deciles"])
    assert list(data["platforms"]) == ["market", "search", "services", "agencies"]
    assert not list(tmp_path.glob("lantian-bench-mem-*")), "the benchmark leaves no data behind"
