"""Seeding a distributed sweep, running a worker, and looking after the shared frontier.

One sweep = one sweep id. `seed_sweep` stores the sweep's parameters in Redis and pushes the start requests of
the ordinary spiders; any number of `run_worker` processes, on any machines, then crawl from that frontier with
the full pipelines (detector, evidence, lead store) and exit when the whole sweep is done.
"""
from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import redis
from rich.console import Console
from scrapy import Spider
from scrapy.crawler import Crawler

from core.settings import data_dir
from crawler.distributed.config import DistributedConfig
from crawler.distributed.frontier import Frontier, FrontierStatus
from crawler.distributed.keys import SweepKeys, params_key, sweep_pattern
from crawler.distributed.pipelines import PIPELINE_ORDER, RecheckRequeuedPipeline
from crawler.distributed.scheduler import SeedScheduler, WorkerScheduler, default_worker_id
from crawler.distributed.spiders import WORKER_SPIDERS
from crawler.platforms import Catalog, load_endpoints, read_keywords_file
from crawler.progress import SweepSummary, counters, run_with_progress, summarize
from crawler.run import crawler_process, crawler_settings, record_crawl_failure, run_sweep


class DistributedError(RuntimeError):
    """Redis unreachable, a sweep not seeded, or seeded with other parameters (a one-line message)."""


@dataclass
class SweepParams:
    """What every worker of a sweep must agree on; written by `seed_sweep`, read by `run_worker`."""

    platforms: dict[str, list[str]]
    endpoints: dict[str, str] | None = None
    keywords: list[str] | None = None
    max_pages: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> SweepParams:
        return cls(**json.loads(text))


@dataclass
class WorkerReport:
    worker_id: str
    summary: SweepSummary
    peak_rss_mb: float
    requeued: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"worker_id": self.worker_id, "peak_rss_mb": round(self.peak_rss_mb, 1), "requeued": self.requeued,
                **self.summary.as_dict()}


@dataclass
class SweepStatus:
    sweep_id: str
    params: SweepParams | None
    spiders: dict[str, FrontierStatus] = field(default_factory=dict)
    workers: dict[str, float] = field(default_factory=dict)  # worker id → seconds since its last heartbeat

    @property
    def finished(self) -> bool:
        return bool(self.spiders) and all(s.finished for s in self.spiders.values())


def connect(config: DistributedConfig) -> redis.Redis:
    try:
        server = redis.Redis.from_url(config.redis_url, socket_connect_timeout=5, socket_timeout=30)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise DistributedError(f"Redis at {config.redis_url} is not reachable: {exc}") from None
    return server


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_params(server: redis.Redis, sweep_id: str) -> SweepParams | None:
    raw = server.get(params_key(sweep_id))
    return SweepParams.from_json(raw) if raw else None


def frontier(server: redis.Redis, sweep_id: str, kind: str, worker_id: str = "cluster") -> Frontier:
    return Frontier(server, Spider(name=kind), SweepKeys(sweep_id, kind), worker_id)


def resolve_inputs(endpoints: str | Path | dict[str, str] | None, keywords: str | Path | Sequence[str] | None,
                   ) -> tuple[dict[str, str] | None, list[str] | None]:
    """Endpoint and keyword files read here, so workers on other machines get their contents, not their paths."""
    endpoint_map = load_endpoints(Path(endpoints)) if isinstance(endpoints, (str, Path)) else endpoints
    keyword_list = read_keywords_file(Path(keywords)) if isinstance(keywords, (str, Path)) else (
        list(keywords) if keywords is not None else None
    )
    return endpoint_map, keyword_list


def sweep_params(platforms: Sequence[str] | None, endpoints: dict[str, str] | None, keywords: list[str] | None,
                 max_pages: int | None) -> SweepParams:
    selected = Catalog(endpoints=endpoints).select(list(platforms) if platforms else None)
    by_kind: dict[str, list[str]] = {}
    for platform in selected:
        by_kind.setdefault(platform.kind, []).append(platform.name)
    return SweepParams(platforms=by_kind, endpoints=endpoints, keywords=keywords, max_pages=max_pages)


def store_params(server: redis.Redis, sweep_id: str, params: SweepParams) -> SweepParams:
    """Record the sweep's parameters, or check they are the ones already recorded."""
    if not server.set(params_key(sweep_id), params.to_json(), nx=True) and read_params(server, sweep_id) != params:
        raise DistributedError(
            f"sweep {sweep_id!r} was seeded with other parameters; use another sweep id or "
            f"`lantian cluster reset --sweep {sweep_id}`"
        )
    return params


def seed_sweep(
    config: DistributedConfig,
    platforms: Sequence[str] | None = None,
    endpoints: str | Path | dict[str, str] | None = None,
    keywords: str | Path | Sequence[str] | None = None,
    max_pages: int | None = None,
) -> SweepStatus:
    """Store the sweep's parameters and push the start requests (searches, feeds, sitemaps, listings due for a
    re-crawl) into the frontier. Seeding the same sweep again adds only what the dupefilter has not seen."""
    server = connect(config)
    endpoint_map, keyword_list = resolve_inputs(endpoints, keywords)
    params = store_params(server, config.sweep_id, sweep_params(platforms, endpoint_map, keyword_list, max_pages))
    by_kind = params.platforms
    run_sweep(
        platforms=[name for names in by_kind.values() for name in names], endpoints=endpoint_map,
        keywords=keyword_list, max_pages=max_pages, progress=False,
        settings={**config.scrapy_settings(), "SCHEDULER": f"{SeedScheduler.__module__}.SeedScheduler",
                  "ITEM_PIPELINES": {}, "LOG_LEVEL": "WARNING"},
    )
    return sweep_status(config)


