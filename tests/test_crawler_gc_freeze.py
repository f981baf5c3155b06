"""A crawl that owns its process (`lantian crawl`, LANTIAN_GC_FREEZE) takes what the process holds when the engine
starts out of the garbage collector's walks; any other crawl (tests, a program that runs a sweep among other
things) leaves its heap alone."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crawler.run import crawler_settings

ROOT = Path(__file__).resolve().parent.parent
# A crawl of nothing with the crawler's own settings (extensions included), in a process of its own: how many
# objects the garbage collector holds frozen when the crawl is over.
CRAWL = """
import gc, json, sys
import scrapy
from scrapy.crawler import CrawlerProcess
from crawler.run import crawler_settings

counts = {}

class Nothing(scrapy.Spider):
    name = "nothing"
    start_urls = []

process = CrawlerProcess(crawler_settings({"LANTIAN_GC_FREEZE": sys.argv[1] == "on", "ITEM_PIPELINES": {},
                                           "LOG_ENABLED": False}))
crawler = process.create_crawler(Nothing)
process.crawl(crawler)
process.start()
counts["after"] = gc.get_freeze_count()
print(json.dumps(counts))
"""


def frozen(setting: str, tmp_path: Path) -> dict[str, int]:
    env = {**os.environ, "LANTIAN_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CRAWL, setting], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_the_setting_what_the_process_holds_when_the_engine_starts_is_frozen(tmp_path: Path) -> None:
    counts = frozen("on", tmp_path)
    assert counts["after"] > 100_000  # Scrapy, Twisted and the crawler's modules at least


def test_without_it_nothing_is_frozen(tmp_path: Path) -> None:
    assert crawler_settings().getbool("LANTIAN_GC_FREEZE") is False
    assert frozen("off", tmp_path)["after"] == 0
