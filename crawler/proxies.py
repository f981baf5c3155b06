"""The proxy of the crawl's Scrapy requests: the one staff configured (`crawl.proxy` of config/lantian.yaml), never
one the environment names, and only for names whose answers were screened first.

A proxy resolves the names it is handed itself, so the crawl's resolver (`crawler.resolver`), which drops the
internal answers of public names, never sees them: Scrapy's HttpProxyMiddleware took its proxy from HTTP_PROXY /
HTTPS_PROXY of whatever environment started the crawl (a shell profile, a systemd unit, a container image), and a
seller's name that answers 127.0.0.1 reached this machine's other ports through it. Here those variables are
ignored, said once at WARNING and counted (`lantian/proxy/environment_ignored`); a configured proxy (or a request's
`meta["proxy"]`) gets a request by name only after the name was looked up through the crawl's resolver and answered
no internal address the request may not reach. A name that answers an internal one, or nothing here, is refused,
counted (`lantian/<platform>/internal_urls`, `lantian/<platform>/proxy_unresolved`) and logged. What the proxy's own
look-up answers a moment later is beyond lantian (docs/security.md).
"""
from __future__ import annotations

import ipaddress
import logging
import os
from typing import NoReturn

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.statscollectors import StatsCollector
from twisted.internet.defer import Deferred

from core.settings import main_settings
from crawler.addresses import host_and_port
from crawler.resolver import PublicAnswerResolver

logger = logging.getLogger(__name__)

ENVIRONMENT_PROXIES = ("http_proxy", "https_proxy", "all_proxy")
"""The variables (in either case) that name a proxy to Scrapy, httpx and Chromium, which this crawl does not use."""


def environment_proxies() -> list[str]:
    """The names of the proxy variables set in this process's environment."""
    return sorted(name for name, value in os.environ.items() if name.lower() in ENVIRONMENT_PROXIES and value)


class ConfiguredProxy(HttpProxyMiddleware):
    """Scrapy's HttpProxyMiddleware (in its place, 750) with `crawl.proxy` instead of the environment's proxies, and
    each request by name screened before it is handed to a proxy (module docstring)."""

    def __init__(self, crawler: Crawler, proxy: str) -> None:
        super().__init__(crawler.settings.get("HTTPPROXY_AUTH_ENCODING"))
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self.proxies = {scheme: self._get_proxy(proxy, scheme) for scheme in ("http", "https")} if proxy else {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConfiguredProxy:
        ignored = environment_proxies()
        if ignored:
            crawler.stats.set_value("lantian/proxy/environment_ignored", len(ignored))  # type: ignore[union-attr]
            logger.warning("%s set in the environment and not used: a proxy resolves names itself, past the crawl's "
                           "screening of internal answers (docs/security.md); to crawl through a proxy, set "
                           "crawl.proxy in config/lantian.yaml", ", ".join(ignored))
        return cls(crawler, main_settings().crawl.proxy)

    def process_request(  # type: ignore[override]  # Scrapy awaits a Deferred a downloader middleware returns
            self, request: Request, spider: Spider | None = None) -> Deferred[None] | None:
        super().process_request(request, spider)  # type: ignore[arg-type]
        if not request.meta.get("proxy"):
            return None
        host, port = host_and_port(request.url)
        try:
            ipaddress.ip_address(host.strip("[]"))
            return None  # an address as written, judged by InternalAddressGuard; the proxy does not resolve it
        except ValueError:
            pass
        from twisted.internet import reactor

        resolver = getattr(reactor, "nameResolver", None)
        if not isinstance(resolver, PublicAnswerResolver):
            self._refuse(request, "unresolved", "the crawl's resolver (DNS_RESOLVER) is not installed to screen it")
        screened: Deferred[None] = resolver.lookup(host, port or 0).addCallback(self._judged, request, resolver)
        return screened

    def _judged(self, kept: list[str], request: Request, resolver: PublicAnswerResolver) -> None:
        """Refuse `request` unless its name answered public addresses (or a platform's own) and nothing else."""
        refused = resolver.refused(*host_and_port(request.url))
        if refused:
            self._refuse(request, "internal", f"its host resolved to the internal address {', '.join(refused)}")
        if not kept:
            self._refuse(request, "unresolved", "its host does not resolve here, so what the proxy would reach "
                                                "cannot be judged")

    def _refuse(self, request: Request, why: str, message: str) -> NoReturn:
        platform = request.meta.get("platform")
        if platform:
            counter = "internal_urls" if why == "internal" else "proxy_unresolved"
            self.stats.inc_value(f"lantian/{platform}/{counter}")
        logger.warning("Refused %s, not handed to the proxy: %s", request.url[:300], message)
        raise IgnoreRequest(f"{request.url[:300]}: {message}")