def wait_for_seed(server: redis.Redis, sweep_id: str, wait_seconds: float) -> SweepParams:
    deadline = time.monotonic() + wait_seconds
    while True:
        params = read_params(server, sweep_id)
        if params is not None:
            return params
        if time.monotonic() >= deadline:
            raise DistributedError(f"sweep {sweep_id!r} has not been seeded (run `lantian cluster seed` first)")
        time.sleep(1.0)


def run_worker(
    config: DistributedConfig,
    worker_id: str | None = None,
    *,
    wait_seconds: float = 0.0,
    progress: bool = True,
    console: Console | None = None,
    settings: dict[str, Any] | None = None,
    seed: SweepParams | None = None,
) -> WorkerReport:
    """Crawl from the sweep's frontier until the whole sweep is done (every worker's share). With `seed`, this
    worker records the sweep's parameters and pushes its start requests too (`crawl_distributed`)."""
    server = connect(config)
    params = store_params(server, config.sweep_id, seed) if seed else wait_for_seed(server, config.sweep_id,
                                                                                    wait_seconds)
    worker_id = worker_id or default_worker_id()
    names = [name for kind_names in params.platforms.values() for name in kind_names]
    log_dir = data_dir() / "crawl" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_file = str(log_dir / f"worker-{worker_id}-{stamp}.log") if progress else ""
    log = {"LOG_FILE": log_file, "LOG_FILE_APPEND": False} if progress else {}
    pipelines = {**crawler_settings().getdict("ITEM_PIPELINES"),
                 f"{RecheckRequeuedPipeline.__module__}.RecheckRequeuedPipeline": PIPELINE_ORDER}
    process = crawler_process(crawler_settings({
        **log, "ITEM_PIPELINES": pipelines, **(settings or {}), **config.scrapy_settings(),
        "SCHEDULER": f"{WorkerScheduler.__module__}.WorkerScheduler", "LANTIAN_WORKER_ID": worker_id,
        "LANTIAN_SEED_START": seed is not None,
    }))
    crawlers: dict[str, Crawler] = {}
    failures: dict[str, str] = {}
    for kind, kind_names in params.platforms.items():
        crawler = process.create_crawler(WORKER_SPIDERS[kind])
        crawlers[kind] = crawler
        crawl = process.crawl(crawler, platforms=kind_names, endpoints=params.endpoints, keywords=params.keywords,
                              max_pages=params.max_pages)
        crawl.addErrback(record_crawl_failure, kind, failures)

    started = time.monotonic()
    stats = run_with_progress(process, list(crawlers.values()), names, console or Console(file=sys.stderr), progress,
                              title=f"worker {worker_id} · sweep {config.sweep_id}")

    summary = SweepSummary(seconds=time.monotonic() - started, log_file=log_file)
    summary.platforms = summarize(stats, names)
    summary.counters = counters(stats)
    for kind, crawler in crawlers.items():
        reason = crawler.stats.get_value("finish_reason") if crawler.stats is not None else None
        summary.finish_reasons[kind] = failures.get(kind) or str(reason)
    requeued = sum(int(s.get("lantian/distributed/requeued", 0)) for s in stats)
    return WorkerReport(worker_id=worker_id, summary=summary, peak_rss_mb=peak_rss_mb(), requeued=requeued)


def crawl_distributed(
    config: DistributedConfig,
    platforms: Sequence[str] | None = None,
    endpoints: str | Path | dict[str, str] | None = None,
    keywords: str | Path | Sequence[str] | None = None,
    max_pages: int | None = None,
    **worker_options: Any,
) -> WorkerReport:
    """`lantian crawl --distributed`: seed (idempotently) and work in one process. Run the same command on as many
    machines as you like; they share one frontier and each URL is fetched once."""
    endpoint_map, keyword_list = resolve_inputs(endpoints, keywords)
    return run_worker(config, seed=sweep_params(platforms, endpoint_map, keyword_list, max_pages), **worker_options)


def sweep_status(config: DistributedConfig) -> SweepStatus:
    server = connect(config)
    params = read_params(server, config.sweep_id)
    status = SweepStatus(config.sweep_id, params)
    if params is None:
        return status
    now = float(server.time()[0])
    for kind in params.platforms:
        status.spiders[kind] = frontier(server, config.sweep_id, kind).status()
        # With scores, a RESP2 connection (redis-py's default, ours) answers (member, score) pairs.
        heartbeats = cast(list[tuple[bytes | str, float]],
                          server.zrange(SweepKeys(config.sweep_id, kind).workers, 0, -1, withscores=True))
        for worker, stamp in heartbeats:
            name = worker.decode() if isinstance(worker, bytes) else worker
            status.workers[name] = min(status.workers.get(name, float("inf")), now - stamp)
    return status


def requeue_stale(config: DistributedConfig, stale_after: float | None = None) -> dict[str, int]:
    """Return the in-flight requests of workers silent for `stale_after` seconds (default: the config's) to the
    queue; `stale_after=0` requeues every worker's, e.g. after all workers were stopped at once."""
    server = connect(config)
    params = read_params(server, config.sweep_id)
    if params is None:
        raise DistributedError(f"sweep {config.sweep_id!r} has not been seeded")
    limit = config.stale_after_seconds if stale_after is None else stale_after
    moved: dict[str, int] = {}
    for kind in params.platforms:
        for worker, count in frontier(server, config.sweep_id, kind).requeue_stale(limit).items():
            moved[worker] = moved.get(worker, 0) + count
    return moved


def reset_sweep(config: DistributedConfig) -> int:
    """Delete every Redis key of the sweep (frontier, dupefilter, workers, parameters). Returns keys deleted."""
    server = connect(config)
    keys = list(server.scan_iter(match=sweep_pattern(config.sweep_id), count=1000))
    return int(server.delete(*keys)) if keys else 0
