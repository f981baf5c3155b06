"""Internal addresses a seller's page must not make the crawler fetch (server-side request forgery).

A listing's page names its images, stylesheets, scripts, seller and canonical links itself. Pointed at the cloud's
metadata service (169.254.169.254), at another port of this machine (Elasticsearch, Redis, the console) or at the
office's network, a crawler that fetches what it is told reads or pokes services no one outside can reach. So a
request to an address that is not on the public internet goes out only to its own platform's origin (a platform
deployed on such an address, or the simulator on localhost); anything else internal is refused and counted.

A host is judged twice: as written, before a request is sent (`forbidden`), and by what DNS answers for it, when
the connection is made (`refused_answer`, applied by `crawler.resolver` for Scrapy and `crawler.browser_proxy` for
Chromium): a public name whose answer is 127.0.0.1, or becomes it between two look-ups (DNS rebinding), is not
connected to.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
OWN_URL = "lantian_own_url"
"""Request meta: a URL whose origin the request may reach besides its platform's configured ones: the page staff
gave (a capture, a lead's re-check) or the page a listing's images and screenshot belong to, which itself passed
(a simulator's platform on other ports than its config names)."""


def internal_host(host: str) -> bool:
    """Whether `host` (a URL's host name, without brackets) names an address outside the public internet: loopback,
    private, link-local, unspecified or reserved, written in any form a resolver reads as one (`2130706433`,
    `0x7f.1`, `0177.0.0.1` are 127.0.0.1 to `getaddrinfo`), or a name of this machine. A public host name that
    resolves to such an address is not seen here, but where it is resolved (`refused_answer`)."""
    name = host.lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global


def origin(url: str) -> tuple[str, str, int | None]:
    """The scheme, host and port of `url` (the port as written, or the scheme's own)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def forbidden(url: str, own: tuple[str, ...]) -> bool:
    """Whether `url` reaches an internal address (`internal_host`) at an origin other than one of the URLs in `own`
    (its platform's)."""
    try:
        host = urlsplit(url).hostname or ""
        return internal_host(host) and origin(url) not in {origin(allowed) for allowed in own}
    except ValueError:
        return True


Origin = tuple[str, int | None]
"""A host (lower case, without a final dot) and a port: where a connection goes, as far as a resolver knows it."""


def host_and_port(url: str) -> Origin:
    """The host and port of `url` (the port as written, or its scheme's own), as `refused_answer` compares them."""
    _, host, port = origin(url)
    return host.rstrip("."), port


def own_origins(urls: Iterable[str]) -> frozenset[Origin]:
    """The hosts and ports of `urls` (the configured platforms' own: their base and start URLs), which an internal
    answer may reach."""
    found = set()
    for url in urls:
        try:
            found.add(host_and_port(url))
        except ValueError:
            continue
    return frozenset(found)


def refused_answer(host: str, port: int | None, address: str, own: Collection[Origin]) -> bool:
    """Whether the crawler must not connect to `address`, which DNS answered for `host`: an internal address
    answered for a name that is public as written, at a host and port that no platform's config names (`own`).
    A host that is internal as written (`127.0.0.1`, `localhost`) was judged as written, with its platform, before
    the request went out (`forbidden`); a platform that staff deployed under a name on the office network keeps
    its own origins."""
    name = host.lower().rstrip(".")
    return not internal_host(name) and internal_host(address.split("%", 1)[0]) and (name, port) not in own
