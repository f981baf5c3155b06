"""What every platform application shares: the world, the endpoints, templates, request statistics and the
middlewares that make the sites behave like real ones (rate limits, transient faults)."""
from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from simulator.listing import Listing, canonical_path
from simulator.world import World

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
EXEMPT_PREFIXES = ("/__admin/", "/robots.txt")
IMAGE_PREFIX = "/img/"
NO_FAULT_PREFIXES = EXEMPT_PREFIXES + ("/static/", IMAGE_PREFIX)
PRIVATE_PREFIX = "/private/"
DISALLOWED_PREFIXES = (PRIVATE_PREFIX, "/__admin/")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Stats:
    """Requests the simulator answered, for tests and benchmarks (`GET /__admin/stats`), and how politely they came:
    the most a platform was asked at once and the shortest time between two requests to it (robots.txt and the
    admin API left out: a crawler asks for robots.txt before anything else, on its own)."""

    requests: Counter = field(default_factory=Counter)
    status: Counter = field(default_factory=Counter)
    paths: Counter = field(default_factory=Counter)
    disallowed_hits: int = 0
    in_flight: Counter = field(default_factory=Counter)
    max_in_flight: Counter = field(default_factory=Counter)
    last_arrival: dict[str, float] = field(default_factory=dict)
    min_interval: dict[str, float] = field(default_factory=dict)

    def arrived(self, platform: str) -> None:
        now = time.monotonic()
        last = self.last_arrival.get(platform)
        if last is not None:
            self.min_interval[platform] = min(self.min_interval.get(platform, math.inf), now - last)
        self.last_arrival[platform] = now
        self.in_flight[platform] += 1
        self.max_in_flight[platform] = max(self.max_in_flight[platform], self.in_flight[platform])

    def answered(self, platform: str) -> None:
        self.in_flight[platform] -= 1

    def as_dict(self) -> dict:
        return {
            "requests": dict(self.requests),
            "status": {str(code): n for code, n in self.status.items()},
            "disallowed_hits": self.disallowed_hits,
            "paths": dict(self.paths),
            "max_concurrency": dict(self.max_in_flight),
            "min_interval": {platform: round(seconds, 4) for platform, seconds in self.min_interval.items()},
        }


@dataclass
class Site:
    """State shared by all platform apps of one simulator instance (they run on one event loop)."""

    world: World
    seed: int
    rate_limit: float = 0.0
    fault_rate: float = 0.0
    latency: float = 0.0
    disallow_images: bool = False
    endpoints: dict[str, str] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    failed_once: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def disallowed_prefixes(self) -> tuple[str, ...]:
        """The paths robots.txt disallows: the private pages and the admin API, and the images when asked (as image
        hosts often do)."""
        return DISALLOWED_PREFIXES + ((IMAGE_PREFIX,) if self.disallow_images else ())

    def url(self, listing: Listing) -> str:
        return self.endpoints.get(listing.platform, "") + canonical_path(listing)

    def render(self, template: str, **context: object) -> str:
        return self.templates.get_template(template).render(**context)

    def should_fail(self, platform: str, path_qs: str) -> int | None:
        """500 or 503 for a page chosen by hash(seed, platform, path) on its first request, else None."""
        if self.fault_rate <= 0:
            return None
        key = f"{platform}{path_qs}"
        digest = hashlib.blake2b(f"{self.seed}/{key}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2**64
        if draw >= self.fault_rate or key in self.failed_once:
            return None
        self.failed_once.add(key)
        return 503 if digest[0] % 2 else 500


def html(text: str, status: int = 200, encoding: str = "utf-8") -> web.Response:
    """An HTML response; characters the encoding lacks become numeric character references, as on real sites."""
    body = text.encode(encoding, errors="xmlcharrefreplace")
    charset = "GBK" if encoding.lower() == "gbk" else encoding
    return web.Response(body=body, status=status, content_type="text/html", charset=charset)


class RateLimiter:
    """A token bucket per client address: `rate` requests a second, bursts of up to `rate`."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, client: str) -> int | None:
        """None when the request may go on, else the seconds to wait."""
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            return None
        self.buckets[client] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))


def realism_middleware(site: Site, platform: str) -> Callable:
    """Count every request, wait the network latency, then apply the rate limit and the transient faults of this
    platform."""
    limiter = RateLimiter(site.rate_limit) if site.rate_limit > 0 else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        site.stats.requests[platform] += 1
        site.stats.paths[f"{platform}{path}"] += 1
        if path.startswith(PRIVATE_PREFIX) or (site.disallow_images and path.startswith(IMAGE_PREFIX)):
            site.stats.disallowed_hits += 1
        exempt = path.startswith(EXEMPT_PREFIXES) or path.endswith("sitemap.xml")
        politeness_counted = not path.startswith(EXEMPT_PREFIXES)
        if politeness_counted:
            site.stats.arrived(platform)
        try:
            if site.latency and politeness_counted:
                await asyncio.sleep(site.latency)
            response = await answer(request, handler, path, exempt)
        finally:
            if politeness_counted:
                site.stats.answered(platform)
        site.stats.status[response.status] += 1
        return response

    async def answer(request: web.Request, handler: Handler, path: str, exempt: bool) -> web.StreamResponse:
        if limiter and not exempt and (wait := limiter.retry_after(request.remote or "?")) is not None:
            return web.Response(status=429, text="Too Many Requests\n", headers={"Retry-After": str(wait)})
        if not exempt and not path.startswith(NO_FAULT_PREFIXES) and (
            code := site.should_fail(platform, request.path_qs)
        ):
            headers = {"Retry-After": "1"} if code == 503 else None
            return web.Response(status=code, text=f"{code} temporary error, try again\n", headers=headers)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            site.stats.status[exc.status] += 1
            raise

    return middleware


def robots_txt(disallowed: tuple[str, ...], sitemaps: list[str] | None = None) -> str:
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in disallowed), "Allow: /", ""]
    lines += [f"Sitemap: {url}" for url in sitemaps or []]
    return "\n".join(lines) + "\n"


def page_number(request: web.Request, name: str = "page", default: int = 1) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{name} must be a number\n") from exc
    if value < (0 if default == 0 else 1):
        raise web.HTTPBadRequest(text=f"{name} out of range\n")
    return value


@dataclass(frozen=True)
class Paged:
    """One page of a list of listing numbers (a search's results, a seller's listings)."""

    page: int
    pages: int
    total: int
    numbers: list[int]


def paged(found: list[int], page: int, size: int) -> Paged:
    """Page `page` (from 1) of `found`, `size` a page; a list too short for it gives an empty page."""
    return Paged(page, max(1, math.ceil(len(found) / size)), len(found), found[(page - 1) * size: page * size])


def seller_or_404(site: Site, seller_id: str, missing: str) -> int:
    """The number of the seller (shop, user) shown at this URL, or 404 saying `missing` when the id is unknown."""
    try:
        return site.world.seller_number(seller_id)
    except KeyError as exc:
        raise web.HTTPNotFound(text=f"{missing}\n") from exc


def listing_or_404(site: Site, listing_id: str, platform: str) -> Listing:
    """The listing shown at this URL, or 404 when the id is unknown, of another platform, or removed as 404."""
    try:
        listing = site.world.by_id(listing_id)
    except KeyError as exc:
        raise web.HTTPNotFound(text="404 页面不存在\n") from exc
    if listing.platform != platform or listing.removed_as == "404":
        raise web.HTTPNotFound(text="404 页面不存在\n")
    return listing
