"""Distributed and resumable crawls over the platform simulator, against one single-process sweep.

Every crawl runs in subprocesses (one Twisted reactor per process) with a data dir and config dir of its own and
Scrapy's DEBUG log, whose `Crawled (...) <GET url>` lines say which process fetched what. Screenshots are off and
images are not downloaded (both are the evidence part's, tested there); detection and the lead store stay on.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.fixtures.workspace import CrawlWorkspace

pytestmark = pytest.mark.slow

PLATFORMS = ["market", "services", "search", "agencies"]
KEYWORDS = ["撤三"]
MAX_PAGES = 1
QUIET_SETTINGS = {"EVIDENCE_SCREENSHOTS": False, "LANTIAN_MAX_IMAGES": 0, "LOG_LEVEL": "DEBUG"}
CRAWLED = re.compile(r"Crawled \((\d+)\) <GET (\S+)>")
# The site spider fetches each agency's facts page (its contact page) with dont_filter, once per site and process,
# besides finding it as a link: those pages are the only ones the dupefilter does not keep to one fetch.
FACTS_PAGE = re.compile(r"/site/[^/]+/contact$")
REDIRECTED = re.compile(r"Redirecting \(\d+\) to <GET \S+> from <GET (\S+)>")

SWEEP_SCRIPT = """
import json, sys
from crawler.run import run_sweep
args = json.loads(sys.argv[1])
summary = run_sweep(args["platforms"], args["endpoints"], args["keywords"], args["max_pages"], progress=False,
                    resumable=args["resumable"], settings=args["settings"])
print(json.dumps(summary.as_dict()))
"""


class Workspace(CrawlWorkspace):
    """A workspace that runs single-process sweeps and `lantian cluster` workers."""

    def sweep(self, log: Path, *, resumable: bool = False, settings: dict | None = None) -> subprocess.Popen:
        args = {"platforms": PLATFORMS, "endpoints": str(self.endpoints), "keywords": KEYWORDS,
                "max_pages": MAX_PAGES, "resumable": resumable,
                "settings": {**QUIET_SETTINGS, "LOG_FILE": str(log), **(settings or {})}}
        return subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT, json.dumps(args)], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def cluster(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "crawler.distributed", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"cluster {args[0]} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def sweep_args(self) -> list[str]:
        keywords = self.root / "keywords.txt"
        keywords.write_text("\n".join(KEYWORDS) + "\n", "utf-8")
        platforms = [arg for name in PLATFORMS for arg in ("-p", name)]
        return [*platforms, "-k", str(keywords), "--max-pages", str(MAX_PAGES), "--endpoints", str(self.endpoints)]

    def seed(self, redis_url: str, sweep: str) -> None:
        self.cluster("seed", "--redis", redis_url, "--sweep", sweep, *self.sweep_args())

    def worker(self, redis_url: str, sweep: str, worker_id: str, log: Path, *, seeding: bool = False,
               ) -> subprocess.Popen:
        """`cluster work`, or with `seeding` `cluster crawl` (seeds too, like `lantian crawl --distributed`)."""
        settings = [arg for name, value in {**QUIET_SETTINGS, "LOG_FILE": str(log)}.items()
                    for arg in ("-s", f"{name}={value}")]
        command = ["crawl", *self.sweep_args()] if seeding else ["work"]
        return subprocess.Popen(
            [sys.executable, "-m", "crawler.distributed", *command, "--redis", redis_url, "--sweep", sweep,
             "--worker-id", worker_id, "--heartbeat", "0.5", "--stale-after", "3", "-q", *settings,
             "--summary-json", str(self.root / f"{worker_id}-{log.stem}.json")],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )

    def listings(self) -> set[str]:
        """Canonical URLs in the seen-store: every listing page the crawl read."""
        import sqlite3

        with sqlite3.connect(self.data / "crawl" / "seen.sqlite3") as db:
            return {row[0] for row in db.execute("SELECT url FROM seen")}

    def leads(self) -> dict[str, tuple]:
        from index import LeadQuery
        from index.sqlite_store import SqliteLeadStore

        store = SqliteLeadStore(self.data / "index" / "leads.sqlite3")
        try:
            return {lead.id: (lead.url, tuple(sorted(lead.labels)), round(float(lead.risk), 6),
                                 lead.title) for lead in store.iter_leads(LeadQuery())}
        finally:
            store.close()


def fetched(log: Path) -> list[str]:
    """URLs whose response reached Scrapy's engine in this log, robots.txt aside (each process reads it once)."""
    text = log.read_text("utf-8", errors="replace") if log.exists() else ""
    return [url for _, url in CRAWLED.findall(text) if not url.endswith("/robots.txt")]


