"""Peak memory over a 100k-listing crawl (issue #5: "peak memory over a 100k-listing crawl (flat)").

    flock /tmp/bench.lock .venv/bin/python bench/bench_crawl_memory.py [--listings 158000] [--target 100000]

The static platforms (market, search, services, agencies) of a simulator big enough that the sweep fetches at least
`--target` listing detail pages (about 50-60 min on 2 cores), through the production pipeline: seen-store, evidence
(WARC + raw bodies + log), detector (rules and models) and the embedded lead store. Off: listing images and their
OCR (`LANTIAN_MAX_IMAGES: 0`) and every Chromium screenshot (`EVIDENCE_SCREENSHOTS`,
`EVIDENCE_BROWSER_SCREENSHOTS`), so no browser starts. The searches of market and services are read to the end
(`search.max_pages` raised in the benchmark's own config copy); the search engine keeps its configured depth, as its
3 ads per result page and slow result pages would make its listings the long tail of the run. A crawl still running
after `--time-limit` is stopped gracefully and reported as it stands. RSS of the crawl process and its children is
sampled every second; the listings fetched so far are read from the seen-store at the same moments. Printed: peak
RSS per quarter of the run and per 10% of the listings, pages, listings, time and the verdict (flat = the last
quarter's peak within 25% of the first quarter's, as in bench/bench_crawl.py). `--trace-allocations` (slow; a small
run) names the source lines whose allocations grew.

Measured 2026-11-25, `--listings 158000 --target 100000 --time-limit 3300`, load ~2 (2 cores): 103,956 listings,
123,835 pages in 2,569 s (stopped by SIGTERM once every market/services/agencies listing was fetched, while the sweep
was still paging through results of listings already seen); peak RSS per 10% of listings 293 → 339 MiB, per quarter
299 / 316 / 330 / 345 MiB: flat (1.15×). What still grows is the lead store's near-duplicate index (~1 KB per lead,
35,874 leads) and Scrapy's dupefilter fingerprints (~0.13 KB per request). The first run, before the index was made
smaller (~3 KB per lead), grew 317 → 414 MiB (1.31×). A probe of the detector over 5,700 listings found no growth.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, cast

import psutil
from rich.console import Console
from rich.table import Table
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_crawl import MemorySampler, config_copy, sweep  # noqa: E402

from crawler import settings as crawler_settings  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

console = Console()

STATIC = ["market", "search", "services", "agencies"]
SETTINGS: dict[str, Any] = {
    "LANTIAN_MAX_IMAGES": 0,
    "EVIDENCE_SCREENSHOTS": False,
    "EVIDENCE_BROWSER_SCREENSHOTS": False,
}
PIPELINE_ON = ("seen-store (IncrementalPipeline)", "evidence: WARC + SHA-256 blobs + hash-chained log",
               "detector (DetectionPipeline: rules + models, no OCR)", "embedded SQLite lead store (LeadSinkPipeline)")
PIPELINE_OFF = ("listing images and OCR (LANTIAN_MAX_IMAGES=0)",
                "Chromium screenshots of flagged listings (EVIDENCE_SCREENSHOTS=False)",
                "browser-page screenshots (EVIDENCE_BROWSER_SCREENSHOTS=False)", "Elasticsearch (embedded store)")
FLAT_RATIO = 1.25
TRACER = "bench.bench_crawl_memory.AllocationGrowth"


class AllocationGrowth:
    """Scrapy extension for `--trace-allocations`: tracemalloc in the crawl process, a baseline snapshot once the
    crawl has warmed up (`BENCH_TRACE_WARMUP` seconds) and, when the spider closes, the source lines whose live
    allocations grew most since then, written as JSON to `BENCH_TRACE_FILE`. The sweep and the site crawler share
    one process: the first one opened traces for both."""

    def __init__(self, crawler: Crawler, path: Path, warmup: float) -> None:
        self.crawler, self.path, self.warmup = crawler, path, warmup
        self.baseline: tracemalloc.Snapshot | None = None
        self.owner = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AllocationGrowth:
        path = crawler.settings.get("BENCH_TRACE_FILE")
        if not path:
            raise NotConfigured("BENCH_TRACE_FILE is not set")
        extension = cls(crawler, Path(path), crawler.settings.getfloat("BENCH_TRACE_WARMUP", 60))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import reactor
        from twisted.internet.base import ReactorBase

        if tracemalloc.is_tracing():
            return
        self.owner = True
        tracemalloc.start(8)
        cast(ReactorBase, reactor).callLater(self.warmup, self._take_baseline)

    def _take_baseline(self) -> None:
        self.baseline = tracemalloc.take_snapshot()

    def spider_closed(self, spider: Any) -> None:
        if not self.owner or self.baseline is None:
            return
        final = tracemalloc.take_snapshot()
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
        growth = final.filter_traces(ignore).compare_to(self.baseline.filter_traces(ignore), "traceback")
        top = [{"size_diff": stat.size_diff, "count_diff": stat.count_diff, "size": stat.size,
                "traceback": stat.traceback.format(limit=8, most_recent_first=True)}
               for stat in growth[:15]]
        self.path.write_text(json.dumps({"traced_now": tracemalloc.get_traced_memory()[0], "top": top},
                                        indent=1), "utf-8")
        tracemalloc.stop()


class CrawlSampler(MemorySampler):
    """MemorySampler that also reads, every interval, how many listings the seen-store holds, so RSS can be
    laid against the listings fetched so far. Keeps the pid to stop a crawl that outlives the benchmark, and
    stops it gracefully (SIGTERM: Scrapy closes the spiders and still reports) after `time_limit` seconds, before
    `bench_crawl.sweep` gives up waiting on it (one hour)."""

    def __init__(self, seen_db: Path, interval: float = 1.0, time_limit: float | None = None) -> None:
        super().__init__(interval)
        self.seen_db = seen_db
        self.time_limit = time_limit
        self.stopped_at_limit = False
        self.pid: int | None = None
        self.started = 0.0
        self.listings: list[tuple[float, int]] = []
        self._counting = threading.Event()
        self._counter: threading.Thread | None = None

    def watch(self, pid: int) -> None:
        self.pid, self.started = pid, time.monotonic()
        super().watch(pid)
        self._counter = threading.Thread(target=self._count, daemon=True)
        self._counter.start()

    def stop(self) -> None:
        super().stop()
        self._counting.set()
        if self._counter is not None:
            self._counter.join()

    def _count(self) -> None:
        db: sqlite3.Connection | None = None
        while not self._counting.is_set():
            try:
                if db is None and self.seen_db.exists():
                    db = sqlite3.connect(f"file:{self.seen_db}?mode=ro", uri=True, timeout=5)
                if db is not None:
                    count = db.execute("SELECT count(*) FROM seen").fetchone()[0]
                    self.listings.append((time.monotonic() - self.started, count))
            except sqlite3.Error:
                pass  # table not created yet or a writer holds it: next second
            if self.time_limit and not self.stopped_at_limit and time.monotonic() - self.started > self.time_limit:
                self.stopped_at_limit = True
                self._terminate()
            self._counting.wait(self.interval)
        if db is not None:
            db.close()

    def _terminate(self) -> None:
        try:
            psutil.Process(self.pid).terminate()
        except psutil.Error:
            pass

    def kill(self) -> None:
        if self.pid is None:
            return
        try:
            process = psutil.Process(self.pid)
            for proc in [*process.children(recursive=True), process]:
                proc.kill()
        except psutil.Error:
            pass

    def deciles(self, total: int) -> list[tuple[int, int]]:
        """(listings at the end of the slice, peak RSS) for each tenth of `total` listings fetched: the peak of
        the samples taken from when the slice's first listing was counted until its last one was."""

        def reached(count: float) -> float:
            return next((t for t, n in self.listings if n >= count), self.listings[-1][0] if self.listings else 0)

        result: list[tuple[int, int]] = []
        for tenth in range(1, 11):
            low, high = total * (tenth - 1) / 10, total * tenth / 10
            begin, end = (reached(low) if tenth > 1 else 0.0) - self.interval, reached(high)
            window = [rss for t, rss in self.samples if begin <= t <= end]
            nearest = min(self.samples, key=lambda sample: abs(sample[0] - end), default=(0.0, 0))
            result.append((round(high), max(window, default=nearest[1])))
        return result


