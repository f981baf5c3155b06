"""Where lantian keeps its configuration and its data, and the main settings file.

Staff edit YAML under the config dir; everything lantian produces (evidence, stores, models caches, pid files)
lives under the data dir so a deployment can put it on its own volume.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from core.config import ConfigError, StrictModel, load_model, validate
from core.environment import environment


@lru_cache(maxsize=1)
def project_root() -> Path:
    """The checkout (or installed tree) holding `config/`, `models/` and, by default, `data/`.

    Resolved once: resolving walks the path with a system call per component, and every lead being indexed asks
    for the config dir (its district list).
    """
    return Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """`LANTIAN_CONFIG_DIR`, else `config/` of the project root."""
    return environment().config_dir or project_root() / "config"


def data_dir() -> Path:
    """`LANTIAN_DATA_DIR`, else `data/` of the project root; created when asked for. A path that cannot be a folder
    (a file is there, or no permission) is a ConfigError naming where it came from, not a traceback."""
    given = environment().data_dir
    path = given or project_root() / "data"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        source = "LANTIAN_DATA_DIR" if given else "the data dir"
        raise ConfigError(f"{source}: {path} cannot be used as a folder ({exc.strerror})") from exc
    return path


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "es_url": ("elasticsearch", "url"),
    "registry_path": ("registry", "path"),
}
"""`core.environment.Environment` fields that override a field of config/lantian.yaml (section, key)."""


class ElasticsearchSettings(StrictModel):
    """`elasticsearch:`, read by `index.open_store` (an empty url means the embedded store) and `lantian kibana`;
    the defaults of the Elasticsearch store are these."""

    url: str | None = ""
    index_prefix: str = Field("lantian", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    batch_size: int = Field(500, ge=1, le=10000, description="leads per bulk request")
    concurrent_requests: int = Field(2, ge=1, le=8, description="bulk requests on the wire at once")


class RegistrySettings(StrictModel):
    """`registry:`, read by `detector.registry.AgencyRegistry.from_settings`; a letter that says a publisher is not in
    the register names it by `name` and `source` as of `as_of` (`casework.takedown.register_cited`)."""

    path: str | None = None
    name: str = Field("专利代理机构名录", min_length=1, max_length=60, pattern=r"^[^《》\s]+$",
                      description="the register's title as a letter cites it, without 《》")
    source: str = Field("国家知识产权局专利代理管理系统", max_length=80, pattern=r"^[^（）()]*$",
                        description="who publishes the register, e.g. 国家知识产权局专利代理管理系统")
    as_of: date | None = Field(None, description="the day the register in `path` was taken (YYYY-MM-DD)")

    @field_validator("as_of")
    @classmethod
    def _not_in_the_future(cls, value: date | None) -> date | None:
        if value is not None and value > datetime.now(UTC).date() + timedelta(days=1):
            raise ValueError(f"{value.isoformat()} is in the future: the day the register was taken")
        return value


class EvidenceSettings(StrictModel):
    """`evidence:`, read by `crawler.evidence.anchor.signing_key_path`."""

    signing_key: str = "~/.config/lantian/evidence-signing-key.pem"


class ConsoleSettings(StrictModel):
    """`console:`, read by `casework.console.security.served_over_tls`."""

    tls: bool = False


class CrawlSettings(StrictModel):
    """`crawl:`, read by `crawler.proxies.ConfiguredProxy`."""

    proxy: str = Field("", pattern=r"^(https?://[^/?#\s]+/?)?$",
                       description="an http:// or https:// proxy URL (user:password@ allowed), or empty for none")


class DistributedSettings(StrictModel):
    """`distributed:`, read by `crawler.distributed.config.load_config` (which holds the defaults)."""

    redis_url: str | None = None
    sweep_id: str | None = None
    heartbeat_seconds: float | None = None
    stale_after_seconds: float | None = None


class SettingsFile(StrictModel):
    """The shape of config/lantian.yaml; every section is optional, and a section left out (or empty) and a field
    left out read as their defaults, declared above."""

    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_section(cls, value: object) -> object:
        return {} if value is None else value


@lru_cache(maxsize=4)
def _load_settings(path: str) -> dict[str, Any]:
    """The file validated as a `SettingsFile`, as the mapping it holds (fields the file leaves out stay out)."""
    return load_model(SettingsFile, Path(path)).model_dump(exclude_unset=True)


def main_settings(settings: Mapping[str, Any] | None = None) -> SettingsFile:
    """The main settings typed, defaults filled in: `settings` (a mapping as `load_settings()` returns, which is
    the default), validated, so an error names the field."""
    return validate(SettingsFile, dict(load_settings() if settings is None else settings), Path("lantian.yaml"))


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The main settings (`config/lantian.yaml`); the environment overrides some fields, so one deployment or one
    run can differ without editing the file: `LANTIAN_ES_URL` → `elasticsearch.url`, `LANTIAN_REGISTRY_PATH` →
    `registry.path`."""
    settings = dict(_load_settings(str(path or config_dir() / "lantian.yaml")))
    variables = environment()
    for field, (section, key) in ENV_OVERRIDES.items():
        value = getattr(variables, field)
        if value is not None:
            settings[section] = {**(settings.get(section) or {}), key: value}
    return settings