def fetched_twice(urls: list[str]) -> list[str]:
    return [url for url, n in Counter(urls).items() if n > 1 and not FACTS_PAGE.search(url)]


def requested(log: Path) -> set[str]:
    """`fetched` plus the URLs that answered with a redirect (Scrapy logs those as redirects, not as crawled)."""
    return set(fetched(log)) | set(REDIRECTED.findall(log.read_text("utf-8", errors="replace")))


def finish(process: subprocess.Popen, timeout: float = 300, log: Path | None = None) -> str:
    """The process's stdout once it exited 0; otherwise fail with its output and its log's errors (a crawl's
    exceptions go to its LOG_FILE, not to stderr)."""
    out, err = process.communicate(timeout=timeout)
    if process.returncode != 0:
        text = log.read_text("utf-8", errors="replace") if log is not None and log.exists() else ""
        errors = [line for line in text.splitlines() if " ERROR: " in line or line.startswith(("Traceback", "  File"))]
        errors_text = "\n".join(errors[-40:])
        pytest.fail(f"exit {process.returncode}:\n{out[-3000:]}\n{err[-3000:]}\nlog errors:\n{errors_text}")
    return out


@pytest.fixture(scope="module")
def single(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ordinary single-process sweep: what every distributed run must reproduce."""
    work = Workspace(tmp_path_factory.mktemp("single"), simulator)
    log = work.root / "sweep.log"
    summary = json.loads(finish(work.sweep(log), log=log).strip().splitlines()[-1])
    urls = fetched(log)
    assert summary["totals"]["items"] > 20 and summary["totals"]["leads"] > 5, summary["totals"]
    assert not fetched_twice(urls)
    return {"urls": set(urls), "listings": work.listings(), "leads": work.leads()}


def test_two_workers_split_the_sweep_and_reproduce_it(simulator: Any, redis_url: str, single: dict,
                                                      tmp_path: Path) -> None:
    work = Workspace(tmp_path, simulator)
    sweep = f"two-{uuid.uuid4().hex[:6]}"
    work.seed(redis_url, sweep)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [work.worker(redis_url, sweep, name, log) for name, log in zip(("a", "b"), logs)]
    for process, log in zip(workers, logs):
        finish(process, log=log)

    a, b = fetched(logs[0]), fetched(logs[1])
    assert a and b, "both workers took part"
    twice = fetched_twice(a + b)
    assert not twice, f"fetched more than once: {twice[:5]}"
    assert set(a) | set(b) == single["urls"]
    assert work.listings() == single["listings"]
    assert work.leads() == single["leads"], "the lead store holds the same leads as after one process"

    status = json.loads(work.cluster("status", "--redis", redis_url, "--sweep", sweep, "--json").stdout)
    assert status["finished"] and status["workers"] == {}, status
    reports = [json.loads((tmp_path / f"{n}-{log.stem}.json").read_text("utf-8")) for n, log in zip("ab", logs)]
    assert all(set(r["finish_reasons"].values()) == {"finished"} and r["peak_rss_mb"] > 0 for r in reports)


def inflight_urls(server: redis.Redis, sweep: str, worker: str) -> list[str]:
    return [pickle.loads(member)["url"] for member in server.zrange(f"lantian:{sweep}:sweep:inflight:{worker}", 0, -1)]


def test_a_killed_worker_loses_nothing(simulator: Any, redis_url: str, single: dict, tmp_path: Path) -> None:
    """Workers started as `cluster crawl` (seed and work): no separate seeding step."""
    work = Workspace(tmp_path, simulator)
    sweep = f"kill-{uuid.uuid4().hex[:6]}"
    server = redis.Redis.from_url(redis_url)
    a_log, b_log, a2_log = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "a2.log"
    # `a` runs alone until it is killed: with `b` beside it, `b` could take the whole (small) sweep first.
    a = work.worker(redis_url, sweep, "a", a_log, seeding=True)

    deadline = time.monotonic() + 120
    while not (len(fetched(a_log)) >= 5 and inflight_urls(server, sweep, "a")):
        assert a.poll() is None, "worker a finished before it could be killed"
        assert time.monotonic() < deadline, "worker a never had requests in flight"
        time.sleep(0.02)
    os.killpg(a.pid, signal.SIGKILL)
    a.communicate(timeout=30)
    lost_with_a = inflight_urls(server, sweep, "a")
    assert lost_with_a, "the kill hit a worker with requests in flight"

    b = work.worker(redis_url, sweep, "b", b_log, seeding=True)
    a2 = work.worker(redis_url, sweep, "a", a2_log, seeding=True)
    finish(b, log=b_log)
    finish(a2, log=a2_log)

    assert set(lost_with_a) <= requested(a2_log) | requested(b_log), "requests in flight were fetched again"
    assert set(fetched(a_log)) | set(fetched(a2_log)) | set(fetched(b_log)) == single["urls"]
    assert work.listings() == single["listings"]
    assert work.leads() == single["leads"]


def test_an_interrupted_single_process_sweep_resumes(simulator: Any, single: dict, tmp_path: Path) -> None:
    work = Workspace(tmp_path, simulator)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = work.sweep(first_log, resumable=True, settings={"CONCURRENT_REQUESTS": 2})
    deadline = time.monotonic() + 120
    while len(fetched(first_log)) < 10:
        assert first.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy stops gracefully and keeps its JOBDIR
    out, err = first.communicate(timeout=120)
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary["finish_reasons"].values()) == {"shutdown"}, summary["finish_reasons"]
    before = set(fetched(first_log))
    assert before and before < single["urls"]
    assert (work.data / "crawl" / "jobs").is_dir() and any((work.data / "crawl" / "jobs").iterdir())

    second = json.loads(finish(work.sweep(second_log, resumable=True), log=second_log).strip().splitlines()[-1])
    assert set(second["finish_reasons"].values()) == {"finished"}, second["finish_reasons"]
    after = fetched(second_log)
    assert not before & set(after), "the second run continued instead of starting over"
    assert before | set(after) == single["urls"]
    assert work.listings() == single["listings"]
    assert work.leads() == single["leads"]
    assert not any((work.data / "crawl" / "jobs").iterdir()), "a finished sweep removes its job state"


def test_a_worker_stops_cleanly_when_redis_goes_away(simulator: Any, tmp_path: Path) -> None:
    """Redis down mid-crawl: the worker retries for --stale-after seconds, then stops with a one-line error (exit
    1, so a supervisor restarts it); its unfinished requests stay in its in-flight set in Redis."""
    from tests.fixtures.servers import free_port

    port = free_port()
    redis_server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                                     "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        work = Workspace(tmp_path, simulator)
        work.seed(url, "outage")
        log = tmp_path / "worker.log"
        worker = work.worker(url, "outage", "w", log)
        deadline = time.monotonic() + 120
        while len(fetched(log)) < 5:
            assert worker.poll() is None and time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.02)
    finally:
        redis_server.kill()
        redis_server.wait(timeout=10)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 1, out + err
    assert "Traceback" not in out + err + log.read_text("utf-8", errors="replace")
    assert "Redis unreachable" in log.read_text("utf-8", errors="replace")
    report = json.loads((tmp_path / "w-worker.json").read_text("utf-8"))
    assert set(report["finish_reasons"].values()) == {"redis_unreachable"}


def test_a_worker_whose_crawls_cannot_open_says_which_and_why(simulator: Any, redis_url: str,
                                                               tmp_path: Path) -> None:
    """A spider that fails to open (here its lead store: a folder stands where the database should be) has no
    finish reason of Scrapy's; the worker names the crawl and the error in its summary and exits 1, instead of
    printing `None`."""
    work = Workspace(tmp_path, simulator)
    sweep = f"broken-{uuid.uuid4().hex[:6]}"
    work.seed(redis_url, sweep)
    (work.data / "index" / "leads.sqlite3").mkdir(parents=True)
    log = tmp_path / "w.log"
    worker = work.worker(redis_url, sweep, "w", log)
    out, err = worker.communicate(timeout=300)

    assert worker.returncode == 1, out + err
    reasons = json.loads((tmp_path / "w-w.json").read_text("utf-8"))["finish_reasons"]
    assert reasons and all(reason.startswith("failed: ") and "cannot open the lead store" in reason
                           for reason in reasons.values()), reasons
    assert "None" not in out
    assert "crawl failed" in log.read_text("utf-8", errors="replace")
