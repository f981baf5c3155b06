"""Pages built to attack the crawler itself, served by the simulator's `hostile` platform (`simulator/web/hostile.py`):
one crawl meets all of them, ends, keeps every listing it could read with its raw page and WARC record, counts and
logs every attack it refused, fetches nothing a seller pointed at this machine's other ports, and shows the browser
no more of a page than the crawler read."""
from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from parsel import Selector

from crawler.addresses import forbidden, internal_host, own_origins, refused_answer
from crawler.nesting import cut_by_depth, flattened
from simulator.web.hostile import CANARY
from tests.fixtures.workspace import CrawlWorkspace

LANTIAN = Path(sys.executable).with_name("lantian")
HOSTILE_CONFIG = Path(__file__).resolve().parent.parent / "simulator" / "hostile.yaml"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST.", "api.localhost", "::1", "::ffff:127.0.0.1",
                                  "169.254.169.254", "10.1.2.3", "192.168.0.1", "0.0.0.0", "2130706433", "0x7f.1",
                                  "0177.0.0.1", "fd00::1", "100.64.0.1"])
def test_every_spelling_of_an_internal_address_is_internal(host: str) -> None:
    assert internal_host(host)


@pytest.mark.parametrize("host", ["example.com", "93.184.216.34", "2606:4700::1111", "taobao.com", "1.2"])
def test_public_hosts_are_not_internal(host: str) -> None:
    assert not internal_host(host)


def test_an_internal_address_is_reached_only_at_its_own_platforms_origin() -> None:
    simulator = ("http://127.0.0.1:8600/",)
    assert not forbidden("http://127.0.0.1:8600/item.htm?id=1", simulator)
    assert not forbidden("https://img.example.com/a.png", simulator)
    assert forbidden("http://127.0.0.1:9200/_cat/indices", simulator)
    assert forbidden("http://169.254.169.254/latest/meta-data/", simulator)
    assert forbidden("http://[::1]:8600/", simulator), "another spelling of the host is another origin"


def test_an_internal_answer_is_refused_for_a_public_name_unless_a_platform_is_configured_there() -> None:
    own = own_origins(["http://shop.office.example:8080/", "https://feed.office.example/search"])
    assert refused_answer("evil.example", 80, "127.0.0.1", own)
    assert refused_answer("evil.example.", 443, "169.254.169.254", own)
    assert refused_answer("evil.example", 80, "::ffff:10.0.0.1", own)
    assert refused_answer("evil.example", 80, "fe80::1%eth0", own)
    assert not refused_answer("evil.example", 80, "93.184.216.34", own), "a public answer is the internet"
    assert not refused_answer("SHOP.office.example", 8080, "10.1.2.3", own), "the platform staff configured there"
    assert not refused_answer("feed.office.example", 443, "10.1.2.3", own)
    assert refused_answer("shop.office.example", 9200, "10.1.2.3", own), "another port of the same host is not"
    assert not refused_answer("localhost", 8600, "127.0.0.1", own), "judged as written, with its platform"


def nested(levels: int) -> str:
    return ("<html><head><title>店铺 &amp; 商品</title><script>var cards = '<div>' && [1];</script></head><body>"
            + "<div>" * levels + "<h1 class='item-title'>商标注册 嵌套</h1>"
            + "<div class='item-desc'>包授权 &lt;b&gt;</div>"
            + "</div>" * levels + "<p class='after'>联系微信 abc123</p></body></html>")


@pytest.mark.parametrize("levels", [2_100, 100_000])
def test_a_page_nested_deeper_than_lxml_parses_is_read_whole_once_flattened(levels: int) -> None:
    deep = Selector(text=nested(levels))
    assert cut_by_depth(deep.root) and deep.css("p.after::text").get() is None, "lxml lost the rest of the page"
    page = Selector(text=flattened(nested(levels)))
    assert not cut_by_depth(page.root)
    assert page.css("h1.item-title::text").get() == "商标注册 嵌套"
    assert page.css("div.item-desc::text").get() == "包授权 <b>"
    assert page.css("p.after::text").get() == "联系微信 abc123"
    assert page.css("title::text").get() == "店铺 & 商品"
    assert page.css("script::text").get() == "var cards = '<div>' && [1];", "scripts as written (embedded data)"


