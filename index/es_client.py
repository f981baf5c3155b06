"""The Elasticsearch client the store uses, and what its failures mean to the store.

A server that does not answer (down, restarting, overloaded after the client's retries) is `ServerUnavailable`:
crawler writes go to the spool then, and everything else reports it with a short reason.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch, OrjsonSerializer

from core.environment import environment
from index.store import StoreError

RETRY_STATUSES = (429, 502, 503, 504)
"""Statuses the client retries (and a bulk item fails with) while the server is overloaded or restarting."""
_Result = TypeVar("_Result")


class ServerUnavailable(StoreError):
    """Elasticsearch did not answer (down, restarting, overloaded after retries)."""


class Requests(Protocol):
    """Runs one request named `what`, raising ServerUnavailable with a clear message when the server is down."""

    def __call__(self, what: str, request: Callable[[], _Result]) -> _Result: ...


def unavailable(exc: Exception) -> bool:
    """Whether `exc` says the server did not answer (as opposed to refusing the request)."""
    if isinstance(exc, (TransportConnectionError, ConnectionTimeout)):
        return True
    return isinstance(exc, ApiError) and exc.meta.status in (*RETRY_STATUSES, 500)


def reason(exc: Exception) -> str:
    """A short reason for an unreachable server (the transport's own messages nest three levels deep)."""
    if isinstance(exc, ConnectionTimeout):
        return "timed out"
    if isinstance(exc, TransportConnectionError):
        return "cannot connect"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.meta.status}"
    return str(exc)


def guarded(url: str, what: str, request: Callable[[], _Result]) -> _Result:
    """`request()`, with an unreachable server at `url` turned into ServerUnavailable naming `what` failed."""
    try:
        return request()
    except (ApiError, TransportConnectionError, ConnectionTimeout) as exc:
        if unavailable(exc):
            raise ServerUnavailable(f"Elasticsearch at {url} is unreachable ({what}: {reason(exc)})") from exc
        raise


def client_from_env(url: str, **options: Any) -> Elasticsearch:
    """A client for `url` with credentials and CA from the environment (LANTIAN_ES_USERNAME/_PASSWORD,
    LANTIAN_ES_API_KEY, LANTIAN_ES_CA_CERTS), retries on 429/5xx and timeouts, and orjson to encode bulk bodies."""
    kwargs: dict[str, Any] = {
        "retry_on_status": RETRY_STATUSES, "retry_on_timeout": True, "max_retries": 3, "request_timeout": 30,
        "serializer": OrjsonSerializer(),
    }
    variables = environment()
    if variables.es_api_key:
        kwargs["api_key"] = variables.es_api_key.get_secret_value()
    elif variables.es_username:
        kwargs["basic_auth"] = (variables.es_username, variables.es_password.get_secret_value())
    if variables.es_ca_certs:
        kwargs["ca_certs"] = str(variables.es_ca_certs)
    kwargs.update(options)
    return Elasticsearch(url, **kwargs)
