"""Distributed static-crawl throughput with 1, 2 and 4 workers against the platform simulator, in one run.

    .venv/bin/python bench/bench_scale.py [--workers 1,2,4] [--listings 1000] [--keywords 9] [--max-pages 2]
                                          [--screenshots]

Starts a redis-server and the simulator (static platforms: market, services, search, agencies; faults and rate
limit off), then for each worker count: a fresh sweep id and data dir, `cluster seed`, N `cluster work` processes
at once, each with the whole worker pipeline (seen-store, detector, WARC evidence, embedded lead store; listing
images off; Chromium screenshots only with --screenshots). Pages are counted by the simulator (every request it
served), sampled twice a second: "pages/min" is the steady rate from the first to the last page served; "wall"
also includes process start and model loading. Peak memory is each worker's peak RSS (ru_maxrss).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import project_root
from simulator import SimulatorConfig, SimulatorServer
from tests.fixtures.servers import free_port

STATIC = ("market", "services", "search", "agencies")


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (scripts/install-system-deps.sh)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.1)
    process.kill()
    sys.exit("redis-server did not start")


def workspace(root: Path, simulator: SimulatorServer) -> dict[str, str]:
    config = root / "config"
    shutil.copytree(project_root() / "config", config)
    settings_path = config / "lantian.yaml"
    settings = yaml.safe_load(settings_path.read_text("utf-8"))
    settings["registry"] = {**(settings.get("registry") or {}), "path": str(simulator.registry_path)}
    settings["elasticsearch"] = {**(settings.get("elasticsearch") or {}), "url": ""}
    settings_path.write_text(yaml.safe_dump(settings, allow_unicode=True), "utf-8")
    env = {**os.environ, "LANTIAN_DATA_DIR": str(root / "data"), "LANTIAN_CONFIG_DIR": str(config)}
    env.pop("LANTIAN_ES_URL", None)
    return env


def seen_listings(data: Path) -> int:
    """Listings in the run's seen-store: the same in every run when the crawl is complete."""
    with sqlite3.connect(data / "crawl" / "seen.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])


def served(simulator: SimulatorServer) -> int:
    return sum(simulator.stats()["requests"].values())


def run(workers: int, args: argparse.Namespace, simulator: SimulatorServer, redis_url: str, root: Path,
        keywords: Path, endpoints: Path) -> dict[str, Any]:
    run_root = root / f"run-{workers}"
    run_root.mkdir()
    env = workspace(run_root, simulator)
    sweep = f"bench-{workers}-{uuid.uuid4().hex[:6]}"
    cli = [sys.executable, "-m", "crawler.distributed"]
    seed = [*cli, "seed", "--redis", redis_url, "--sweep", sweep, "-k", str(keywords), "--endpoints",
            str(endpoints), "--max-pages", str(args.max_pages), *[a for p in STATIC for a in ("-p", p)]]
    subprocess.run(seed, env=env, check=True, capture_output=True)
    settings = ["-s", f"LOG_LEVEL={args.log_level}", "--max-images", "0"]
    if not args.screenshots:
        settings += ["-s", "EVIDENCE_SCREENSHOTS=false"]
    before = served(simulator)
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    processes = [
        subprocess.Popen([*cli, "work", "--redis", redis_url, "--sweep", sweep, "--worker-id", f"w{n}", "-q",
                          *settings, "--summary-json", str(run_root / f"w{n}.json")],
                         env=env, stdout=subprocess.DEVNULL, stderr=(run_root / f"w{n}.log").open("wb"))
        for n in range(workers)
    ]
    while any(p.poll() is None for p in processes):
        samples.append((time.monotonic(), served(simulator) - before))
        time.sleep(0.5)
    wall = time.monotonic() - started
    samples.append((time.monotonic(), served(simulator) - before))
    for n, process in enumerate(processes):
        if process.returncode != 0:
            sys.exit(f"worker {n} failed:\n{(run_root / f'w{n}.log').read_text('utf-8', 'replace')[-2000:]}")
    reports = [json.loads((run_root / f"w{n}.json").read_text("utf-8")) for n in range(workers)]
    total = samples[-1][1]
    first = next(t for t, count in samples if count > 0)
    last = next(t for t, count in samples if count == total)
    span = max(last - first, 0.5)
    return {
        "workers": workers, "pages": total, "listings": seen_listings(run_root / "data"),
        "leads": sum(r["totals"]["leads"] for r in reports), "errors": sum(r["totals"]["errors"] for r in reports),
        "crawl_seconds": span, "wall_seconds": wall,
        "pages_per_min": total / span * 60, "peak_rss_mb": [r["peak_rss_mb"] for r in reports],
        "per_worker_pages": [r["totals"]["pages"] for r in reports],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker counts to compare (the first is the baseline)")
    parser.add_argument("--listings", type=int, default=1000, help="simulator listings")
    parser.add_argument("--keywords", type=int, default=9, help="how many of the core keywords to sweep")
    parser.add_argument("--max-pages", type=int, default=2, help="result pages per keyword search")
    parser.add_argument("--screenshots", action="store_true", help="also screenshot flagged listings (Chromium)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--log-level", default="WARNING",
                        help="Scrapy log level of the workers (logs kept with --keep)")
    parser.add_argument("--keep", type=Path, help="keep every run's data dir and worker logs here")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with nullcontext(str(args.keep)) if args.keep else tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        redis_process, redis_url = start_redis(root)
        try:
            with SimulatorServer(SimulatorConfig(listings=args.listings, out_dir=root / "simulator")) as simulator:
                endpoints = root / "endpoints.json"
                endpoints.write_text(json.dumps(simulator.endpoints), "utf-8")
                core = yaml.safe_load((project_root() / "config/keywords/ip-agency.yaml").read_text("utf-8"))
                keywords = root / "keywords.txt"
                keywords.write_text("\n".join(core["keywords"][: args.keywords]) + "\n", "utf-8")
                print(f"static crawl of {', '.join(STATIC)}: {args.listings} listings, {args.keywords} keywords, "
                      f"{args.max_pages} pages per search; {os.cpu_count()} CPUs; screenshots "
                      f"{'on' if args.screenshots else 'off'}", flush=True)
                results = []
                for workers in counts:
                    results.append(run(workers, args, simulator, redis_url, root, keywords, endpoints))
                    r = results[-1]
                    print(f"  {workers} worker(s) done: {r['pages']} pages in {r['crawl_seconds']:.1f} s",
                          flush=True)
        finally:
            redis_process.terminate()
            redis_process.wait(timeout=10)

    base = results[0]["pages_per_min"]
    print()
    print(f"{'workers':>7} {'pages':>6} {'listings':>8} {'errors':>6} {'crawl s':>8} {'wall s':>7} "
          f"{'pages/min':>10} {'× 1 worker':>10} {'peak MB/worker':>15}")
    for r in results:
        print(f"{r['workers']:>7} {r['pages']:>6} {r['listings']:>8} {r['errors']:>6} {r['crawl_seconds']:>8.1f} "
              f"{r['wall_seconds']:>7.1f} {r['pages_per_min']:>10.0f} {r['pages_per_min'] / base:>10.2f} "
              f"{max(r['peak_rss_mb']):>15.0f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")


if __name__ == "__main__":
    main()
