"""The shared frontier of a distributed sweep: a Redis priority queue with per-worker in-flight sets.

Stock scrapy-redis pops a request off the queue, so a worker killed mid-crawl loses what it had taken. Here a
pop *moves* the request, atomically (a Lua script), from the queue into the worker's own in-flight sorted set;
the worker removes it from there ("ack") only when Scrapy has completely finished with it (response parsed, new
requests scheduled, items through the pipelines). Each worker stamps its id with the Redis server's clock every
few seconds; the in-flight set of a worker whose stamp is older than `stale_after` goes back into the queue with
its priorities (a ZUNIONSTORE, again atomic), whichever worker notices first. A requeued request skips the
dupefilter, so its fingerprint being "seen" does not stop it from being fetched again, and comes back with
`meta["lantian_requeued"]` set: the dead worker may have stopped half-way through its item pipelines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis import Redis
from scrapy import Request, Spider
from scrapy_redis.queue import Base

from crawler.distributed.keys import SweepKeys

REQUEUED_META = "lantian_requeued"

NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

# KEYS: queue, inflight, workers, requeued; ARGV: worker id
POP = NOW + """
local item = redis.call('ZPOPMIN', KEYS[1])
if #item == 0 then return false end
redis.call('ZADD', KEYS[2], item[2], item[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {item[1], redis.call('SREM', KEYS[4], item[1])}
"""

# KEYS: workers; ARGV: worker id
HEARTBEAT = NOW + "redis.call('ZADD', KEYS[1], now, ARGV[1]) return tostring(now)"

# KEYS: queue, inflight, workers, requeued; ARGV: worker id, stale_after seconds (negative: even if alive)
REQUEUE = NOW + """
local stamp = redis.call('ZSCORE', KEYS[3], ARGV[1])
local stale_after = tonumber(ARGV[2])
if stale_after >= 0 and stamp and tonumber(stamp) > now - stale_after then return -1 end
local moved = redis.call('ZCARD', KEYS[2])
if moved > 0 then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do redis.call('SADD', KEYS[4], member) end
  redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[2])
end
redis.call('ZREM', KEYS[3], ARGV[1])
return moved
"""

# KEYS: queue, workers, seeded; ARGV: in-flight key prefix
STATUS = """
local inflight = 0
for _, worker in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  inflight = inflight + redis.call('ZCARD', ARGV[1] .. worker)
end
return {redis.call('ZCARD', KEYS[1]), inflight, redis.call('EXISTS', KEYS[3]), #redis.call('ZRANGE', KEYS[2], 0, -1)}
"""


@dataclass(frozen=True)
class FrontierStatus:
    queued: int
    inflight: int
    seeded: bool
    workers: int

    @property
    def finished(self) -> bool:
        """Seeded, nothing queued, nothing taken: no worker can produce new requests any more."""
        return self.seeded and self.queued == 0 and self.inflight == 0


class Frontier(Base):
    """Queue + in-flight sets of one spider of one sweep. `push`/`pop` are scrapy-redis' queue interface (its
    request encoding, pickle of `Request.to_dict`); `ack` and `requeue_stale` make it reliable."""

    def __init__(self, server: Redis, spider: Spider, keys: SweepKeys, worker_id: str,
                 serializer: Any = None) -> None:
        super().__init__(server, spider, keys.queue, serializer)
        self.keys = keys
        self.worker_id = worker_id
        self.inflight_key = keys.inflight(worker_id)
        self._pop = server.register_script(POP)
        self._heartbeat = server.register_script(HEARTBEAT)
        self._requeue = server.register_script(REQUEUE)
        self._status = server.register_script(STATUS)

    def __len__(self) -> int:
        return int(self.server.zcard(self.key))

    def push(self, request: Request) -> None:
        self.server.zadd(self.key, {self._encode_request(request): -request.priority})

    def pop(self, timeout: int = 0) -> tuple[Request, bytes] | None:
        """The highest-priority request and its encoded form (the token to `ack` it with)."""
        popped = self._pop(keys=[self.key, self.inflight_key, self.keys.workers, self.keys.requeued],
                           args=[self.worker_id])
        if popped is None:
            return None
        data, requeued = popped
        request = self._decode_request(data)
        if requeued:
            request.meta[REQUEUED_META] = True
        return request, data

    def ack(self, token: bytes) -> None:
        self.server.zrem(self.inflight_key, token)

    def heartbeat(self) -> None:
        self._heartbeat(keys=[self.keys.workers], args=[self.worker_id])

    def requeue(self, worker_id: str, stale_after: float = -1) -> int:
        """Put `worker_id`'s in-flight requests back in the queue (only if its heartbeat is older than
        `stale_after` seconds; negative = unconditionally). Returns how many, or -1 when the worker is alive."""
        return int(self._requeue(keys=[self.key, self.keys.inflight(worker_id), self.keys.workers,
                                       self.keys.requeued], args=[worker_id, stale_after]))

    def requeue_stale(self, stale_after: float) -> dict[str, int]:
        """Requeue every worker whose heartbeat is older than `stale_after` seconds, and orphaned in-flight sets
        (a worker id no longer registered). Returns {worker id: requests requeued}."""
        registered = {w.decode() if isinstance(w, bytes) else w
                      for w in self.server.zrange(self.keys.workers, 0, -1)}
        candidates = set(registered)
        for key in self.server.scan_iter(match=self.keys.inflight_prefix + "*", count=500):
            name = key.decode() if isinstance(key, bytes) else key
            candidates.add(name[len(self.keys.inflight_prefix):])
        moved: dict[str, int] = {}
        for worker in sorted(candidates):
            if worker == self.worker_id:
                continue
            count = self.requeue(worker, stale_after if worker in registered else -1)
            if count >= 0:
                moved[worker] = count
        return moved

    def status(self) -> FrontierStatus:
        queued, inflight, seeded, workers = self._status(
            keys=[self.key, self.keys.workers, self.keys.seeded], args=[self.keys.inflight_prefix])
        return FrontierStatus(int(queued), int(inflight), bool(seeded), int(workers))

    def leave(self) -> int:
        """Requeue what this worker still holds and unregister it (a clean exit)."""
        return self.requeue(self.worker_id)
