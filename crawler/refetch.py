"""Fetching listings once more, as a crawl of the requested URLs with the crawl's own settings (`RefetchSpider`),
from callers that cannot start Scrapy's reactor themselves: `refetch()` runs the crawl in a process of its own
(`crawler.run.refetch_main`: JSON in on stdin, one JSON line out per URL) and returns what each URL answered."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

PER_URL_SECONDS = 120  # a URL's download timeout, its retries with their back-off, and its rendering
TIMEOUT_BASE = 300  # starting the crawl and the browser


@dataclass
class RefetchTarget:
    url: str
    platform: str | None = None


@dataclass
class Refetched:
    """What one URL answered: the final URL, its status, its decoded text and the evidence record of the fetch
    (`raw_path`, `raw_sha256`, `warc_path`, `warc_record_id`, …, with `screenshot_path` and `screenshot_sha256`
    for a rendered page), or why nothing was fetched (`error`)."""

    url: str
    final_url: str = ""
    status: int | None = None
    text: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class RefetchError(RuntimeError):
    """The refetch crawl itself failed (not one URL: those come back with their `error`)."""


def refetch(targets: list[RefetchTarget], *, render: bool = True,
            settings: dict[str, Any] | None = None) -> list[Refetched]:
    """Fetch every target once, in one crawl in a child process; one result per target, in order."""
    if not targets:
        return []
    arguments = json.dumps({"targets": [asdict(t) for t in targets], "render": render, "settings": settings or {}})
    child = [sys.executable, "-c", "from crawler.run import refetch_main; refetch_main()"]
    result = subprocess.run(child, input=arguments, capture_output=True, text=True,
                            timeout=TIMEOUT_BASE + PER_URL_SECONDS * len(targets))
    found = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            refetched = Refetched(**json.loads(line))
            found[refetched.url] = refetched
    if result.returncode != 0 or any(t.url not in found for t in targets):
        raise RefetchError(f"the refetch crawl failed ({result.returncode}): {result.stderr.strip()[-1000:]}")
    return [found[t.url] for t in targets]

