"""How lantian launches Debian's Chromium through Playwright.

Playwright's own browser downloads do not work on closed networks, so every browser lantian starts is the system
Chromium, with the flags that stop it from calling home (without them its connections are refused many at a time
and start-up stalls on DNS look-ups).
"""
from __future__ import annotations

import os
import shutil
from typing import Any

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
)


class BrowserNotFound(RuntimeError):
    """Debian's Chromium is not installed."""


def chromium_path() -> str:
    """The Chromium executable: `LANTIAN_CHROMIUM` if set, else Debian's `chromium` on PATH."""
    path = os.environ.get("LANTIAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BrowserNotFound(
            "Chromium not found: install Debian's package (`sudo apt-get install chromium`, done by `make demo`) "
            "or set LANTIAN_CHROMIUM to the executable."
        )
    return path


def launch_options(headless: bool = True) -> dict[str, Any]:
    """Keyword arguments for Playwright's `chromium.launch()` (and scrapy-playwright's PLAYWRIGHT_LAUNCH_OPTIONS)."""
    return {"executable_path": chromium_path(), "headless": headless, "args": list(CHROMIUM_ARGS)}
