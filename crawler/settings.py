"""Scrapy settings of lantian's crawler (`scrapy.cfg` points here; `lantian crawl` starts from them too).

Per-platform politeness (concurrency, delay, robots) comes from `config/platforms/*.yaml` and is applied by the
spiders as download slots, so this file holds only what is the same for every platform.

Every `LANTIAN_*` and `EVIDENCE_*` setting has its default here and only here (components read them without a
fallback of their own). Paths under the data dir are `None` here: the data dir is known only when a crawl starts
(`LANTIAN_DATA_DIR`), so the `crawler.data_paths.DataPaths` add-on fills them in then, and importing this module
creates nothing.
"""
from __future__ import annotations

BOT_NAME = "lantian"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "lantian/0.1 (+IP-agency advertising supervision; Shanghai IP Office Blue Sky)"
# Scrapy's RobotsTxtMiddleware (Protego) for every platform; `politeness.obey_robots: false` exempts one.
ROBOTSTXT_OBEY = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

CONCURRENT_REQUESTS = 32
# Items (and requests) of one response handled at once. Scrapy's default, 100, made 100 Twisted cooperative tasks for
# every response however few it yields (one listing item): ~1 ms of the crawl's main thread a response and ~10% of
# its samples in the whole job (bench/README.md). A callback yields one item or a page's links; 16 keeps a batch of
# LANTIAN_DETECT_BATCH full should one yield many items.
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_EXCEPTIONS = [
    "twisted.internet.defer.TimeoutError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.DNSLookupError",
    "twisted.internet.error.ConnectionRefusedError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    "twisted.internet.error.TCPTimedOutError",
    "twisted.web.client.ResponseFailed",
    IOError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
    "playwright._impl._errors.Error",
]
LANTIAN_RETRY_BACKOFF_BASE = 0.5
LANTIAN_RETRY_BACKOFF_MAX = 30.0
LANTIAN_RETRY_AFTER_MAX = 120.0
# Answers with Retry-After (rate limits, maintenance) are asked again this many times, apart from RETRY_TIMES.
LANTIAN_RETRY_AFTER_TIMES = 8

REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 10
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
LANTIAN_PAGE_CUT_SIZE = 2 * 1024 * 1024
# Cookies a site may set and have sent back (crawler.middlewares.CookieBudget): RFC 6265 §6.1's least.
LANTIAN_COOKIE_MAX_BYTES = 4096
LANTIAN_COOKIES_PER_DOMAIN = 50
LANTIAN_ROBOTS_MAX_SIZE = 500 * 1024  # a robots.txt is read this far (RFC 9309 §2.5), to the end of a line

# process_request runs from the lowest number up: internal addresses are refused (50) before robots.txt (100) is
# asked for; the proxy (750) is the configured one only, and gets a name once its answers were screened.
# process_response and process_exception run from the highest number down: the recycler closes browser pages first,
# a name refused for its internal answer (900) is not retried (550), redirects (600) and decompression (590) come
# before evidence (580, the raw final body), then cutting, decoding and retries.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.InternalAddressGuard": 50,
    "crawler.middlewares.InternalAnswerGuard": 900,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    "crawler.proxies.ConfiguredProxy": 750,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.PoliteRetryMiddleware": 550,
    "crawler.middlewares.EncodingMiddleware": 560,
    "crawler.middlewares.ResponseGuardMiddleware": 570,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.CookieBudget": 700,
    "crawler.evidence.middleware.EvidenceMiddleware": 580,
    "crawler.middlewares.BrowserContextRecycler": 950,
}

ITEM_PIPELINES = {
    "crawler.pipelines.IncrementalPipeline": 100,
    "crawler.pipelines.ListingImagesPipeline": 200,
    "crawler.image_text.ImageTextPipeline": 250,
    "crawler.pipelines.DetectionPipeline": 300,
    "crawler.evidence.pipeline.ScreenshotPipeline": 400,
    "crawler.pipelines.LeadSinkPipeline": 900,
}

ADDONS = {"crawler.data_paths.DataPaths": 0}

EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.middlewares.PlatformAutoThrottle": 0,
    "crawler.progress.PlatformStats": 500,
    "crawler.thread_cpu.ThreadCpu": 600,
    "crawler.gc_freeze.FreezeAtStart": 700,
}
LANTIAN_THREAD_CPU = False  # benchmarks: CPU seconds per thread of the crawl's process in the stats
LANTIAN_GC_FREEZE = False  # a process that is the crawl (`lantian crawl`): freeze what it holds once the engine starts

