"""Lead indexing throughput against a raw `_bulk` of the same documents, in the same run, on the same server.

    .venv/bin/python bench/bench_index.py [--url http://127.0.0.1:9200] [--docs 20000] [--batch 500]
                                          [--repeat 3] [--warmup-runs 1] [--raw-requests 1] [--separate-cores]

Without --url (or LANTIAN_ES_URL) a local server is started in a temp dir and stopped afterwards. The lead path
is `EsLeadStore.upsert_many` from listings and detections (building the lead, near-duplicate signatures, jieba
dictionary words, merging with existing leads, the conditional bulk write), the pipelined bulk writer that the
spool replay after an outage also uses, with the store's default of two bulk requests on the wire at once; the
raw path is `helpers.bulk` of the exact documents the store wrote, into an index with the same mapping, one
request at a time (`--raw-requests 2` sends them with `helpers.parallel_bulk`, two at once, which shows how
much of the lead path's pace comes from keeping the server supplied). Both end with a refresh. The crawl is
indexed in rounds that alternate which path goes first, so drifting machine load weighs on both, and the whole
comparison is repeated (medians reported) after a warm-up run that is not counted: the server's JIT keeps speeding
up the raw path over the first tens of thousands of documents. Target: leads >= 80% of raw.

The client CPU per document (this process, all threads) shows what the lead path adds: on a small machine the
server and the client share the cores, so that CPU comes out of the server's share. `--separate-cores` pins the
server to half the CPUs and this process to the other half, which is how the two run in production (Elasticsearch
on its own machine): the lead path's Python work then overlaps with the server's instead of competing with it.
When the bench starts the server, it also reports how many CPUs the server kept busy during each path, which shows
how much room the client's work had.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
from elasticsearch import helpers

from core.environment import environment
from core.labels import LABELS
from core.lead import Detection, Listing, lead_id
from index.es_server import EsServer, free_port
from index.es_store import EsLeadStore
from index.es_writer import CONCURRENT_REQUESTS

PLATFORMS = ("xianyu", "taobao", "zbj", "58tongcheng", "xiaohongshu", "douyin", "baidu", "weixin")
# Listings with their detections, as the crawler hands them to the store.
Crawl = list[tuple[Listing, Detection]]
PHRASES = (
    "国家知识产权局指定代理", "商标局官方受理窗口", "内部渠道30天下证", "包授权不过全额退款", "专业撤三拿下别人的商标",
    "评职称专利包下证", "批量申请实用新型凑高企指标", "高价收专利代理师证不用坐班", "资质挂靠开票走账",
    "代写代办专利申请", "商标注册", "版权登记", "软件著作权", "高新技术企业认定", "专利转让", "经验丰富",
    "价格优惠", "全国服务", "一对一服务", "加微信详谈", "上海浦东新区", "诚信经营", "专业团队", "快速办理",
)


def synthetic_crawl(n: int) -> Crawl:
    """`n` listings with detections (as the detector hands them on): Chinese ad text of a few hundred characters,
    varied labels and scores."""
    rng = random.Random(7)
    pairs = []
    for i in range(n):
        platform = rng.choice(PLATFORMS)
        url = f"https://{platform}.example/item/{i}"
        text = "，".join(rng.choice(PHRASES) for _ in range(rng.randint(12, 24))) + f"。联系电话1380013{i:04d}"
        labels = rng.sample(LABELS, rng.randint(0, 2))
        listing: Listing = {
            "id": lead_id(url), "platform": platform, "url": url, "canonical_url": url,
            "title": "".join(rng.sample(PHRASES, 3)), "text": text, "price": str(rng.randint(100, 9000)),
            "seller": f"知识产权服务{i % 300}号店", "seller_url": f"https://{platform}.example/shop/{i % 300}",
            "location": rng.choice(("上海市浦东新区", "上海市静安区", "江苏省南京市", "上海市闵行区")),
            "images": [], "image_urls": [], "fetched_at": "2026-11-20T08:00:00Z", "content_sha256": f"{i:064x}",
            "raw_sha256": f"{i:064x}", "raw_path": f"/data/raw/{i}.html", "screenshot_path": f"/data/shots/{i}.png",
            "screenshot_sha256": f"{i:064x}", "warc_path": "/data/warc/crawl.warc.gz", "status": "active",
        }
        detection = Detection.model_validate({
            "labels": labels, "scores": {label: (0.9 if label in labels else rng.random() * 0.3) for label in LABELS},
            "risk": max([0.9 if labels else 0.1]), "entities": [{"type": "phone", "text": f"1380013{i:04d}",
                                                                 "field": "text", "start": 0, "end": 11}],
            "evidence": [{"label": label, "field": "text", "start": 0, "end": 4, "text": text[:4]} for label in labels],
        })
        pairs.append((listing, detection))
    return pairs


def index_leads(store: EsLeadStore, crawl: Crawl) -> tuple[float, float]:
    """Seconds to index `crawl` as leads (until searchable), and the CPU seconds this process spent."""
    start, cpu = time.perf_counter(), time.process_time()
    store.upsert_many(crawl)
    store.client.indices.refresh(index=store.alias)
    return time.perf_counter() - start, time.process_time() - cpu


def index_raw(store: EsLeadStore, index: str, docs: list[dict], batch: int, requests: int) -> tuple[float, float]:
    """Seconds to `_bulk` the given documents as they are (until searchable), `requests` bulk requests at once,
    and this process's CPU seconds."""
    actions = [{"_index": index, "_id": doc["id"], "_source": doc} for doc in docs]
    start, cpu = time.perf_counter(), time.process_time()
    if requests == 1:
        helpers.bulk(store.client, actions, chunk_size=batch)
    else:
        for ok, item in helpers.parallel_bulk(store.client, actions, chunk_size=batch, thread_count=requests,
                                              queue_size=1):
            if not ok:
                raise SystemExit(f"the raw bulk failed: {item}")
    store.client.indices.refresh(index=index)
    return time.perf_counter() - start, time.process_time() - cpu


