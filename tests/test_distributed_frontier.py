"""The shared frontier on a real Redis: a pop moves a request into the worker's in-flight set, an ack ends it, and a
dead worker's in-flight requests go back to the queue (also its own, when it restarts under the same id)."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import redis
import yaml
from scrapy import Request, Spider

from core.config import ConfigError
from core.settings import project_root
from crawler.distributed.config import DistributedConfig, load_config
from crawler.distributed.frontier import REQUEUED_META, Frontier
from crawler.distributed.keys import SweepKeys


class ParsingSpider(Spider):
    name = "sweep"

    def parse_results(self, response):
        return []


@pytest.fixture
def server(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def frontier(server: redis.Redis, sweep: str, worker: str) -> Frontier:
    return Frontier(server, ParsingSpider(), SweepKeys(sweep, "sweep"), worker)


def test_pop_moves_into_inflight_and_ack_finishes(server: redis.Redis) -> None:
    sweep = uuid.uuid4().hex[:8]
    a = frontier(server, sweep, "a")
    spider = a.spider
    a.push(Request("http://x.test/low", priority=0, callback=spider.parse_results, meta={"keyword": "撤三"}))
    a.push(Request("http://x.test/high", priority=10))
    assert len(a) == 2

    request, token = a.pop()
    assert request.url == "http://x.test/high", "the highest priority first"
    assert server.zcard(a.keys.inflight("a")) == 1 and len(a) == 1
    low, low_token = a.pop()
    assert low.callback == spider.parse_results and low.meta["keyword"] == "撤三"
    assert a.pop() is None

    a.ack(token)
    assert server.zcard(a.keys.inflight("a")) == 1
    status = a.status()
    assert (status.queued, status.inflight, status.workers) == (0, 1, 1)
    assert not status.finished, "not seeded yet"
    server.set(a.keys.seeded, "2")
    assert not a.status().finished, "a request is still in flight"
    a.ack(low_token)
    assert a.status().finished


def test_dead_worker_requests_return_to_the_queue_with_their_priority(server: redis.Redis) -> None:
    sweep = uuid.uuid4().hex[:8]
    a, b = frontier(server, sweep, "a"), frontier(server, sweep, "b")
    for n in range(3):
        a.push(Request(f"http://x.test/{n}", priority=n))
    taken = [a.pop()[0].url for _ in range(2)]
    assert taken == ["http://x.test/2", "http://x.test/1"]
    b.heartbeat()

    assert b.requeue_stale(stale_after=60) == {}, "a is alive: nothing is taken from it"
    time.sleep(1.2)
    b.heartbeat()
    assert b.requeue_stale(stale_after=1) == {"a": 2}
    assert server.exists(a.keys.inflight("a")) == 0
    assert server.zscore(a.keys.workers, "a") is None, "a dead worker is unregistered"
    assert server.zscore(a.keys.workers, "b") is not None, "the live worker stays"
    returned = [b.pop()[0] for _ in range(3)]
    assert [r.url for r in returned] == ["http://x.test/2", "http://x.test/1", "http://x.test/0"]
    assert [bool(r.meta.get(REQUEUED_META)) for r in returned] == [True, True, False], \
        "a request back from a dead worker says so (its item pipelines may have stopped half-way)"


def test_a_restarted_worker_takes_back_its_own_requests_at_once(server: redis.Redis) -> None:
    sweep = uuid.uuid4().hex[:8]
    first_life = frontier(server, sweep, "host-1")
    first_life.push(Request("http://x.test/page"))
    first_life.pop()
    second_life = frontier(server, sweep, "host-1")
    assert second_life.leave() == 1
    assert second_life.pop()[0].url == "http://x.test/page"


def test_orphaned_inflight_set_is_requeued(server: redis.Redis) -> None:
    sweep = uuid.uuid4().hex[:8]
    a, b = frontier(server, sweep, "a"), frontier(server, sweep, "b")
    a.push(Request("http://x.test/page"))
    a.pop()
    server.zrem(a.keys.workers, "a")
    assert b.requeue_stale(stale_after=3600) == {"a": 1}
    assert len(b) == 1


def use_settings(root: Path, section: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    root.mkdir()
    settings = yaml.safe_load((project_root() / "config" / "lantian.yaml").read_text("utf-8"))
    settings["distributed"] = section
    (root / "lantian.yaml").write_text(yaml.safe_dump(settings), "utf-8")
    monkeypatch.setenv("LANTIAN_CONFIG_DIR", str(root))


def test_config_from_settings_file_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(tmp_path / "good", {"redis_url": "redis://10.0.0.5:6379/1", "sweep_id": "daily",
                                     "heartbeat_seconds": 2, "stale_after_seconds": 10}, monkeypatch)
    monkeypatch.delenv("LANTIAN_REDIS_URL", raising=False)
    config = load_config().validated("test")
    assert config == DistributedConfig("redis://10.0.0.5:6379/1", "daily", 2.0, 10.0)
    assert config.override(sweep_id="other").sweep_id == "other"
    monkeypatch.setenv("LANTIAN_REDIS_URL", "redis://127.0.0.1:7000/0")
    assert load_config().redis_url == "redis://127.0.0.1:7000/0"

    use_settings(tmp_path / "bad", {"stale_after_seconds": "soon"}, monkeypatch)
    with pytest.raises(ConfigError, match=r"lantian.yaml: distributed.stale_after_seconds: Input should be"):
        load_config()
    use_settings(tmp_path / "unknown", {"redis": "redis://x"}, monkeypatch)
    with pytest.raises(ConfigError, match=r"lantian.yaml: distributed.redis: Extra inputs are not permitted"):
        load_config()
    with pytest.raises(ConfigError, match="at least twice"):
        DistributedConfig("redis://x", "s", 5.0, 6.0).validated("cli")
    with pytest.raises(ConfigError, match="redis_url is empty"):
        DistributedConfig().validated("cli")
    with pytest.raises(ConfigError, match="sweep_id"):
        DistributedConfig("redis://x", "a/b").validated("cli")
