"""Chromium's CPU per evidence screenshot, by process, for variants of how the screenshot is taken, alternated.

    .venv/bin/python bench/bench_screenshot.py [--pages 40] [--rounds 4] [--variant reused --variant content ...]

The whole job (`bench_crawl.py --only full`) gives Chromium's CPU for ~200 lead screenshots mixed with everything
else; this isolates one tab's work per screenshot so that a launch flag, a viewport or a protocol call can be told
apart from noise on the loaded 2-core machine. Each variant launches its own headless Chromium (`core.browser`'s
flags), renders the simulator's ordinary market listings (its one huge and one malformed listing left out: one
2.3-MB page outweighs forty ordinary ones) as `screenshot_request` renders a lead — the page's images answered from
local files by `show_as_crawled`, the images waited for, `full_page_png` — and reports the CPU of Chromium's
browser, renderer, GPU and network processes per page (Playwright's driver and this process are not counted).
Variants run in alternating order over the rounds; the medians of their totals are printed last.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import statistics
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from playwright.async_api import Page, ViewportSize, async_playwright
from scrapy import Request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.browser import launch_options  # noqa: E402
from crawler.browser import IMAGES_SETTLED, STORED_IMAGES, show_as_crawled  # noqa: E402
from crawler.evidence.screenshot import SCREENSHOT_VIEWPORT, document_html, full_page_png  # noqa: E402
from crawler.evidence.shown import passages_shown  # noqa: E402
from simulator import SimulatorConfig, SimulatorServer  # noqa: E402

PLAYWRIGHT_FEATURES = "--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies"
"""The feature switch Playwright adds to every Chromium it launches."""


@dataclass(frozen=True)
class Variant:
    """One way of rendering and capturing the listings."""
    args: tuple[str, ...] = ()
    ignore_default_args: tuple[str, ...] = ()
    viewport: ViewportSize = field(default_factory=lambda: ViewportSize(width=SCREENSHOT_VIEWPORT["width"],
                                                                         height=SCREENSHOT_VIEWPORT["height"]))
    captures: int = 1
    tabs: int = 1
    new_tabs: bool = False
    html: str = ""
    """Read the rendered page after the capture: "playwright" with Playwright's own `page.content()` (what
    scrapy-playwright called for every response body), "devtools" as an evidence tab now reads it
    (`document_html`)."""
    shown: bool = False
    """Ask the page which of a lead's quoted passages it shows after the capture, as an evidence tab of a flagged
    static listing does (`crawler.evidence.shown.passages_shown`)."""


VARIANTS: dict[str, Variant] = {
    "reused": Variant(),
    "no-capture": Variant(captures=0),
    "two-captures": Variant(captures=2),
    "no-new-surface": Variant(args=("--enable-features=SkipListAccountsWithoutGaiaCookies",),
                              ignore_default_args=(PLAYWRIGHT_FEATURES,)),
    "tab-1400": Variant(viewport=ViewportSize(width=1280, height=1400)),
    "tab-720": Variant(viewport=ViewportSize(width=1280, height=720)),
    "eight-tabs": Variant(tabs=8),
    "new-tabs": Variant(tabs=8, new_tabs=True),
    "new-tabs-process-limit": Variant(args=("--renderer-process-limit=2",), tabs=8, new_tabs=True),
    "content": Variant(html="playwright"),
    "devtools-html": Variant(html="devtools"),
    "shown-check": Variant(html="devtools", shown=True),
}
PASSAGES = ("国家知识产权局指定代理", "内部渠道", "包授权")
"""Passages the `shown` check looks for (its cost does not depend on whether a page holds them)."""


def role(process: psutil.Process) -> str:
    """Chromium's name for the process's job: browser, renderer, gpu-process, network or another utility."""
    command = process.cmdline()
    kind = next((arg.split("=", 1)[1] for arg in command if arg.startswith("--type=")), "browser")
    if kind == "utility":
        return "network" if any("NetworkService" in arg for arg in command) else "utility"
    return kind


def chromium_cpu() -> dict[tuple[str, int], float]:
    """CPU seconds so far of every Chromium process under this one, by (role, pid)."""
    seconds: dict[tuple[str, int], float] = {}
    for process in psutil.Process().children(recursive=True):
        try:
            if "chromium" not in process.name() and "headless" not in process.name():
                continue
            times = process.cpu_times()
            seconds[(role(process), process.pid)] = times.user + times.system
        except psutil.Error:
            continue
    return seconds


async def measure(variant: Variant, urls: list[str], stored: dict[str, list[str]]) -> dict[str, float]:
    """Chromium's CPU in ms per page by role (and `total`) for rendering and capturing `urls[1:]` (the first warms
    the tabs up)."""
    options = launch_options(True)
    options["args"] = [*options["args"], *variant.args]
    if variant.ignore_default_args:
        options["ignore_default_args"] = list(variant.ignore_default_args)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**options)
        context = await browser.new_context(viewport=variant.viewport)
        tabs: list[Page] = []
        for _ in range(1 if variant.new_tabs else variant.tabs):
            tab = await context.new_page()
            await tab.goto(urls[0])
            await full_page_png(tab)
            tabs.append(tab)
        before = chromium_cpu()
        for index, url in enumerate(urls[1:]):
            if variant.new_tabs and len(tabs) < variant.tabs and index and index % 5 == 0:
                tabs.append(await context.new_page())
            tab = tabs[index % len(tabs)]
            await tab.unroute_all()
            await show_as_crawled(tab, Request(url, meta={STORED_IMAGES: stored.get(url, [])}))
            await tab.goto(url, wait_until="domcontentloaded")
            await tab.evaluate(IMAGES_SETTLED, 8000)
            for _ in range(variant.captures):
                shot = await full_page_png(tab)
                if shot.png is None:
                    raise RuntimeError(f"{url}: no screenshot ({shot.error})")
            if variant.html == "playwright":
                await type(tab).content(tab)
            elif variant.html == "devtools":
                await document_html(tab)
            if variant.shown:
                await passages_shown(tab, PASSAGES)
        after = chromium_cpu()
        await browser.close()
    pages = len(urls) - 1
    by_role: dict[str, float] = {}
    for key, seconds in after.items():
        by_role[key[0]] = by_role.get(key[0], 0.0) + seconds - before.get(key, 0.0)
    per_page = {name: round(seconds / pages * 1000, 1) for name, seconds in sorted(by_role.items())}
    return per_page | {"total": round(sum(by_role.values()) / pages * 1000, 1)}


def listings(ground_truth: Path, endpoint: str, count: int) -> list[str]:
    """The first `count` + 1 ordinary market listings of the simulator."""
    urls = []
    for line in ground_truth.read_text("utf-8").splitlines():
        truth: dict[str, Any] = json.loads(line)
        if truth["url"].startswith(endpoint) and not truth["quirk"] and truth["status"] == "active":
            urls.append(truth["url"])
    return urls[:count + 1]


def store_images(urls: list[str], directory: Path) -> dict[str, list[str]]:
    """Each listing's images downloaded under the name the crawl's files store gives them (`show_as_crawled`
    answers an image from the file whose stem is the SHA-1 of its URL)."""
    stored: dict[str, list[str]] = {}
    for url in urls:
        with urllib.request.urlopen(url) as page:
            html = page.read().decode("gbk", "replace")
        for source in re.findall(r'<img src="([^"]+)"', html):
            image = urllib.parse.urljoin(url, source)
            path = directory / f"{hashlib.sha1(image.encode('utf-8')).hexdigest()}.png"
            with urllib.request.urlopen(image) as body:
                path.write_bytes(body.read())
            stored.setdefault(url, []).append(str(path))
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="listings rendered and captured per variant and round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds; the variants' order alternates")
    parser.add_argument("--variant", choices=VARIANTS, action="append",
                        help="variants to compare (repeatable; default: reused and no-capture)")
    args = parser.parse_args()
    names = args.variant or ["reused", "no-capture"]
    with tempfile.TemporaryDirectory(prefix="lantian-shots-") as workdir, \
            SimulatorServer(SimulatorConfig(seed=7, listings=600, out_dir=Path(workdir) / "sim")) as sim:
        urls = listings(Path(sim.ground_truth_path), sim.endpoints["market"], args.pages)
        stored = store_images(urls, Path(workdir))
        totals: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                result = asyncio.run(measure(VARIANTS[name], urls, stored))
                totals[name].append(result["total"])
                print(f"round {round_ + 1} {name}: " + ", ".join(f"{k} {v}" for k, v in result.items()), flush=True)
    for name, runs in totals.items():
        print(f"{name}: median {statistics.median(runs):.1f} ms of Chromium CPU a page "
              f"({', '.join(f'{run:.1f}' for run in sorted(runs))})")


if __name__ == "__main__":
    main()
