"""The crawl's DNS resolver (`DNS_RESOLVER`): Scrapy connects to no address but the ones this resolver gives it, so
here is where a host's answer is screened.

A seller's host name that DNS answers with 127.0.0.1, 169.254.169.254 or an office address (or that answers with a
public address first and an internal one the next time: DNS rebinding) passes the guard that reads URLs as written
(`crawler.middlewares.InternalAddressGuard`). Its internal answers are dropped here
(`crawler.addresses.refused_answer`), at the look-up whose answer the connection uses, so Scrapy sends nothing to
them; the request then fails as a name without addresses, and `InternalAnswerGuard` refuses it by name (not
retried, counted, logged). The platforms that staff configured under a name on an internal network keep their own
origins.

Answers are cached per name for the process, as Scrapy's own resolver caches them (`DNSCACHE_ENABLED`,
`DNSCACHE_SIZE`): a crawl connects to the address it looked up once, and each use is screened again.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.utils.datatypes import LocalCache
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer, provider

from crawler.addresses import Origin, own_origins, refused_answer

REFUSALS_KEPT = 10_000
"""How many refused names and ports the resolver remembers for `refused` (the request asks right after)."""


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        raise NotImplementedError


@implementer(IHostnameResolver)
class PublicAnswerResolver:
    """Twisted's getaddrinfo resolver, caching, without the internal answers of public names (module docstring).
    Built by Scrapy's CrawlerProcess with itself as `crawler`: the platforms of its running crawlers' spiders are
    the origins an internal answer may reach."""

    def __init__(self, reactor: Any, process: Any, cache_size: int) -> None:
        self.reactor = reactor
        self.process = process
        self.resolver: Any = reactor.nameResolver  # Twisted's getaddrinfo resolver
        self.cache: LocalCache[str, list[IPv4Address | IPv6Address]] = LocalCache(cache_size)
        self.cache_size = cache_size
        self.refusals: LocalCache[Origin, list[str]] = LocalCache(REFUSALS_KEPT)

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicAnswerResolver:
        settings = crawler.settings
        return cls(reactor, crawler, settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0)

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def own(self) -> frozenset[Origin]:
        """The origins of every platform of the process's running crawlers."""
        spiders = [crawler.spider for crawler in getattr(self.process, "crawlers", ())]
        return own_origins(url for spider in spiders for platform in (getattr(spider, "platforms", None) or {}).values()
                           for url in platform.own_urls())

    def refused(self, host: str, port: int | None) -> list[str]:
        """The internal addresses last dropped from the answer for `host` at `port` (empty when none were)."""
        return self.refusals.get((host.lower().rstrip("."), port), [])

    def resolveHostName(self, resolutionReceiver: Any, hostName: str, portNumber: int = 0,
                        addressTypes: Sequence[type] | None = None, transportSemantics: str = "TCP") -> Any:
        receiver = _Screened(self, resolutionReceiver, hostName, portNumber)
        cached = self.cache.get(hostName)
        if cached is None:
            return self.resolver.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)
        resolution = _Resolution(hostName)
        receiver.resolutionBegan(resolution)
        for address in cached:
            receiver.addressResolved(address)
        receiver.resolutionComplete()
        return resolution

    def lookup(self, host: str, port: int) -> Deferred[list[str]]:
        """The addresses `host` answers that the crawl may reach at `port` (screened and cached as a connection's
        are; `refused` then names the ones dropped): for a request handed to a proxy, which resolves the name
        itself (`crawler.proxies`)."""
        found: Deferred[list[str]] = Deferred()
        self.resolveHostName(_Collected(found), host, port)
        return found

    def screened(self, host: str, port: int,
                 answers: list[IPv4Address | IPv6Address]) -> list[IPv4Address | IPv6Address]:
        """`answers` without the addresses `host` may not reach at `port`, whose refusal is remembered; cached."""
        if self.cache_size and answers:
            self.cache[host] = answers
        own = self.own()
        kept = [address for address in answers if not refused_answer(host, port, address.host, own)]
        refused = [address.host for address in answers if address not in kept]
        if refused:
            self.refusals[(host.lower().rstrip("."), port)] = refused
        return [type(address)("TCP", address.host, port) for address in kept]


@provider(IResolutionReceiver)
class _Screened:
    """Collects an answer, then hands the receiver the addresses `PublicAnswerResolver.screened` keeps."""

    def __init__(self, resolver: PublicAnswerResolver, receiver: Any, host: str, port: int) -> None:
        self.resolver = resolver
        self.receiver = receiver
        self.host = host
        self.port = port
        self.answers: list[IPv4Address | IPv6Address] = []

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        self.receiver.resolutionBegan(resolutionInProgress)

    def addressResolved(self, address: Any) -> None:
        if isinstance(address, (IPv4Address, IPv6Address)):
            self.answers.append(address)

    def resolutionComplete(self) -> None:
        for address in self.resolver.screened(self.host, self.port, self.answers):
            self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@provider(IResolutionReceiver)
class _Collected:
    """Fires `found` with the addresses a resolution gives."""

    def __init__(self, found: Deferred[list[str]]) -> None:
        self.found = found
        self.addresses: list[str] = []

    def resolutionBegan(self, resolutionInProgress: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.found.callback(self.addresses)
