"""The environment variables lantian reads, declared and read here only.

Each variable is a field of `Environment` (its name is the field's alias), with its default and its check, so a wrong
value is refused naming the variable. Every other module asks `environment()` for the field it needs; none reads
`os.environ`. The variables are read again at every call (the demo sets `LANTIAN_REGISTRY_PATH` while it runs, and
tests set them), and the typed object is built once for each set of values.

Unset and empty are the same for every variable except the two that override a field of `config/lantian.yaml`
(`core.settings.ENV_OVERRIDES`): an empty `LANTIAN_ES_URL` asks for the embedded store whatever the file says.
"""
from __future__ import annotations

import getpass
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator

from core.config import ConfigError, StrictModel, describe

_EMPTY_IS_A_VALUE = ("LANTIAN_ES_URL", "LANTIAN_REGISTRY_PATH")


class Environment(StrictModel):
    """Every environment variable lantian reads, typed; `None` is unset (or empty)."""

    # Where lantian's own files are (core.settings).
    config_dir: Path | None = Field(None, alias="LANTIAN_CONFIG_DIR", description="default: config/ of the project")
    data_dir: Path | None = Field(None, alias="LANTIAN_DATA_DIR", description="default: data/ of the project")
    # Overrides of config/lantian.yaml (core.settings.ENV_OVERRIDES).
    es_url: str | None = Field(None, alias="LANTIAN_ES_URL", description="elasticsearch.url; empty: embedded store")
    registry_path: str | None = Field(None, alias="LANTIAN_REGISTRY_PATH", description="registry.path")
    redis_url: str | None = Field(None, alias="LANTIAN_REDIS_URL", description="distributed.redis_url")
    evidence_key: Path | None = Field(None, alias="LANTIAN_EVIDENCE_KEY", description="evidence.signing_key")
    # Secrets (index.es_client, index.kibana_setup, casework.console.security).
    es_username: str | None = Field(None, alias="LANTIAN_ES_USERNAME")
    es_password: SecretStr = Field(SecretStr(""), alias="LANTIAN_ES_PASSWORD")
    es_api_key: SecretStr | None = Field(None, alias="LANTIAN_ES_API_KEY")
    es_ca_certs: Path | None = Field(None, alias="LANTIAN_ES_CA_CERTS")
    kibana_username: str | None = Field(None, alias="LANTIAN_KIBANA_USERNAME", description="default: the ES user")
    kibana_password: SecretStr | None = Field(None, alias="LANTIAN_KIBANA_PASSWORD")
    kibana_api_key: SecretStr | None = Field(None, alias="LANTIAN_KIBANA_API_KEY")
    console_secret: SecretStr | None = Field(None, alias="LANTIAN_CONSOLE_SECRET",
                                             description="default: a random key kept in the data dir")
    # Outside programs (core.browser, index.es_server).
    chromium: Path | None = Field(None, alias="LANTIAN_CHROMIUM", description="default: Debian's Chromium on PATH")
    java: Path | None = Field(None, alias="LANTIAN_JAVA", description="default: $JAVA_HOME/bin/java, else PATH")
    java_home: Path | None = Field(None, alias="JAVA_HOME")

    @field_validator("es_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL (empty: the embedded store)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r} must start with redis://, rediss:// or unix://")
        return value


VARIABLES: tuple[str, ...] = tuple(str(field.alias) for field in Environment.model_fields.values())
"""The name of every variable lantian reads."""


def variable(field: str) -> str:
    """The name of the variable behind a field of `Environment` (for messages)."""
    return str(Environment.model_fields[field].alias)


def login_name() -> str:
    """Who runs this command, by the system's login name ("lantian" where it has none): the default `by` of a CLI
    command that records who made a change."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "lantian"


def environment() -> Environment:
    """The environment as it is now, validated; a wrong value is a `ConfigError` naming the variable."""
    return _environment(tuple(map(os.environ.get, VARIABLES)))


@lru_cache(maxsize=16)
def _environment(values: tuple[str | None, ...]) -> Environment:
    given: dict[str, Any] = {
        name: value for name, value in zip(VARIABLES, values)
        if value is not None and (value or name in _EMPTY_IS_A_VALUE)
    }
    try:
        return Environment.model_validate(given)
    except ValidationError as exc:
        raise ConfigError(f"environment: {describe(exc)}") from None
