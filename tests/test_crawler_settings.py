"""The crawler's settings the Scrapy way: every `LANTIAN_*` and `EVIDENCE_*` setting has its default in
crawler/settings.py and is read without a fallback of its own, and importing the settings creates nothing."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from scrapy.settings import Settings

from crawler import settings as defaults
from crawler.data_paths import DATA_PATHS, DataPaths
from crawler.run import crawler_settings

ROOT = Path(__file__).resolve().parent.parent
OURS = ("LANTIAN_", "EVIDENCE_")
READERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict"}


def settings_reads() -> list[tuple[str, str, int]]:
    """(file, setting, number of arguments) of every `<...>.get*("LANTIAN_…" / "EVIDENCE_…", ...)` and
    `settings["…"]` in the crawler's code (environment variables apart)."""
    reads = []
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "crawler":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS
                    and ast.unparse(node.func.value) != "os.environ"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).startswith(OURS)):
                reads.append((str(path.relative_to(ROOT)), node.args[0].value, len(node.args) + len(node.keywords)))
            elif (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                  and str(node.slice.value).startswith(OURS)):
                reads.append((str(path.relative_to(ROOT)), node.slice.value, 1))
    return reads


def test_every_setting_the_crawler_reads_has_its_default_in_the_settings_module() -> None:
    reads = settings_reads()
    assert len({name for _, name, _ in reads}) >= 15, "the walk finds the settings the crawler reads"
    missing = sorted({f"{file}: {name}" for file, name, _ in reads if not hasattr(defaults, name)})
    assert not missing, "settings read without a default in crawler/settings.py:\n" + "\n".join(missing)


def test_no_setting_is_read_with_a_fallback_of_its_own() -> None:
    inline = sorted(f"{file}: {name}" for file, name, arguments in settings_reads() if arguments > 1)
    assert not inline, "inline defaults (put them in crawler/settings.py):\n" + "\n".join(inline)


def test_importing_the_settings_creates_no_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-c", "import crawler.settings"], check=True, cwd=ROOT,
                   env={"LANTIAN_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"})
    assert not data.exists()


def test_paths_under_the_data_dir_are_filled_in_when_a_crawl_starts(tmp_path: Path, monkeypatch) -> None:
    """By the add-on every crawl runs (`scrapy crawl` too), before any component reads them; a given path stays."""
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("EVIDENCE_DIR", str(tmp_path / "elsewhere"), priority="cmdline")
    assert "crawler.data_paths.DataPaths" in settings.getdict("ADDONS")
    DataPaths().update_settings(settings)
    assert settings["EVIDENCE_DIR"] == str(tmp_path / "elsewhere")
    for name in set(DATA_PATHS) - {"EVIDENCE_DIR"}:
        assert Path(settings[name]).is_relative_to(tmp_path), name
    assert crawler_settings()["LANTIAN_SEEN_DB"] == settings["LANTIAN_SEEN_DB"]


def test_the_images_store_exists_before_scrapy_opens_it(tmp_path: Path, monkeypatch) -> None:
    """Scrapy's files store checks, then creates, its folder: two workers starting together on one data dir raced."""
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    DataPaths().update_settings(settings)
    assert Path(settings["FILES_STORE"]).is_dir()


LOGGING_PROBE = """
import logging, sys
from scrapy import Spider
from crawler.run import crawler_process, crawler_settings
process = crawler_process(crawler_settings({"LOG_LEVEL": sys.argv[1], "ITEM_PIPELINES": {}}))
process.crawl(type("Probe", (Spider,), {"name": "probe", "start_urls": []}))
print(logging.getLogger("scrapy-playwright").getEffectiveLevel() <= logging.DEBUG)
"""


def test_a_crawl_does_no_work_for_log_messages_below_its_log_level(tmp_path: Path, monkeypatch) -> None:
    """Below LOG_LEVEL nothing is logged, so nothing is prepared for it: scrapy-playwright attaches its request and
    response loggers (a round trip to the browser's driver per request and response of every rendered page) only
    when its logger is enabled for DEBUG, as it is in a crawl at LOG_LEVEL=DEBUG. It is asked once a crawler has
    started (Scrapy resets the root logger's level then), as scrapy-playwright asks when it opens a tab."""
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))

    def playwright_debug_logging(level: str) -> str:
        done = subprocess.run([sys.executable, "-c", LOGGING_PROBE, level], cwd=ROOT, capture_output=True, text=True,
                              check=True, timeout=120)
        return done.stdout.strip()

    assert playwright_debug_logging("INFO") == "False"
    assert playwright_debug_logging("DEBUG") == "True"


def test_a_response_handles_a_few_items_at_once_and_still_fills_a_detector_batch() -> None:
    """Scrapy makes CONCURRENT_ITEMS cooperative tasks for every response's output, however little it yields: its
    default, 100, cost the whole job ~10% of the crawl's main thread (bench/README.md); a callback yielding many
    listings must still fill a batch of the detector (LANTIAN_DETECT_BATCH)."""
    settings = Settings()
    settings.setmodule(defaults)
    assert settings.getint("LANTIAN_DETECT_BATCH") <= settings.getint("CONCURRENT_ITEMS") < 100
