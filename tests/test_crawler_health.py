"""Nothing silent: a platform whose searches find no listing, or whose detail selectors stop reading its pages,
is reported as unhealthy at the end of `lantian crawl` and in the console."""
from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.console.app import create_app
from crawler.health import PlatformHealth, assess, load_health
from tests.test_crawler_sweep import LANTIAN, Workspace


def _crawl(work: Workspace, *args: str) -> tuple[str, dict]:
    """`lantian crawl` in the workspace: what it printed (one line) and its JSON summary."""
    summary = work.root / "summary.json"
    result = subprocess.run([str(LANTIAN), "crawl", "--endpoints", str(work.endpoints), "--summary-json",
                             str(summary), *args], env=work.env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return " ".join(result.stdout.split()), json.loads(summary.read_text("utf-8"))


def test_no_listings_and_selector_drift_are_problems_and_the_last_healthy_crawl_is_named():
    assert assess("market", {"result_pages": 4, "cards": 31, "details": 20, "selector_misses": 1}, None).healthy
    empty = assess("market", {"result_pages": 4, "cards": 0}, None)
    assert not empty.healthy and "一条信息都没找到" in empty.problems[0]
    before = PlatformHealth("market", "2026-11-01T00:00:00Z", last_healthy_at="2026-11-01T00:00:00Z")
    drift = assess("market", {"result_pages": 2, "cards": 12, "details": 12, "selector_misses": 9}, before)
    assert not drift.healthy and "12 个详情页中 9 个读不到标题或正文" in drift.problems[0]
    assert "上次正常读取于 2026-11-01 08:00:00（北京时间）" in drift.problems[0]
    assert drift.last_healthy_at == "2026-11-01T00:00:00Z"
    assert assess("market", {"details": 2, "selector_misses": 2}, None).healthy  # too few pages to tell


def test_a_platform_of_which_the_sweep_read_nothing_is_a_problem():
    unreachable = assess("market", {"result_pages": 0, "cards": 0, "details": 0}, None)
    assert not unreachable.healthy and "一个页面都没读到" in unreachable.problems[0]
    assert "config/platforms/market.yaml 的 base_url" in unreachable.problems[0]
    assert assess("agencies", {"details": 37}, None).healthy  # a site crawled without a search


@pytest.mark.slow
def test_a_platform_whose_address_does_not_answer_is_said_so_with_the_way_to_serve_the_simulator(
        simulator: Any, tmp_path: Path) -> None:
    """The crawl a new user runs after `make demo`, whose simulator stopped with it: every request to the platform's
    port refused. It said only that the platform might be unreachable or its base_url changed."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    work = Workspace(tmp_path, simulator)
    work.endpoints.write_text(json.dumps({**simulator.endpoints, "market": f"http://127.0.0.1:{closed}"}), "utf-8")
    keywords = tmp_path / "keywords.txt"
    keywords.write_text("商标注册\n", "utf-8")
    output, summary = _crawl(work, "-p", "market", "--keywords", str(keywords), "--max-pages", "1", "--quiet")
    market = summary["health"]["market"]
    assert market["unanswered"] >= 1 and summary["platforms"]["market"]["unanswered"] == market["unanswered"]
    assert f"平台地址没有应答（{market['unanswered']} 次连接被拒绝、超时或域名无法解析）" in market["problems"][0]
    assert "unhealthy market: 本次一个页面都没读到：平台地址没有应答" in output
    assert "`lantian simulator start`" in output and "config/platforms/market.yaml 的 base_url" in output


@pytest.mark.slow
def test_a_crawl_reports_platforms_gone_blind_and_the_console_shows_them(simulator: Any, tmp_path: Path, store,
                                                                        users_file):
    truth = simulator.ground_truth()
    per_keyword = {platform: Counter(k for t in truth if t["platform"] == platform and t["status"] == "active"
                                     for k in t["keywords"]) for platform in ("services", "search")}
    keyword = max(per_keyword["services"], key=lambda k: min(per_keyword["services"][k], per_keyword["search"][k]))
    keywords = tmp_path / "keywords.txt"
    keywords.write_text(keyword + "\n", "utf-8")
    work = Workspace(tmp_path, simulator)
    assert work.data == Path(store.path).parent.parent  # the console below reads this workspace's data dir
    for platform in ("services", "search"):  # one result page and its listings is enough to judge
        work.edit_platform(platform, lambda d: d.setdefault("seller", {}).update(follow=False))
    args = ("-p", "services", "-p", "search", "--keywords", str(keywords), "--max-pages", "1", "--max-images", "0",
            "--quiet")

    output, healthy = _crawl(work, *args)
    assert healthy["health"]["services"]["healthy"] and healthy["health"]["search"]["healthy"]
    assert "unhealthy" not in output

    work.edit_platform("services", lambda d: d["detail"].update(title="h1.renamed-title", text="div.renamed-desc"))
    work.edit_platform("search", lambda d: d["listing"].update(card="div.renamed-card"))
    (work.data / "crawl" / "seen.sqlite3").unlink()  # fetch the listing pages again
    output, blind = _crawl(work, *args)
    assert "unhealthy services: 选择器失配" in output and "上次正常读取于" in output
    assert "unhealthy search: 搜索结果页 1 页中一条信息都没找到" in output
    health = blind["health"]
    assert not health["services"]["healthy"] and not health["search"]["healthy"]
    assert health["services"]["last_healthy_at"] == healthy["health"]["services"]["checked_at"]
    assert set(load_health()) == {"services", "search"}

    client = TestClient(create_app(store, users_file), follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    listed = client.post("/login", data={"username": "alice", "password": "reviewer-pass-1", "csrf_token": token})
    banner = re.search(r'id="unhealthy-platforms">(.*?)</div>', listed.text, re.S).group(1)
    assert "蓝天模拟服务交易平台" in banner and "蓝天模拟搜索引擎" in banner, "platforms named as staff know them"
    page = client.get("/platforms").text
    assert page.count('class="platform-row unhealthy"') == 2 and "选择器失配" in page
