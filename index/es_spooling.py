"""Crawler writes that outlast an outage: spooled to disk while Elasticsearch is unreachable, replayed in order.

A write is spooled when the server does not answer, and also while older operations still wait in the spool, so
operations reach the server in the order they were made. Replays are tried before writes, at most once per
`replay_interval` seconds, so an outage does not slow the crawl down.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from index.es_client import ServerUnavailable
from index.spool import Operation, Spool

log = logging.getLogger(__name__)

# Spooled operations handed to one replay step, in batches: enough for the pipeline to keep the server busy; a
# failed step is replayed whole next time (merges are idempotent).
_REPLAY_BATCHES = 20
_Result = TypeVar("_Result")


class SpooledWrites:
    """Writes that go to `spool` while the server is unreachable; `apply` writes spooled operations in order."""

    def __init__(self, spool: Spool, apply: Callable[[list[Operation]], None], *, ensure_ready: Callable[[], None],
                 batch_size: int, replay_interval: float, destination: str) -> None:
        self.spool = spool
        self.apply = apply
        self.ensure_ready = ensure_ready
        self.batch_size = batch_size
        self.replay_interval = replay_interval
        self.destination = destination
        self._last_replay_attempt = 0.0

    def write_or_spool(self, ops: list[Operation], write: Callable[[], _Result]) -> _Result | None:
        """`write()`, or None after spooling `ops` when the server is unreachable or older operations still
        wait in the spool (they go first, to keep the order)."""
        if self.spool.pending() and not self.replay(force=False):
            self.spool.append(ops)
            return None
        try:
            return write()
        except ServerUnavailable as exc:
            log.warning("%s: spooling %d operation(s)", exc, len(ops))
            self.spool.append(ops)
            return None

    def replay(self, force: bool = True) -> bool:
        """Replay spooled operations if the server answers; True when the spool is empty afterwards.

        Without `force`, tries at most once per `replay_interval` seconds.
        """
        if not self.spool.pending():
            return True
        now = time.monotonic()
        if not force and now - self._last_replay_attempt < self.replay_interval:
            return False
        self._last_replay_attempt = now
        try:
            self.ensure_ready()
            replayed = self.spool.replay(self.apply, batch=self.batch_size * _REPLAY_BATCHES)
        except ServerUnavailable as exc:
            log.warning("spool kept: %s", exc)
            return False
        log.info("replayed %d spooled operation(s) into %s", replayed, self.destination)
        return not self.spool.pending()