# Listing images are kept byte for byte (FilesPipeline, not re-encoded) so OCR reads the original pixels.
FILES_STORE = None  # <data dir>/images
FILES_URLS_FIELD = "image_urls"
FILES_RESULT_FIELD = "image_files"
MEDIA_ALLOW_REDIRECTS = True
# Links read from one page (result cards excepted): the first ones are kept, the rest counted and skipped.
LANTIAN_MAX_PAGE_LINKS = 1000
# What an agency site's robots.txt and sitemaps may make its crawl ask for, per host and port
# (crawler.spiders.site): sitemap files (the simulator serves one per agency under one origin, ~30 in a world of
# 4,000 listings), and pages listed in them (a sitemap lists up to 50,000; an agency site has a few dozen pages).
LANTIAN_MAX_SITEMAPS = 1000
LANTIAN_MAX_SITEMAP_URLS = 50_000
LANTIAN_MAX_IMAGES = 4  # per listing, first ones first (image-only claims are usually in the first image)
# Their text is read once per picture (cached across crawls) in worker processes at a lower CPU priority.
LANTIAN_OCR_WORKERS = 1
LANTIAN_OCR_NICENESS = 5
LANTIAN_OCR_CACHE = None  # <data dir>/ocr/image-text.sqlite3, kept across crawls
# The detector reads the listings that reach it within LANTIAN_DETECT_WAIT seconds of each other as one batch of at
# most LANTIAN_DETECT_BATCH (crawler.pipelines.DetectionPipeline): a batch of 8 costs ~0.5 ms a listing, one alone ~1.7.
LANTIAN_DETECT_BATCH = 16
LANTIAN_DETECT_WAIT = 0.25

# What the crawler has seen (listing, content hash, last fetch), to fetch only what is new or changed.
LANTIAN_SEEN_DB = None  # <data dir>/crawl/seen.sqlite3

# Evidence: every response's raw bytes in rotating WARC files with a hash-chained log (crawler/evidence).
EVIDENCE_ENABLED = True
EVIDENCE_DIR = None  # <data dir>/evidence
EVIDENCE_WARC_MAX_BYTES = 1 << 30  # 1 GiB a WARC file, the size the WARC standard suggests
EVIDENCE_SCREENSHOTS = True  # flagged listings are screenshotted through the engine
EVIDENCE_BROWSER_SCREENSHOTS = True  # evidence pages fetched through scrapy-playwright are screenshotted
EVIDENCE_SCREENSHOT_TIMEOUT = 30.0  # seconds an evidence screenshot may take (crawler/evidence/screenshot.py)

# Distributed crawl (crawler/distributed): the sweep and worker ids are given per run by `lantian cluster crawl`.
LANTIAN_SWEEP_ID = None
LANTIAN_WORKER_ID = None  # None: <host>-<pid>
LANTIAN_SEED_START = False  # this worker pushes the sweep's start requests
LANTIAN_HEARTBEAT_SECONDS = 5.0
LANTIAN_STALE_AFTER_SECONDS = 30.0  # a worker silent this long is gone: its requests go back to the queue

# Scrapy connects only to addresses this resolver gives it: a public name's internal answers are dropped
# (crawler.resolver; DNS rebinding). It caches answers for the process as Scrapy's own does (DNSCACHE_*).
DNS_RESOLVER = "crawler.resolver.PublicAnswerResolver"

DUPEFILTER_CLASS = "scrapy.dupefilters.RFPDupeFilter"
HTTPCACHE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Browser platforms: scrapy-playwright with Debian's Chromium (installed as download handler only when a selected
# platform needs the browser; the launch options come from core.browser at crawl time).
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 8
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True
# A rendered page's own requests to internal addresses other than its platform's are aborted (crawler.addresses).
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.internal_request"
# One driver and one Chromium per process, shared by the crawlers of a run (crawler/shared_browser.py).
PLAYWRIGHT_BROWSER_PROVIDER = "crawler.shared_browser.SharedBrowserProvider"
LANTIAN_PAGES_PER_CONTEXT = 100
LANTIAN_REUSE_PAGES = True  # a browser tab is reused for the next page of its context
LANTIAN_SCREENSHOT_TABS = 2  # tabs of a slot for the screenshots of listings read without the browser (middlewares)
# The longest a rendered request may take, from its turn to the page's content (crawler.handlers): above the sum of
# the bounds inside it (navigation 30 s, waits 26 + 18 s, screenshot 30 + 10 s, load state 30 s).
LANTIAN_RENDER_DEADLINE = 180.0
