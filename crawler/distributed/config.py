"""Where a distributed sweep lives: the Redis URL, the sweep id and the worker's liveness timing.

Read from the optional `distributed:` section of `config/lantian.yaml`:

    distributed:
      redis_url: redis://10.0.0.5:6379/0   # or env LANTIAN_REDIS_URL
      sweep_id: daily                      # Redis key prefix lantian:<sweep id>:...
      heartbeat_seconds: 5                 # how often a worker stamps itself alive
      stale_after_seconds: 30              # a worker silent this long is dead; its in-flight requests are requeued

Command-line options override the file; the environment variable overrides the file's URL.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.config import ConfigError
from core.environment import environment
from core.settings import main_settings
from crawler import settings as defaults
from crawler.distributed.keys import check_sweep_id


@dataclass(frozen=True)
class DistributedConfig:
    redis_url: str = ""
    sweep_id: str = "default"
    heartbeat_seconds: float = defaults.LANTIAN_HEARTBEAT_SECONDS
    stale_after_seconds: float = defaults.LANTIAN_STALE_AFTER_SECONDS

    def scrapy_settings(self) -> dict[str, Any]:
        return {
            "REDIS_URL": self.redis_url,
            "LANTIAN_SWEEP_ID": self.sweep_id,
            "LANTIAN_HEARTBEAT_SECONDS": self.heartbeat_seconds,
            "LANTIAN_STALE_AFTER_SECONDS": self.stale_after_seconds,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        }

    def override(self, **values: Any) -> DistributedConfig:
        config = replace(self, **{k: v for k, v in values.items() if v is not None})
        return config.validated("command line")

    def validated(self, source: str) -> DistributedConfig:
        if not self.redis_url:
            raise ConfigError(f"{source}: distributed.redis_url is empty (set it, LANTIAN_REDIS_URL or --redis)")
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(f"{source}: distributed.redis_url must start with redis://, rediss:// or unix://")
        try:
            check_sweep_id(self.sweep_id)
        except ValueError as exc:
            raise ConfigError(f"{source}: distributed.sweep_id: {exc}") from None
        if self.heartbeat_seconds <= 0:
            raise ConfigError(f"{source}: distributed.heartbeat_seconds must be > 0")
        if self.stale_after_seconds < 2 * self.heartbeat_seconds:
            raise ConfigError(f"{source}: distributed.stale_after_seconds must be at least twice heartbeat_seconds")
        return self


def load_config() -> DistributedConfig:
    """The `distributed` section of the main settings (checked field by field by `core.settings`, not validated as
    a whole yet: options may still fill it in)."""
    config = DistributedConfig(**main_settings().distributed.model_dump(exclude_none=True))
    env_url = environment().redis_url
    return replace(config, redis_url=env_url) if env_url else config