def test_a_page_that_lxml_parses_whole_is_not_flattened() -> None:
    assert not cut_by_depth(Selector(text=nested(2_000)).root)
    assert not cut_by_depth(Selector(text="<ul><li>a<li>b</ul><p>x<br>y").root)


def this_machine_by_name() -> tuple[str, str]:
    """This machine's host name and the internal address the system resolver answers for it (127.0.0.1 from
    /etc/hosts on Debian, the container's address under Docker, the private one on a cloud runner): a name that is
    public as written and answers an internal address, as a seller's DNS can, with nothing edited."""
    name = socket.gethostname()
    try:
        address = str(socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
    except socket.gaierror:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    if internal_host(name) or not internal_host(address):
        pytest.skip(f"this machine's name {name!r} answers {address}, not an internal address for a public name")
    return name, address


@pytest.mark.slow
@pytest.mark.browser
def test_a_name_that_answers_this_machine_is_reached_only_as_a_configured_platform(simulator_factory,
                                                                                    tmp_path: Path) -> None:
    """The hostile market's listing of internal addresses, captured by the name of this machine under which staff
    configured the platform (its own origin, reached by Scrapy and by Chromium): its images and its script's
    fetches at the same name's other port are refused by what the name answers, by Scrapy's resolver and by the
    browser's proxy, and counted; once read as the page (Scrapy, then the screenshot) and once rendered."""
    name, address = this_machine_by_name()
    sim = simulator_factory(listings=20, hostile=True, host=address)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    endpoints = {**sim.endpoints, "hostile": sim.endpoints["hostile"].replace(address, name)}
    work.endpoints.write_text(json.dumps(endpoints), "utf-8")
    page = f"{endpoints['hostile']}/item/internal"
    for browser in ([], ["--browser"]):
        result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(work.endpoints), "--json", *browser,
                                 page], env=work.env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    logs = "".join(path.read_text("utf-8") for path in sorted((work.data / "crawl" / "logs").glob("capture-*")))

    paths = sim.stats()["paths"]
    assert not [path for path in paths if CANARY in path], "nothing at the name's other port was fetched"
    assert paths["hostile/item/internal"] >= 2, "the platform configured under the name is reached"
    assert f"{name}:{sim.endpoints['market'].rsplit(':', 1)[1]}{CANARY}hostname.png" in logs
    assert "resolved to the internal address" in logs, "Scrapy's image request, refused by the name's answer"
    assert f"Refused the browser's connection to {name}:" in logs, "the page's fetch, refused in the browser"
    assert "'lantian/browser/internal_answers'" in logs and "'lantian/hostile/internal_urls'" in logs


@pytest.mark.slow
def test_refused_images_are_counted_and_said_once_not_logged_as_errors(simulator_factory, tmp_path: Path) -> None:
    """The listing whose images point at internal addresses: each refusal is said by its guard, the images are
    counted by kind and said once at WARNING with the count, and the listing is kept. Scrapy's media pipeline logged
    each as an ERROR with a traceback (4 here), which in a long crawl hid the errors that matter."""
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(work.endpoints), "--json",
                             f"{sim.endpoints['hostile']}/item/internal"], env=work.env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    [outcome] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    log = "".join(path.read_text("utf-8") for path in (work.data / "crawl" / "logs").glob("capture-*"))
    assert outcome["outcome"] == "captured", outcome
    assert " ERROR: " not in log and "log_count/ERROR" not in log
    assert "ScrapyDeprecationWarning" not in log, "the pipeline is built with its crawler, as Scrapy will require"
    assert log.count("listing image(s) not downloaded") == 1
    assert "4 listing image(s) not downloaded: refused" in log and "'lantian/images_failed/refused': 4" in log


WEBRTC_PAGE = """<script>
const connection = new RTCPeerConnection({iceServers: [{urls: "stun:127.0.0.1:%d"}]});
connection.createDataChannel("probe");
connection.onicegatheringstatechange = () => {
  if (connection.iceGatheringState === "complete") document.title = "gathered";
};
connection.createOffer().then(offer => connection.setLocalDescription(offer)).then(() => {
  if (!document.title) document.title = "gathering";
});
</script>"""


