"""Capturing one URL by hand (`lantian capture`, a complaint's links): what became of each attempt, and the
append-only log that keeps every attempt, including the ones that fetched nothing."""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.settings import data_dir
from crawler.platforms import BrowserConfig, DetailSelectors, PlatformConfig

OUTCOMES: tuple[str, ...] = ("captured", "unreachable", "non_html", "oversized", "robots", "internal", "gone",
                             "http_error", "failed")
"""`captured` is stored as a lead; every other outcome is a reason nothing was (the attempt is still logged)."""


@dataclass
class CaptureOutcome:
    """One capture attempt: the URL asked for, what happened (`OUTCOMES`) in a sentence for staff, and for a
    captured page the lead it is stored as with its labels and evidence hashes."""

    url: str
    outcome: str
    message: str
    at: str
    by: str
    note: str = ""
    complaint: int | str | None = None  # at, by, note and complaint: the capture's own (`core.lead.Capture`)
    platform: str = ""
    configured: bool = False
    http_status: int | None = None
    lead_id: str | None = None
    labels: list[str] = field(default_factory=list)
    risk: float | None = None
    raw_sha256: str | None = None
    screenshot_sha256: str | None = None

    @property
    def captured(self) -> bool:
        return self.outcome == "captured"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def attempts_path() -> Path:
    return data_dir() / "capture" / "attempts.jsonl"


class AttemptLog:
    """Every capture attempt as one JSON line, appended as it ends (never rewritten)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or attempts_path()
        self._lock = threading.Lock()

    def append(self, outcome: CaptureOutcome) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(outcome.as_dict(), ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)

    def read(self) -> list[CaptureOutcome]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [CaptureOutcome(**json.loads(line)) for line in handle if line.strip()]


def unconfigured_platform(url: str, own: bool = True) -> PlatformConfig:
    """The platform a page no config describes is fetched as: filed under its host, default politeness (robots
    obeyed), no removal markers, main text by the extractor; `body` is what a rendered page waits for. With `own`
    (a URL staff gave) the URL's origin is the platform's own, which it may reach on an internal address
    (`crawler.addresses`); without (a complaint's link, written by whoever complains) it owns none."""
    template = PlatformConfig(name="unconfigured", kind="site", start_urls=[url],
                              description="未配置的网站（单页取证）", detail=DetailSelectors(removed_markers=[]),
                              browser=BrowserConfig(detail_wait_for="body"))
    return template.model_copy(update={"name": urlsplit(url).netloc.lower(), **({} if own else {"start_urls": []})})


def rendered(platform: PlatformConfig) -> PlatformConfig:
    """The platform with its pages loaded in Chromium (`--browser`)."""
    if platform.browser.enabled and platform.browser.render_detail_pages:
        return platform
    browser = platform.browser.model_copy(update={"enabled": True, "render_detail_pages": True})
    return platform.model_copy(update={"browser": browser})
