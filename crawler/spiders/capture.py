"""The capture spider: single URLs a staff member or a complainant gave, fetched on the sweep's own path (download
slot and robots rule of the URL's platform, retries, WARC record, raw body, screenshot, evidence log), read with
the platform's selectors or, for pages no config describes, by main-content extraction, detected and stored as
leads whether or not a label fires. Every URL ends with one `CaptureOutcome`, logged as it ends."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from core.lead import Capture, screenshot_shows_zh
from crawler.addresses import OWN_URL
from crawler.capture import AttemptLog, CaptureOutcome, rendered, unconfigured_platform
from crawler.extract import main_text
from crawler.items import ListingItem
from crawler.platforms import PlatformConfig
from crawler.removal import REMOVED_STATUSES
from crawler.spiders.base import PlatformSpider, failed_request

CAPTURE_URL = "lantian_capture_url"
"""Request meta: the URL as it was given (the key of its outcome through redirects and retries)."""
ERROR_STATUSES = [status for status in range(400, 600) if status not in REMOVED_STATUSES]


class CaptureSpider(PlatformSpider):
    """Arguments: `urls` (a list, or one URL), `by` (who captures), `note`, `complaint` (its number, when the URLs
    come from a complaint), `browser` (render in Chromium even where the platform does not), and the base
    spider's `endpoints` and `config_dir`."""

    name = "capture"
    kind = "capture"  # no configured platform has this kind: the platforms are those of the URLs

    def __init__(self, urls: list[str] | str, by: str, note: str = "", complaint: int | None = None,
                 browser: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets: list[tuple[str, PlatformConfig, bool]] = []
        # A complaint's links are written by whoever complains: only staff's own may reach an internal address
        # that no platform config names (`crawler.addresses`).
        self.trusted = complaint is None
        for url in [urls] if isinstance(urls, str) else list(urls):
            platform = self.catalog.platform_for(url)
            configured = platform is not None
            platform = platform or unconfigured_platform(url, own=self.trusted)
            if browser:
                platform = rendered(platform)
            self.platforms[platform.name] = platform
            self.targets.append((url, platform, configured))
        self.allowed_domains = []  # a capture follows redirects wherever the page went
        self.capture: Capture = {"at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "by": by, "note": note,
                                 "complaint": complaint}
        self.source = "complaint" if complaint is not None else "capture"
        self.outcomes: dict[str, CaptureOutcome] = {}
        self.log_file = AttemptLog()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CaptureSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_lost, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_lost, signal=signals.item_error)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.open_seen()
        for url, platform, _ in self.targets:
            yield self.page_request(
                platform, url, self.parse_detail,
                render="detail" if platform.browser.render_detail_pages else None,
                meta={"evidence": True, "handle_httpstatus_list": [*REMOVED_STATUSES, *ERROR_STATUSES],
                      "found_on": "capture", CAPTURE_URL: url, **({OWN_URL: url} if self.trusted else {})},
                dont_filter=True,
            )

    def parse_detail(self, response: Response) -> Iterator[ListingItem]:
        url = response.meta[CAPTURE_URL]
        if response.status in ERROR_STATUSES:
            self.record(url, "http_error", f"网站返回 HTTP {response.status}，未取得网页内容",
                        http_status=response.status)
            return
        for output in super().parse_detail(response):
            if not isinstance(output, ListingItem):
                continue  # a capture takes the one page it was given, not the seller's other listings
            if output.get("status") == "removed":
                self.record(url, "gone", f"网页已不存在或已下架（HTTP {response.status}）", http_status=response.status)
                yield output  # a lead of this listing, if there is one, is marked removed
                continue
            # The platform's selectors found no listing on this page (a page that is not text is a removed one).
            if not output.get("text") and isinstance(response, TextResponse):
                output["text"] = main_text(response.selector, response.url)
            output["found_on"] = "capture"
            output["source"] = self.source
            output["capture"] = dict(self.capture)
            yield output

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        again = super().on_error(failure)
        if again:
            return again
        url = failed_request(failure).meta.get(CAPTURE_URL)
        if url is None:
            return []
        reason = failure.getErrorMessage()
        if failure.check(IgnoreRequest) and "robots.txt" in reason:
            self.record(url, "robots", "该网站的 robots.txt 不允许抓取此网址，未取证")
        elif failure.check(IgnoreRequest) and "internal address" in reason:
            self.record(url, "internal", "该网址（或其跳转目标）指向本机或内部网络地址，既非已配置的平台，也非工作人员"
                                         "所给的网址，未访问，未取证")
        elif failure.check(IgnoreRequest) and "non-HTML" in reason:
            self.record(url, "non_html", f"该网址不是网页，未取证（{reason}）")
        elif failure.check(CancelledError):
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            self.record(url, "oversized", f"网页超过 {limit / 2**20:g} MB 的取证上限，未取证")
        else:
            self.record(url, "unreachable", f"无法访问该网址（{reason}），未取得网页")
        return []

    def item_stored(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        url = response.meta.get(CAPTURE_URL) if response is not None else None
        if url is None or not item.get("lead_id") or item.get("status") == "removed":
            return
        labels = list(item.get("labels") or [])
        found = "、".join(labels) if labels else "未命中违规类型，判断结果已留存"
        shot = "" if item.get("screenshot_sha256") else "；未能截图，原因见抓取日志"
        shows = item.get("screenshot_shows")
        if shows and shows["missing"]:
            shot += f"；{screenshot_shows_zh(shows)}"
        self.record(url, "captured", f"已取证，存为线索 {item['lead_id']}（{found}）{shot}", lead_id=item["lead_id"],
                    labels=labels, risk=item.get("risk"), http_status=item.get("http_status"),
                    raw_sha256=item.get("raw_sha256"), screenshot_sha256=item.get("screenshot_sha256"))

    def item_lost(self, item: Any, response: Response, spider: scrapy.Spider,
                  exception: BaseException | None = None, failure: Failure | None = None) -> None:
        """A dropped item (`exception`) or one a pipeline failed on (`failure`)."""
        url = response.meta.get(CAPTURE_URL) if response is not None else None
        if url is not None:
            reason = exception if exception is not None else failure.getErrorMessage() if failure else "?"
            self.record(url, "failed", f"网页已取得，但未能存为线索（{reason}）")

    def record(self, url: str, outcome: str, message: str, **details: Any) -> None:
        """The outcome of one URL, logged at once; the first outcome of a URL stands."""
        if url in self.outcomes:
            return
        platform, configured = next(((p.name, c) for u, p, c in self.targets if u == url), ("", False))
        result = CaptureOutcome(url=url, outcome=outcome, message=message, **self.capture, platform=platform,
                                configured=configured, **details)
        self.outcomes[url] = result
        self.log_file.append(result)

    def closed(self, reason: str) -> None:
        for url, _, _ in self.targets:
            self.record(url, "failed", f"抓取结束时仍无结果（{reason}）")
        super().closed(reason)
