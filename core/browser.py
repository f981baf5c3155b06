"""How lantian launches Debian's Chromium through Playwright.

Playwright's own browser downloads do not work on closed networks, so every browser lantian starts is the system
Chromium, with the flags that stop it from calling home (without them its connections are refused many at a time
and start-up stalls on DNS look-ups).
"""
from __future__ import annotations

import shutil
from typing import Any

from core.environment import environment

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--mute-audio",
    # window.open and target=_blank open nothing: a crawled page's script opening popups in a loop opened a tab per
    # popup, each asking the platform for a page (129 requests and 49 tabs in one screenshot of the simulator's).
    "--block-new-web-contents",
    # A page's script may open WebRTC connections, whose UDP (STUN to any address and port, 127.0.0.1 or
    # 169.254.169.254 among them) bypasses the crawl's screening proxy, which carries TCP only: WebRTC sends no UDP
    # that is not proxied (a page's STUN requests to a UDP port of this machine: 4 arrived, none with the switch).
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)


class BrowserNotFound(RuntimeError):
    """Debian's Chromium is not installed."""


HEADLESS_SHELL = "chromium-headless-shell"
"""Debian's package (and executable) of Chromium's old headless shell: the same Blink drawing the same pages (only
glyph edges are smoothed slightly differently) without the full browser's machinery, which a headless crawl does not
use. Measured on the 2-core machine, interleaved with the full browser on the same 60 simulator listings
(`full_page_png` in a 1280×3000 tab): 139 against 203 ms of Chromium and driver CPU per evidence screenshot; the
whole job's Chromium CPU fell by ~40% (README, "Quality and speed")."""


def chromium_path(headless: bool = False) -> str:
    """The Chromium executable: `LANTIAN_CHROMIUM` if set, else for a headless browser Debian's
    `chromium-headless-shell` when it is installed, else Debian's `chromium` on PATH."""
    configured = environment().chromium
    shell = shutil.which(HEADLESS_SHELL) if headless else None
    path = (str(configured) if configured else None) or shell or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        raise BrowserNotFound(
            "Chromium not found: install Debian's package (`sudo apt-get install chromium`, done by `make demo`) "
            "or set LANTIAN_CHROMIUM to the executable."
        )
    return path


def launch_options(headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch()` (and scrapy-playwright's PLAYWRIGHT_LAUNCH_OPTIONS)."""
    return {"executable_path": chromium_path(headless), "headless": headless, "args": list(CHROMIUM_ARGS)}