def frames(traceback: list[str]) -> list[str]:
    """`path:line` of a formatted tracemalloc traceback, import machinery left out, paths shortened."""
    found = []
    for line in traceback:
        match = re.match(r'\s*File "(.+)", line (\d+)', line)
        if match and not match.group(1).startswith("<frozen"):
            path = match.group(1).split("site-packages/")[-1].replace(f"{ROOT}/", "")
            found.append(f"{path}:{match.group(2)}")
    return found


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="lantian-bench-mem-", dir=args.workdir))
    try:
        console.print(f"simulator: seed {args.seed}, {args.listings:,} listings (index and ground truth) …")
        built = time.monotonic()
        with SimulatorServer(SimulatorConfig(seed=args.seed, listings=args.listings, out_dir=workdir / "sim",
                                             fault_rate=0.0)) as sim:
            console.print(f"  ready in {time.monotonic() - built:.0f} s")
            endpoints = workdir / "endpoints.json"
            endpoints.write_text(json.dumps(sim.endpoints), "utf-8")
            depth = {"search": {"max_pages": args.max_pages}}
            config = config_copy(workdir / "c", Path(sim.registry_path),
                                 changes={name: depth for name in args.deep if name in args.platforms})
            data = workdir / "data"
            settings = dict(SETTINGS)
            trace_file = workdir / "allocations.json"
            if args.trace_allocations:
                settings.update({"EXTENSIONS": {**crawler_settings.EXTENSIONS, TRACER: 900},
                                 "BENCH_TRACE_FILE": str(trace_file), "BENCH_TRACE_WARMUP": args.trace_warmup})
            sampler = CrawlSampler(data / "crawl" / "seen.sqlite3", interval=args.interval,
                                   time_limit=args.time_limit)
            console.print(f"crawl of {', '.join(args.platforms)} (search.max_pages {args.max_pages} on "
                          f"{', '.join(args.deep) or 'none'}) …")
            try:
                summary = sweep(data, config, endpoints, args.platforms, settings, sampler=sampler)
            finally:
                sampler.stop()
                sampler.kill()
            truth = [json.loads(line) for line in Path(sim.ground_truth_path).read_text("utf-8").splitlines()]
        with sqlite3.connect(data / "crawl" / "seen.sqlite3") as db:
            listings = db.execute("SELECT count(*) FROM seen WHERE status = 'active'").fetchone()[0]
        with sqlite3.connect(data / "index" / "leads.sqlite3") as db:
            leads = db.execute("SELECT count(*) FROM leads").fetchone()[0]
        evidence_bytes = sum(p.stat().st_size for p in (data / "evidence").rglob("*") if p.is_file())
        allocations = json.loads(trace_file.read_text("utf-8")) if trace_file.exists() else None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    quarters = sampler.quarters()
    totals = summary["totals"]
    return {
        "simulator_listings": args.listings,
        "deep": args.deep,
        "max_pages": args.max_pages,
        "static_listings": sum(1 for t in truth if t["platform"] in args.platforms),
        "platforms": args.platforms,
        "listings_fetched": listings,
        "detail_items": totals["items"],
        "pages": summary["counters"].get("response_received_count", 0),
        "leads": leads,
        "errors": totals["errors"],
        "seconds": summary["seconds"],
        "stopped_at_time_limit": sampler.stopped_at_limit,
        "evidence_bytes": evidence_bytes,
        "samples": len(sampler.samples),
        "quarters": quarters,
        "deciles": sampler.deciles(listings),
        "flat": quarters[3] <= quarters[0] * FLAT_RATIO,
        "peak": max((rss for _, rss in sampler.samples), default=0),
        "counters": summary["counters"],
        "allocations": allocations,
        "rss_series": [(round(t, 1), rss) for t, rss in sampler.samples],
        "listing_series": sampler.listings,
    }