@pytest.mark.browser
def test_a_page_script_sends_no_webrtc_udp_past_the_screening_proxy(chromium_launch_options: dict) -> None:
    """A seller's script asking a STUN server at a UDP port of this machine (as it could ask 169.254.169.254): the
    crawl's Chromium sends it nothing, since UDP cannot pass the screening proxy (Chromium without the switch sent
    4 STUN requests)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stun:
        stun.bind(("127.0.0.1", 0))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**chromium_launch_options)
            page = browser.new_page()
            page.set_content(WEBRTC_PAGE % stun.getsockname()[1])
            page.wait_for_function("document.title !== ''", timeout=15_000)  # the offer is made: ICE gathers
            with contextlib.suppress(PlaywrightTimeout):  # a STUN server that does not answer is waited for
                page.wait_for_function("document.title === 'gathered'", timeout=5_000)
            browser.close()
        stun.setblocking(False)
        received = []
        with contextlib.suppress(BlockingIOError):
            while True:
                received.append(stun.recvfrom(2048))
    assert received == [], f"{len(received)} STUN request(s) reached this machine's UDP port"


@pytest.mark.slow
def test_a_proxy_is_handed_no_name_that_answers_this_machine(simulator_factory, forward_proxy,
                                                              tmp_path: Path) -> None:
    """A proxy resolves the names it is handed itself, past the crawl's resolver. HTTP_PROXY in the crawl's
    environment is not used (it was: the proxy resolved the seller's image host, this machine's name, and fetched
    its other port for the crawl); the proxy configured in config/lantian.yaml is handed the platform's own pages,
    and never a name whose answer is an internal address the request may not reach."""
    name, address = this_machine_by_name()
    sim = simulator_factory(listings=20, hostile=True, host=address)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    endpoints = {**sim.endpoints, "hostile": sim.endpoints["hostile"].replace(address, name)}
    work.endpoints.write_text(json.dumps(endpoints), "utf-8")
    page = f"{endpoints['hostile']}/item/internal"
    logs = work.data / "crawl" / "logs"
    plain = {k: v for k, v in work.env.items() if k.lower() not in ("no_proxy", "http_proxy", "https_proxy")}

    def capture(env: dict[str, str]) -> str:
        before = set(logs.glob("capture-*")) if logs.exists() else set()
        result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(work.endpoints), "--json", page],
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return "".join(path.read_text("utf-8") for path in sorted(set(logs.glob("capture-*")) - before))

    log = capture({**plain, "HTTP_PROXY": forward_proxy.url})
    assert forward_proxy.asked == [], "the environment's proxy is not used"
    assert "HTTP_PROXY set in the environment and not used" in log
    assert "'lantian/proxy/environment_ignored': 1" in log
    assert "resolved to the internal address" in log, "the image, refused by the crawl's own resolver"

    settings_path = work.config / "lantian.yaml"
    settings = yaml.safe_load(settings_path.read_text("utf-8"))
    settings_path.write_text(yaml.safe_dump({**settings, "crawl": {"proxy": forward_proxy.url}}), "utf-8")
    log = capture(plain)
    assert page in forward_proxy.asked, "the configured proxy is handed the platform's own page"
    assert not [url for url in forward_proxy.asked if CANARY in url]
    assert f"{name}:{sim.endpoints['market'].rsplit(':', 1)[1]}{CANARY}hostname.png, not handed to the proxy: " \
           f"its host resolved to the internal address {address}" in log
    assert "'lantian/hostile/internal_urls'" in log
    assert not [path for path in sim.stats()["paths"] if CANARY in path], "nothing at the name's other port"


@pytest.mark.slow
@pytest.mark.browser
def test_a_rendered_listing_whose_page_hangs_is_kept_as_read_without_rendering(simulator_factory,
                                                                               tmp_path: Path) -> None:
    """The listing whose script never yields once loaded, rendered (`capture --browser`, the path of a platform that
    renders its listing pages): its tab is given up, and the listing is fetched again without the browser and kept,
    with its raw page, WARC record and fields, saying it was read without rendering (it used to be lost)."""
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    page = f"{sim.endpoints['hostile']}/item/hangs"
    result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(work.endpoints), "--json", "--browser", page],
                            env=work.env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    [outcome] = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    log = "".join(path.read_text("utf-8") for path in (work.data / "crawl" / "logs").glob("capture-*"))
    assert outcome["outcome"] == "captured", outcome

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(work.data / "index" / "leads.sqlite3") as store:
        lead = store.get(outcome["lead_id"])
    assert lead is not None and lead.title == "商标注册 内部渠道" and "包授权" in (lead.text or "")
    assert lead.read_without_rendering and "未经渲染" in lead.read_without_rendering
    assert hashlib.sha256(Path(lead.raw_path or "").read_bytes()).hexdigest() == lead.raw_sha256 and lead.warc_path
    assert b"for (;;)" in Path(lead.raw_path or "").read_bytes(), "the page as the server sent it"
    assert not lead.screenshot_sha256, "no screenshot of a page that hangs"
    assert "'lantian/browser/pages_hung': 1" in log and "'lantian/hostile/read_without_rendering': 1" in log
    assert "read without rendering" in log


@pytest.mark.slow
@pytest.mark.browser
def test_a_rendered_results_page_that_hangs_keeps_the_cards_its_html_holds(simulator_factory,
                                                                           tmp_path: Path) -> None:
    """The hostile search rendered (as a platform that renders its result pages), with a script that never yields
    from half a second after the page has loaded, while the crawler scrolls it for more cards: its tab is given up,
    the page is fetched again without the browser, and the card its HTML holds is followed to a lead (the cards of
    a hung results page used to be lost)."""
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    config = yaml.safe_load(HOSTILE_CONFIG.read_text("utf-8"))
    config["search"]["url"] = "/search?q={keyword}&page={page}&attacks=title&hangs=1"
    config["browser"] = {"enabled": True, "wait_for": "div.item-card", "max_scrolls": 3, "wait_timeout_ms": 4000,
                         "settle_ms": 3000}
    (work.config / "platforms" / "hostile.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    summary = tmp_path / "summary.json"
    result = subprocess.run([str(LANTIAN), "crawl", "-p", "hostile", "--endpoints", str(work.endpoints), "--quiet",
                             "--summary-json", str(summary)], env=work.env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    counters = json.loads(summary.read_text("utf-8"))["counters"]
    log = Path(json.loads(summary.read_text("utf-8"))["log_file"]).read_text("utf-8")
    assert counters["lantian/browser/pages_hung"] >= 1, "the results page's tab was given up"
    assert counters["lantian/hostile/read_without_rendering"] == 1
    assert counters["lantian/hostile/cards_read_without_rendering"] == 1
    assert "read without rendering: 1 card(s) in the page as the server sent it" in log

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(work.data / "index" / "leads.sqlite3") as store:
        urls = [lead.url for lead in store.iter_leads()]
    assert urls == [f"{sim.endpoints['hostile']}/item/title"], "the card's listing, fetched and kept"


@pytest.mark.slow
@pytest.mark.browser
def test_a_rendered_seller_page_that_hangs_keeps_the_cards_its_html_holds(simulator_factory, tmp_path: Path) -> None:
    """A listing's seller, followed to the shop rendered (as a platform that renders its pages), whose script never
    yields from half a second after the page has loaded while the crawler scrolls it for more cards: its tab is
    given up, the shop is fetched again without the browser, the card its HTML holds is followed to a lead, and
    the crawl says how many cards it read so, as for a results page."""
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    config = yaml.safe_load(HOSTILE_CONFIG.read_text("utf-8"))
    config["search"]["url"] = "/search?q={keyword}&page={page}&attacks=seller-hangs"
    config["seller"] = {"follow": True, "listing_links": "div.item-card a.item-link::attr(href)"}
    config["browser"] = {"enabled": True, "wait_for": "div.item-card", "max_scrolls": 3, "wait_timeout_ms": 4000,
                         "settle_ms": 3000}
    (work.config / "platforms" / "hostile.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    summary = tmp_path / "summary.json"
    result = subprocess.run([str(LANTIAN), "crawl", "-p", "hostile", "--endpoints", str(work.endpoints), "--quiet",
                             "--summary-json", str(summary)], env=work.env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    counters = json.loads(summary.read_text("utf-8"))["counters"]
    log = Path(json.loads(summary.read_text("utf-8"))["log_file"]).read_text("utf-8")
    assert counters["lantian/browser/pages_hung"] >= 1, "the shop's tab was given up"
    assert sim.stats()["paths"]["hostile/shop/hangs"] >= 2, "rendered, then fetched again without the browser"
    assert counters["lantian/hostile/read_without_rendering"] == 1
    assert counters["lantian/hostile/cards_read_without_rendering"] == 1
    assert f"{sim.endpoints['hostile']}/shop/hangs read without rendering: 1 card(s) in the page as the server " \
           "sent it" in log

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(work.data / "index" / "leads.sqlite3") as store:
        urls = sorted(lead.url for lead in store.iter_leads())
    assert urls == [f"{sim.endpoints['hostile']}/item/{attack}" for attack in ("internal", "seller-hangs")], \
        "the listing and the one its hung shop's HTML holds, fetched and kept"


@pytest.mark.slow
@pytest.mark.browser
def test_a_crawl_of_hostile_pages_ends_keeps_what_it_read_and_counts_what_it_refused(simulator_factory,
                                                                                      tmp_path: Path) -> None:
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    summary = tmp_path / "summary.json"
    started = time.monotonic()
    result = subprocess.run([str(LANTIAN), "crawl", "-p", "hostile", "--endpoints", str(work.endpoints), "--quiet",
                             "--summary-json", str(summary)], env=work.env, capture_output=True, text=True,
                            timeout=600)  # the old crawl never ended: a page whose script never yields held its tab
    assert result.returncode == 0, result.stdout + result.stderr
    seconds = time.monotonic() - started
    counters = json.loads(summary.read_text("utf-8"))["counters"]
    log = Path(json.loads(summary.read_text("utf-8"))["log_file"]).read_text("utf-8")

    paths = sim.stats()["paths"]
    assert not [path for path in paths if CANARY in path], "nothing a seller pointed at another port was fetched"
    assert counters["lantian/hostile/internal_urls"] >= 2 and "to an internal address" in log, "images, a redirect"
    assert paths["hostile/item/popups"] <= 2, "popups open nothing (the old screenshot opened 129, each a request)"
    assert counters["lantian/hostile/redirect_loops"] == 2, "the endless 302 and meta-refresh chains, counted"
    assert counters["lantian/hostile/too_large"] == 1 and "DOWNLOAD_MAXSIZE" in log, "the gzip bomb, said"
    assert "Spider error" not in log and "RecursionError" not in log, "100,000 nested elements cost nothing"
    hung = counters.get("lantian/browser/pages_hung", 0) + counters.get("evidence/screenshot_timeouts", 0)
    assert hung >= 1, "the page that never yields once loaded: its tab given up, by the screenshot or the page's wait"
    assert counters["lantian/hostile/image_errors"] >= 1 and "decompression bomb" in log, "1.6 G pixels not read"
    assert "item/stream" in log and paths["hostile/item/stream"] <= 4, "the endless page, given up and said"

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(work.data / "index" / "leads.sqlite3") as store:
        leads = {lead.url.rsplit("/", 1)[-1]: lead for lead in store.iter_leads()}
    assert {"hangs", "paragraph", "title", "internal", "popups", "pixels", "nested"} <= set(leads), "all read, kept"
    assert leads["nested"].title == "商标注册 嵌套" and counters["lantian/hostile/nesting_flattened"] == 1, \
        "100,000 nested elements: read as Chromium nests them (lxml stopped at 2,048 and lost the listing)"
    for lead in leads.values():
        raw = Path(lead.raw_path or "").read_bytes()
        assert hashlib.sha256(raw).hexdigest() == lead.raw_sha256 and lead.warc_path
    assert not leads["hangs"].screenshot_sha256, "no screenshot of the page that hung, and the lead is kept"
    missing = sorted(name for name, lead in leads.items() if lead.screenshot_shows and lead.screenshot_shows["missing"])
    assert missing == ["cloaked", "cloaked-server"] and counters["evidence/screenshots_missing_evidence"] == 2, \
        "the sellers who show the browser a clean page, and no other"
    log_lines = (work.data / "evidence" / "evidence-log.jsonl").read_text("utf-8").splitlines()
    lines = [json.loads(line) for line in log_lines]
    [shot] = [line for line in lines if line["kind"] == "screenshot" and line["url"].endswith("/item/paragraph")]
    assert shot["sha256"] == leads["paragraph"].screenshot_sha256, "the 5 MB paragraph, shown as the crawler read it"
    assert shot["document_cut_at"] == 2 * 1024 * 1024 and shot["document_bytes"] > 5_000_000
    assert len(leads["title"].title) > 300_000
    print(f"hostile crawl: {seconds:.0f} s")



@pytest.mark.slow
@pytest.mark.browser
def test_a_screenshot_of_a_page_that_changed_for_the_browser_says_what_it_does_not_show(simulator_factory,
                                                                                         tmp_path: Path) -> None:
    """Two sellers who show the screenshot's visit, headless Chromium, a clean listing: one by its script
    (navigator.webdriver), one by its server (the browser's Sec-Fetch-* headers). Each lead keeps the text, raw page
    and WARC record of the page the crawler fetched, and says that its screenshot shows none of the passages the
    detector quoted (logged, counted), where an honest listing's screenshot shows them all; the old crawl stored
    the clean screenshot as the lead's evidence without a word."""
    sim = simulator_factory(listings=20, hostile=True)
    work = CrawlWorkspace(tmp_path, sim)
    shutil.copy(HOSTILE_CONFIG, work.config / "platforms" / "hostile.yaml")
    pages = {attack: f"{sim.endpoints['hostile']}/item/{attack}" for attack in ("cloaked", "cloaked-server",
                                                                               "internal")}
    result = subprocess.run([str(LANTIAN), "capture", "--endpoints", str(work.endpoints), "--json",
                             *pages.values()], env=work.env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = {json.loads(line)["url"]: json.loads(line) for line in result.stdout.splitlines()
                if line.startswith("{")}
    log = "".join(path.read_text("utf-8") for path in (work.data / "crawl" / "logs").glob("capture-*"))

    from index.sqlite_store import SqliteLeadStore

    with SqliteLeadStore(work.data / "index" / "leads.sqlite3") as store:
        leads = {attack: store.get(outcomes[url]["lead_id"]) for attack, url in pages.items()}
    for attack in ("cloaked", "cloaked-server"):
        lead = leads[attack]
        assert lead is not None and lead.labels and "包授权" in (lead.text or ""), "the page the crawler fetched"
        assert lead.screenshot_sha256, "the screenshot is kept: it is what the browser was shown"
        raw = Path(lead.raw_path or "").read_bytes()
        assert hashlib.sha256(raw).hexdigest() == lead.raw_sha256 and "包授权".encode() in raw and lead.warc_path
        shows = lead.screenshot_shows
        assert shows is not None and shows["passages"] >= 1 and shows["shown"] == 0, (attack, shows)
        assert [text for text in shows["missing"] if "包授权" in text or "内部渠道" in text], shows
        assert "截图未显示检测到的" in outcomes[pages[attack]]["message"], "said to the staff member who captured it"
    honest = leads["internal"]
    assert honest is not None and honest.screenshot_shows is not None
    assert honest.screenshot_shows["shown"] == honest.screenshot_shows["passages"] >= 1
    assert not honest.screenshot_shows["missing"]
    assert "'evidence/screenshots_missing_evidence': 2" in log
    assert f"The screenshot of {pages['cloaked']} shows 0 of the" in log

    cloaked = leads["cloaked"]
    assert cloaked is not None
    shown = subprocess.run([str(LANTIAN), "leads", "show", cloaked.id], env={**work.env, "COLUMNS": "400"},
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "screenshot shows" in shown.stdout, shown.stdout + shown.stderr
    assert f"shows 0 of the {cloaked.screenshot_shows['passages']} passage(s)" in " ".join(shown.stdout.split())

    from casework.config import load_takedown_config
    from casework.takedown import rows_for

    cloaked_row, honest_row = rows_for([cloaked, honest], load_takedown_config())
    assert cloaked_row.screenshot is None and cloaked_row.screenshot_file is not None, \
        "counsel is not handed the clean picture as evidence; the file stays in the letter's ZIP"
    assert "截图未显示" in cloaked_row.screenshot_note and "以网页原文及WARC存档为准" in cloaked_row.screenshot_note
    assert honest_row.screenshot is not None and not honest_row.screenshot_note
