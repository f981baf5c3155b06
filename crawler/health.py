"""Platform health after a sweep: a monitor that silently stops finding listings is blind, so a platform of which
the sweep read no page at all (unreachable, refusing requests, or moved from its base_url), whose searches found no
listing at all, or whose listing pages its detail selectors no longer read (selector drift, the most common way a
monitor goes blind), is reported as unhealthy at the end of the crawl and in the console.

The last result per platform is kept in `<data dir>/crawl/platform-health.json`, so a later crawl can say that its
selectors used to match and when, and the console can show the state without a crawl running.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.beijing import stamp_zh
from core.files import write_atomic
from core.settings import data_dir

# Detail selectors are drifting when at least this share of the listing pages read gives no title or text …
DRIFT_SHARE = 0.5
# … out of at least this many pages (fewer say too little).
DRIFT_MIN_PAGES = 3


@dataclass
class PlatformHealth:
    """One platform's health after one sweep, with the counts it was judged on; `problems` in Chinese."""

    platform: str
    checked_at: str
    result_pages: int = 0
    cards: int = 0
    details: int = 0
    selector_misses: int = 0
    unanswered: int = 0
    problems: list[str] = field(default_factory=list)
    last_healthy_at: str | None = None

    @property
    def healthy(self) -> bool:
        return not self.problems


def health_path() -> Path:
    return data_dir() / "crawl" / "platform-health.json"


def load_health(path: Path | None = None) -> dict[str, PlatformHealth]:
    """The last recorded health per platform (empty before the first sweep; an unreadable file counts as none)."""
    path = path or health_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: PlatformHealth(**{k: v for k, v in entry.items() if k != "healthy"})
                for name, entry in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def assess(platform: str, counts: dict[str, int], previous: PlatformHealth | None,
           now: str | None = None) -> PlatformHealth:
    """Judge one platform from a sweep's counters (`result_pages`, `cards`, `details`, `selector_misses`)."""
    now = now or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    health = PlatformHealth(platform, now, result_pages=int(counts.get("result_pages", 0)),
                            cards=int(counts.get("cards", 0)), details=int(counts.get("details", 0)),
                            selector_misses=int(counts.get("selector_misses", 0)),
                            unanswered=int(counts.get("unanswered", 0)))
    if not (health.result_pages or health.cards or health.details) and health.unanswered:
        health.problems.append(f"本次一个页面都没读到：平台地址没有应答（{health.unanswered} 次连接被拒绝、超时"
                               "或域名无法解析）。本机的模拟平台要先运行 `lantian simulator start`；真实平台请核对 "
                               f"config/platforms/{platform}.yaml 的 base_url 和网络")
    elif not (health.result_pages or health.cards or health.details):
        health.problems.append(f"本次一个页面都没读到（搜索结果页和详情页都是 0）：平台可能无法访问、拒绝了请求，或 "
                               f"config/platforms/{platform}.yaml 的 base_url 已变，请看抓取日志中的错误")
    if health.result_pages and not health.cards:
        health.problems.append(f"搜索结果页 {health.result_pages} 页中一条信息都没找到：列表选择器可能已失配，"
                               "或关键词在该平台没有结果")
    if health.details >= DRIFT_MIN_PAGES and health.selector_misses >= DRIFT_SHARE * health.details:
        before = ""
        if previous is not None and previous.last_healthy_at:
            before = f"（上次正常读取于 {stamp_zh(previous.last_healthy_at, previous.last_healthy_at)}）"
        health.problems.append(f"选择器失配：{health.details} 个详情页中 {health.selector_misses} 个读不到标题或正文"
                               f"{before}，请检查 config/platforms/{platform}.yaml 的 detail 选择器")
    if health.healthy:
        health.last_healthy_at = now
    elif previous is not None:
        health.last_healthy_at = previous.last_healthy_at
    return health


def record(results: dict[str, PlatformHealth], path: Path | None = None) -> None:
    """Keep this sweep's results with the other platforms' last ones (written whole, then renamed)."""
    path = path or health_path()
    merged = {**load_health(path), **results}
    write_atomic(path, json.dumps({name: {**asdict(h), "healthy": h.healthy} for name, h in merged.items()},
                                  ensure_ascii=False, indent=2).encode("utf-8"))


def check_sweep(counts: dict[str, dict[str, int]], path: Path | None = None) -> dict[str, PlatformHealth]:
    """Assess every swept platform against its last record, record the results and return them."""
    previous = load_health(path)
    results = {name: assess(name, values, previous.get(name)) for name, values in counts.items()}
    record(results, path)
    return results


def as_dict(results: dict[str, PlatformHealth]) -> dict[str, Any]:
    return {name: {**asdict(h), "healthy": h.healthy} for name, h in results.items()}
