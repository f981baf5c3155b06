"""Canonical URLs: the same listing reached through tracking links, redirects or re-ordered queries is one URL."""
from __future__ import annotations

import re
from collections.abc import Iterable

from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING_PARAMS: tuple[str, ...] = (
    "spm", "scm", "from", "share_from", "share_token", "shareid", "share_source", "xsec_token", "xsec_source",
    "ref", "ref_src", "referer", "source", "src", "tracking", "trackid", "track_id", "sessionid", "sid_t",
    "fbclid", "gclid", "msclkid", "yclid", "_t", "timestamp", "ali_trackid", "pvid", "clickid", "bd_vid",
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")


def _tracking(name: str, extra: Iterable[str]) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered in extra or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str, strip_params: Iterable[str] = ()) -> str:
    """Drop tracking parameters and the fragment, sort the query, normalise percent-encoding (w3lib)."""
    extra = {name.lower() for name in strip_params}
    keep = [name for name in _query_names(url) if not _tracking(name, extra)]
    cleaned = url_query_cleaner(url, parameterlist=keep, remove=False, unique=False, keep_fragments=False)
    return canonicalize_url(cleaned, keep_fragments=False)


_QUERY_NAME = re.compile(r"(?:^|&)([^=&]+)")


def _query_names(url: str) -> list[str]:
    query = url.partition("?")[2].partition("#")[0]
    return _QUERY_NAME.findall(query)
