"""Redis key names of one distributed sweep: every key of a sweep starts with `lantian:<sweep id>:<spider>:`, so
sweeps never share a frontier or a dupefilter and `lantian cluster reset` removes exactly one sweep."""
from __future__ import annotations

import re
from dataclasses import dataclass

SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_sweep_id(sweep_id: str) -> str:
    if not SWEEP_ID.match(sweep_id):
        raise ValueError(f"sweep id {sweep_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return sweep_id


@dataclass(frozen=True)
class SweepKeys:
    """The keys one spider of one sweep uses in Redis."""

    sweep_id: str
    spider: str

    @property
    def prefix(self) -> str:
        return f"lantian:{self.sweep_id}:{self.spider}"

    @property
    def queue(self) -> str:
        """Sorted set: encoded request → score (-priority); the shared frontier."""
        return f"{self.prefix}:queue"

    @property
    def dupefilter(self) -> str:
        """Set of request fingerprints ever scheduled in this sweep (scrapy-redis' RFPDupeFilter)."""
        return f"{self.prefix}:dupefilter"

    @property
    def workers(self) -> str:
        """Sorted set: worker id → time of its last heartbeat (unix seconds)."""
        return f"{self.prefix}:workers"

    @property
    def seeded(self) -> str:
        """Set once `seed` has pushed every start request; workers do not finish before it exists."""
        return f"{self.prefix}:seeded"

    @property
    def requeued(self) -> str:
        """Set of encoded requests returned from a dead worker and not taken again yet."""
        return f"{self.prefix}:requeued"

    def inflight(self, worker_id: str) -> str:
        """Sorted set like the queue: what `worker_id` has taken and not yet finished."""
        return f"{self.prefix}:inflight:{worker_id}"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.prefix}:inflight:"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}:*"


def params_key(sweep_id: str) -> str:
    """JSON of the sweep's parameters (platforms, endpoints, keywords, max pages), written by `seed`."""
    return f"lantian:{sweep_id}:params"


def sweep_pattern(sweep_id: str) -> str:
    return f"lantian:{sweep_id}:*"