def written(store: EsLeadStore, crawl: Crawl) -> list[dict]:
    """The exact documents the store wrote for `crawl` (internal fields included)."""
    ids = [listing["id"] for listing, _ in crawl]
    found = []
    for start in range(0, len(ids), 1000):
        body = store.client.mget(index=store.alias, ids=ids[start:start + 1000])
        found += [doc["_source"] for doc in body["docs"] if doc.get("found")]
    return found


Seconds = tuple[float, float, float]
"""Wall, client CPU and server CPU seconds of one path."""


def server_cpu(server: psutil.Process | None) -> float:
    """CPU seconds the server process has used so far (0 when it runs elsewhere)."""
    if server is None:
        return 0.0
    used = server.cpu_times()
    return float(used.user + used.system)


def run(url: str, crawl: Crawl, batch: int, raw_requests: int, rounds: int, spool: Path,
        server: psutil.Process | None) -> tuple[Seconds, Seconds]:
    """(wall, client CPU, server CPU) seconds of the lead path and of the raw path over `rounds` slices of the crawl,
    alternating which path goes first so a change in machine load during the run weighs on both alike. The server's
    CPU is measured when this process started it (else 0)."""

    def timed(index: Callable[[], tuple[float, float]]) -> Seconds:
        before = server_cpu(server)
        wall, client = index()
        return wall, client, server_cpu(server) - before

    scratch = EsLeadStore(url, index_prefix="bench-scratch", batch_size=batch, spool_dir=spool)
    scratch.drop()
    scratch.ensure_indices()
    scratch.upsert_many(crawl)
    scratch.flush()
    docs = written(scratch, crawl)
    raw_index = f"{scratch.index}-raw"
    scratch.client.indices.create(index=raw_index)
    # The scratch crawl's segments are merged now, so that merging them does not take server CPU from the
    # first round (the lead path's).
    scratch.client.indices.forcemerge(index=scratch.alias, max_num_segments=1)
    # The inputs (the crawl and the documents, some 150,000 objects) stay in memory for the whole run, as no
    # indexing process holds its input; frozen, they are not walked again by every full garbage collection
    # that the lead path's allocations trigger.
    gc.collect()
    gc.freeze()

    store = EsLeadStore(url, index_prefix="bench", batch_size=batch, spool_dir=spool)
    store.drop()
    store.ensure_indices()
    lead = raw = (0.0, 0.0, 0.0)
    size = -(-len(crawl) // rounds)
    for number, start in enumerate(range(0, len(crawl), size)):
        lead_slice, raw_slice = crawl[start:start + size], docs[start:start + size]
        if number % 2 == 0:
            lead_round = timed(partial(index_leads, store, lead_slice))
            raw_round = timed(partial(index_raw, scratch, raw_index, raw_slice, batch, raw_requests))
        else:
            raw_round = timed(partial(index_raw, scratch, raw_index, raw_slice, batch, raw_requests))
            lead_round = timed(partial(index_leads, store, lead_slice))
        lead = (lead[0] + lead_round[0], lead[1] + lead_round[1], lead[2] + lead_round[2])
        raw = (raw[0] + raw_round[0], raw[1] + raw_round[1], raw[2] + raw_round[2])
    gc.unfreeze()
    indexed = (store.client.count(index=store.alias)["count"], scratch.client.count(index=raw_index)["count"])
    if indexed != (len(crawl), len(crawl)):
        raise SystemExit(f"indexed {indexed[0]} leads and {indexed[1]} raw documents, expected {len(crawl)} each")
    store.drop()
    scratch.drop()
    store.client.close()
    scratch.client.close()
    return lead, raw


@dataclass(frozen=True)
class Measurement:
    """One run: the documents indexed, and (wall, client CPU, server CPU) seconds of each path."""

    docs: int
    lead: Seconds
    raw: Seconds

    @property
    def lead_rate(self) -> float:
        return self.docs / self.lead[0]

    @property
    def raw_rate(self) -> float:
        return self.docs / self.raw[0]

    @property
    def ratio(self) -> float:
        return self.lead_rate / self.raw_rate

    @property
    def lead_cpu_ms(self) -> float:
        return 1000 * self.lead[1] / self.docs

    @property
    def raw_cpu_ms(self) -> float:
        return 1000 * self.raw[1] / self.docs

    @property
    def lead_server_cores(self) -> float:
        return self.lead[2] / self.lead[0]

    @property
    def raw_server_cores(self) -> float:
        return self.raw[2] / self.raw[0]


def separate_cores(server: EsServer) -> str:
    """Pin the server's threads to the upper half of the CPUs and this process to the lower half (threads started
    later inherit their creator's CPUs); returns a description of the placement."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--separate-cores needs at least 2 CPUs")
    client, served = cpus[:len(cpus) // 2], cpus[len(cpus) // 2:]
    for thread in psutil.Process(server.status().pid).threads():
        os.sched_setaffinity(thread.id, served)
    os.sched_setaffinity(0, client)
    return f"server on CPU {','.join(map(str, served))}, client on CPU {','.join(map(str, client))}"


def positive(value: str) -> int:
    """A whole number above zero, for the count options."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=environment().es_url, help="Elasticsearch URL (default: LANTIAN_ES_URL)")
    parser.add_argument("--docs", type=positive, default=20000,
                        help="leads to index per run (large enough that the refresh ending each round is a small part)")
    parser.add_argument("--batch", type=positive, default=500, help="documents per bulk request")
    parser.add_argument("--warmup-runs", type=int, choices=range(10), default=1, metavar="N",
                        help="runs of the whole comparison before the counted ones, printed but not counted")
    parser.add_argument("--raw-requests", type=positive, default=1,
                        help="bulk requests the raw path keeps on the wire at once (1: helpers.bulk; more: "
                             "helpers.parallel_bulk with that many threads)")
    parser.add_argument("--rounds", type=positive, default=4, help="alternating slices of the crawl")
    parser.add_argument("--repeat", type=positive, default=3,
                        help="runs of the whole comparison (fresh indices each); the medians are reported, since a "
                             "burst of load from elsewhere can skew any one run")
    parser.add_argument("--separate-cores", action="store_true",
                        help="run the server the bench starts on the upper half of the CPUs and this process on the "
                             "lower half, as when Elasticsearch has its own machine (Linux)")
    args = parser.parse_args()
    if args.separate_cores and args.url:
        parser.error("--separate-cores applies to the server the bench starts, not to --url")

    server = None
    process = None
    url = args.url
    placement = "server and client share every CPU" if not args.url else "server elsewhere"
    with tempfile.TemporaryDirectory(prefix="lantian-bench-") as tmp:
        if not url:
            server = EsServer(home=Path(tmp) / "es", port=free_port(), heap="512m")
            url = server.start(timeout=240)
            process = psutil.Process(server.status().pid)
            if args.separate_cores:
                placement = separate_cores(server)
        try:
            print(f"documents           {args.docs} (batch {args.batch}) on {url}; {placement}", flush=True)
            print(f"bulk requests       lead {CONCURRENT_REQUESTS} at once, raw {args.raw_requests} at once",
                  flush=True)
            crawl = synthetic_crawl(args.docs)
            runs = []
            for number in range(1 - args.warmup_runs, args.repeat + 1):
                lead, raw = run(url, crawl, args.batch, args.raw_requests, args.rounds, Path(tmp), process)
                measured = Measurement(args.docs, lead, raw)
                name = f"run {number}" if number > 0 else "warm-up"
                print(f"{name:<20}lead {measured.lead_rate:,.0f} docs/s, raw {measured.raw_rate:,.0f} docs/s: "
                      f"{measured.ratio:.0%}{'' if number > 0 else '  (not counted)'}", flush=True)
                if number > 0:
                    runs.append(measured)
        finally:
            if server is not None:
                server.stop()
    print(f"raw _bulk           {median(m.raw_rate for m in runs):10.0f} docs/s  (median; client CPU "
          f"{median(m.raw_cpu_ms for m in runs):.3f} ms/doc)")
    print(f"lead indexing       {median(m.lead_rate for m in runs):10.0f} docs/s  (median; client CPU "
          f"{median(m.lead_cpu_ms for m in runs):.3f} ms/doc)")
    print(f"lead / raw          {median(m.ratio for m in runs):10.0%}  (median of {len(runs)} runs; target >= 80%)")
    if process is not None:
        print(f"server CPUs busy    raw {median(m.raw_server_cores for m in runs):.2f}, lead "
              f"{median(m.lead_server_cores for m in runs):.2f}  (median; this machine has {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