def report(result: dict[str, Any], target: int) -> None:
    console.print("on:  " + "; ".join(PIPELINE_ON))
    console.print("off: " + "; ".join(PIPELINE_OFF))
    table = Table(title="lantian crawl memory benchmark", title_justify="left")
    for column in ("measure", "value"):
        table.add_column(column)
    minutes = result["seconds"] / 60
    table.add_row("simulator listings (on the crawled platforms)",
                  f"{result['simulator_listings']:,} ({result['static_listings']:,})")
    table.add_row("listings fetched (seen-store rows)",
                  f"{result['listings_fetched']:,} ({'≥' if result['listings_fetched'] >= target else '<'} "
                  f"target {target:,})")
    table.add_row("detail items, pages fetched, leads",
                  f"{result['detail_items']:,}, {result['pages']:,}, {result['leads']:,}")
    stopped = " (stopped at --time-limit)" if result["stopped_at_time_limit"] else ""
    table.add_row("time, pages/min",
                  f"{result['seconds']:,.0f} s{stopped}, {result['pages'] / max(minutes, 1e-9):,.0f}")
    table.add_row("evidence written", f"{result['evidence_bytes'] / 2**30:.2f} GiB")
    table.add_row("peak RSS by quarter of the run (MiB)", " / ".join(mib(q) for q in result["quarters"]))
    table.add_row("peak RSS by 10% of listings (MiB)",
                  " / ".join(mib(rss) for _, rss in result["deciles"]))
    table.add_row("peak RSS overall", f"{mib(result['peak'])} MiB ({result['samples']} samples)")
    q1, q4 = result["quarters"][0], result["quarters"][3]
    verdict = "flat" if result["flat"] else "growing"
    table.add_row("verdict", f"{verdict} (last quarter {q4 / max(q1, 1):.2f}× the first; flat ≤ {FLAT_RATIO}×)")
    console.print(table)
    if result.get("allocations"):
        growth = Table(title="allocations grown since the warm-up (tracemalloc, by traceback)", title_justify="left")
        for column in ("KiB", "blocks", "where (innermost first)"):
            growth.add_column(column)
        for stat in result["allocations"]["top"][:10]:
            growth.add_row(f"{stat['size_diff'] / 1024:,.0f}", f"{stat['count_diff']:,}",
                           "\n".join(frames(stat["traceback"])[:4]))
        console.print(growth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=158_000,
                        help="simulator size (65%% of the listings are on market, services and agencies)")
    parser.add_argument("--target", type=int, default=100_000, help="listings the crawl should fetch")
    parser.add_argument("--platforms", default=",".join(STATIC), help="comma-separated static platforms")
    parser.add_argument("--deep", default="market,services",
                        help="platforms whose searches are read to the end (search.max_pages raised)")
    parser.add_argument("--max-pages", type=int, default=20_000,
                        help="search.max_pages of the --deep platforms in the benchmark's config")
    parser.add_argument("--time-limit", type=float, default=3500,
                        help="seconds after which the crawl is stopped gracefully and reported as it stands")
    parser.add_argument("--seed", type=int, default=11, help="simulator seed")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between RSS samples")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary data goes (default: /tmp)")
    parser.add_argument("--trace-allocations", action="store_true",
                        help="diagnose growth: tracemalloc in the crawl (slow; use a small run) and print the "
                             "source lines whose allocations grew most after the warm-up")
    parser.add_argument("--trace-warmup", type=float, default=60.0,
                        help="seconds of crawling before the tracemalloc baseline")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the figures (and the RSS and listings time series) to this file")
    args = parser.parse_args()
    args.platforms = [name.strip() for name in args.platforms.split(",") if name.strip()]
    args.deep = [name.strip() for name in args.deep.split(",") if name.strip()]
    unknown = sorted((set(args.platforms) | set(args.deep)) - set(STATIC))
    if unknown:
        parser.error(f"--platforms: {', '.join(unknown)} not static; choose from {', '.join(STATIC)}")
    result = run(args)
    report(result, args.target)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
