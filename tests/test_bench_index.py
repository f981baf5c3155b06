"""bench/bench_index.py against the test server: both paths index every document and the ratio is printed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw_requests", [1, 2])
def test_index_benchmark_prints_both_rates_and_their_ratio(es_url: str, raw_requests: int) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_index.py"), "--url", es_url, "--docs", "120", "--batch", "40",
         "--rounds", "2", "--repeat", "2", "--raw-requests", str(raw_requests)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(rf"^bulk requests\s+lead 2 at once, raw {raw_requests} at once$", result.stdout, re.MULTILINE)
    rates = dict(re.findall(r"^(raw _bulk|lead indexing)\s+(\d+) docs/s", result.stdout, re.MULTILINE))
    assert set(rates) == {"raw _bulk", "lead indexing"} and all(int(rate) > 0 for rate in rates.values())
    assert re.search(r"^lead / raw\s+\d+%\s+\(median of 2 runs", result.stdout, re.MULTILINE)
    assert len(re.findall(r"^run \d+\s+lead [\d,]+ docs/s, raw [\d,]+ docs/s: \d+%", result.stdout, re.MULTILINE)) == 2
    assert len(re.findall(r"^warm-up\s+lead [\d,]+ docs/s, raw [\d,]+ docs/s: \d+%  \(not counted\)$", result.stdout,
                          re.MULTILINE)) == 1


def test_separate_cores_is_refused_for_a_server_the_bench_does_not_start(es_url: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_index.py"), "--url", es_url, "--separate-cores"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "--separate-cores applies to the server the bench starts" in result.stderr
