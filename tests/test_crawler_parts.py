"""The crawler's small parts: the listing item, canonical URLs, Retry-After and retries, encodings, page text,
oversized and non-HTML pages."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from parsel import Selector
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.statscollectors import MemoryStatsCollector

from core.lead import Detection, lead_id
from crawler.extract import field_text, field_values, main_text
from crawler.items import ListingItem, content_sha256, listing_of
from crawler.middlewares import (
    PAGE_META,
    EncodingMiddleware,
    PoliteRetryMiddleware,
    ResponseGuardMiddleware,
    retry_after_seconds,
)
from crawler.run import crawler_settings
from crawler.spiders.sweep import SweepSpider
from crawler.urls import canonical_url


def get_crawler(settings_dict: dict | None = None) -> SimpleNamespace:
    """What the middlewares read from a crawler: its settings and a real stats collector."""
    crawler = SimpleNamespace(settings=crawler_settings(settings_dict))
    crawler.stats = MemoryStatsCollector(crawler)
    return crawler


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h:8600/item.htm?id=L1&spm=a.b.c&utm_source=wx#top", "http://h:8600/item.htm?id=L1"),
        ("http://h/item.htm?scm=1&from=share&id=L1", "http://h/item.htm?id=L1"),
        ("http://h/s?wd=%E5%95%86%E6%A0%87&pn=10", "http://h/s?pn=10&wd=%E5%95%86%E6%A0%87"),
        ("http://h/search?q=商标", "http://h/search?q=%E5%95%86%E6%A0%87"),
    ],
)
def test_canonical_url_strips_tracking_and_sorts(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_platform_specific_tracking_parameters() -> None:
    assert canonical_url("http://h/x?id=1&chan=9", strip_params=["chan"]) == "http://h/x?id=1"
    assert lead_id(canonical_url("http://h/x?id=1&spm=2")) == lead_id("http://h/x?id=1")


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after_seconds(b"3") == 3.0
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:05 GMT", now=now) == 5.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


GBK_PAGE = ("<html><body><div class='d'>国家知识产权局指定代理 内部渠道 商标注册三十天下证，专利申请包授权</div>"
            "</body></html>")


def test_gbk_page_without_declared_charset_is_detected() -> None:
    crawler = get_crawler()
    middleware = EncodingMiddleware.from_crawler(crawler)
    body = GBK_PAGE.encode("gbk")
    request = Request("http://h/p")
    response = HtmlResponse("http://h/p", body=body, headers={"Content-Type": "text/html"}, request=request)
    assert "国家知识产权局" not in response.text
    decoded = middleware.process_response(request, response, None)
    assert "国家知识产权局指定代理" in decoded.text


def test_declared_gbk_is_left_to_scrapy() -> None:
    crawler = get_crawler()
    middleware = EncodingMiddleware.from_crawler(crawler)
    body = GBK_PAGE.encode("gbk")
    request = Request("http://h/p")
    response = HtmlResponse("http://h/p", body=body, headers={"Content-Type": "text/html; charset=GBK"},
                            request=request)
    assert middleware.process_response(request, response, None) is response
    assert "内部渠道" in response.text


def test_a_gbk_page_declared_utf8_is_read_as_gb18030_and_counted() -> None:
    """A platform's header or <meta> may say UTF-8 over GBK bytes: read as UTF-8, every Chinese character was lost
    (no label could fire). A UTF-8 page with a few broken bytes keeps its declaration, as does a page cut to size
    inside a character."""
    crawler = get_crawler()
    middleware = EncodingMiddleware.from_crawler(crawler)
    request = Request("http://h/p")
    for headers, meta in (({"Content-Type": "text/html; charset=utf-8"}, ""),
                          ({"Content-Type": "text/html"}, '<meta charset="UTF-8">')):
        body = (meta + GBK_PAGE).encode("gbk")
        response = HtmlResponse("http://h/p", body=body[:-1] + b"\xb9", headers=headers, request=request)
        assert "国家知识产权局" not in response.text
        decoded = middleware.process_response(request, response, None)
        assert "国家知识产权局指定代理 内部渠道" in decoded.text
    assert crawler.stats.get_value("lantian/encoding_mislabelled/gb18030") == 2
    broken = GBK_PAGE.replace("商标注册", "\udcff").encode("utf-8", "surrogateescape")
    utf8 = HtmlResponse("http://h/p", body=broken, headers={"Content-Type": "text/html; charset=utf-8"},
                        request=request)
    assert middleware.process_response(request, utf8, None) is utf8 and "内部渠道" in utf8.text
    assert crawler.stats.get_value("lantian/encoding_mislabelled/gb18030") == 2


def test_a_link_that_is_no_web_url_is_counted_and_skipped_and_the_listing_kept() -> None:
    """Links on a listing are written by its seller: one malformed (`http://[::1`, a port out of range) used to
    raise in the spider and lose the whole listing; `javascript:`, `data:` and `file:` ones were handed on (a
    `file:` image would have been read from this machine's disk by Scrapy). Each is now counted and skipped."""
    spider = SweepSpider(platforms="market")
    spider.crawler = get_crawler()
    url = "http://127.0.0.1:8600/item/1"
    body = ('<html><head><link rel="canonical" href="http://[::1/item/1"></head><body>'
            '<h1 class="item-title">商标注册 内部渠道</h1>'
            '<a class="seller-link" href="javascript:alert(1)">某某知产</a>'
            '<div class="item-desc">国家知识产权局指定代理</div><div class="item-images"><img src="http://[::1/a.png">'
            '<img src="file:///etc/passwd"><img src="data:image/png;base64,AAAA"><img src="//e.example:99999/b.png">'
            '<img src="/img/1.png"><img src="/img/1.png"></div></body></html>').encode()
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta={"platform": "market"}))
    [item] = list(spider.parse_detail(response))
    assert item["title"] == "商标注册 内部渠道" and item["canonical_url"] == url
    assert item["image_urls"] == ["http://127.0.0.1:8600/img/1.png"] and item["seller_url"] == ""
    assert spider.crawler.stats.get_value("lantian/market/bad_urls") == 6


def test_invisible_format_characters_of_a_listing_are_counted_and_kept_in_the_item() -> None:
    """A right-to-left override or a zero-width space in a title or seller is there to make it read as something
    else: the crawl counts them (what people read shows them, `core.visible`), the item keeps them as fetched."""
    spider = SweepSpider(platforms="market")
    spider.crawler = get_crawler()
    url = "http://127.0.0.1:8600/item/2"
    body = ('<html><body><h1 class="item-title">商标注册 \u202egnp.exe\u202c</h1>'
            '<a class="seller-link" href="/shop/2">某\u200b某知产</a>'
            '<div class="item-desc">国家知识产权局指定代理\ufeff</div></body></html>').encode()
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta={"platform": "market"}))
    [item] = [entry for entry in spider.parse_detail(response) if not isinstance(entry, Request)]
    assert item["title"] == "商标注册 \u202egnp.exe\u202c" and item["seller"] == "某\u200b某知产"
    assert spider.crawler.stats.get_value("lantian/market/invisible_characters") == 4


@pytest.mark.parametrize(("declared", "canonical"), [
    ("/item/1?spm=a1", "http://127.0.0.1:8600/item/1"),  # the platform's own: taken, tracking stripped
    ("http://127.0.0.1.evil.example/item/1", "http://127.0.0.1:8600/item/7"),  # another site whose name holds it
    ("http://evil.example/go?to=127.0.0.1", "http://127.0.0.1:8600/item/7"),  # another site naming it in a query
])
def test_a_canonical_link_counts_only_on_the_platforms_own_site(declared: str, canonical: str) -> None:
    """A listing's `<link rel=canonical>` names its lead (the lead's id, the URL of a takedown request) when it is on
    the platform's own site: a seller's page may name any other, and a host that merely contains the platform's
    (`127.0.0.1.evil.example`, or the platform's name in another site's query) is another site."""
    spider = SweepSpider(platforms="market")
    spider.crawler = get_crawler()
    url = "http://127.0.0.1:8600/item/7"
    body = (f'<html><head><link rel="canonical" href="{declared}"></head><body><h1 class="item-title">商标注册</h1>'
            '<div class="item-desc">代理</div></body></html>').encode()
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta={"platform": "market"}))
    [item] = list(spider.parse_detail(response))
    assert item["canonical_url"] == canonical


def test_oversized_page_is_cut_and_non_html_skipped() -> None:
    crawler = get_crawler(settings_dict={"LANTIAN_PAGE_CUT_SIZE": 1000})
    guard = ResponseGuardMiddleware.from_crawler(crawler)
    request = Request("http://h/big", meta={PAGE_META: True})
    big = HtmlResponse("http://h/big", body=b"<html><body>" + b"x" * 5000, headers={"Content-Type": "text/html"},
                       request=request)
    cut = guard.process_response(request, big, None)
    assert len(cut.body) == 1000
    assert crawler.stats.get_value("lantian/cut/oversized") == 1
    archive = Response("http://h/rules.html", body=b"PK\x03\x04", headers={"Content-Type": "application/zip"},
                       request=request)
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, archive, None)
    # Scrapy types a response by the URL's extension when the header is not one it maps: the header still wins.
    disguised = HtmlResponse("http://h/rules.html", body=b"PK\x03\x04", headers={"Content-Type": "application/zip"},
                             request=request)
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, disguised, None)
    undeclared = HtmlResponse("http://h/page.html", body=b"<html><body>ok</body></html>", request=request)
    assert guard.process_response(request, undeclared, None) is undeclared
    image_request = Request("http://h/img/1.png")
    image = Response("http://h/img/1.png", body=b"\x89PNG", headers={"Content-Type": "image/png"},
                     request=image_request)
    assert guard.process_response(image_request, image, None) is image


def test_a_listing_without_a_title_selector_is_titled_by_its_page() -> None:
    """`field_text(page, "title")`, the title of a listing whose platform names no title selector (a page captured
    by hand from a site no config describes), read the <title> as invisible and gave every such lead no title."""
    page = Selector(text='<html><head><meta charset="utf-8"><title>商标注册 内部渠道 - 某某网</title>'
                         "<script>var t = 1;</script></head><body><h1>正文标题</h1></body></html>")
    assert field_text(page, "title", " ") == "商标注册 内部渠道 - 某某网"
    assert field_text(page, "head", " ") == "" and field_text(page, "script") == ""


def test_main_text_keeps_the_content_and_drops_footers_and_scripts() -> None:
    page = Selector(text="""<html><head><style>p{}</style></head><body>
        <div class="header"><a href="/">首页</a><a href="/a">分类</a></div>
        <nav><a>商标</a><a>专利</a></nav>
        <div class="content"><h1>商标注册</h1><p>国知局直属服务中心，内部渠道 30 天下证。</p>
        <p>联系电话 13800000000</p></div>
        <div class="footer">版权所有 © 2026</div><script>track()</script></body></html>""")
    text = main_text(page)
    assert "内部渠道" in text and "13800000000" in text
    assert "版权所有" not in text and "track" not in text and "p{}" not in text
    assert main_text(Selector(text="<html><body><p>短</p><script>x()</script></body></html>")) == "短"


def test_a_crawl_imports_trafilatura_only_for_a_page_without_a_text_selector() -> None:
    # its import cost ~0.1 CPU-s of every crawl's start, and the configured platforms all have text selectors
    script = "import sys; from crawler.run import run_sweep; print('trafilatura' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_field_values_text_attributes_and_xpath() -> None:
    page = Selector(text="<div class=c><a class=s href='/shop/1'>某某 代理</a><img src='/i/1.png'></div>")
    assert field_values(page, "a.s") == ["某某 代理"]
    assert field_values(page, "a.s::attr(href)") == ["/shop/1"]
    assert field_values(page, "//img/@src") == ["/i/1.png"]
    assert field_values(page, "xpath://a/text()") == ["某某 代理"]


def test_the_item_hands_on_its_listing_without_the_crawls_bookkeeping() -> None:
    item = ListingItem(id="L1", canonical_url="http://h/item.htm?id=L1", title="商标加急", status="active")
    item["change"], item["detection"] = "new", Detection(labels=["insider_channel"], risk=0.9)
    item["labels"], item["risk"], item["lead_id"] = ["insider_channel"], 0.9, "L1"
    assert listing_of(item) == {"id": "L1", "canonical_url": "http://h/item.htm?id=L1", "title": "商标加急",
                                "status": "active"}


def test_a_field_the_listing_does_not_declare_is_refused_where_a_spider_sets_it() -> None:
    item = ListingItem(id="L1")
    with pytest.raises(KeyError, match="wechat"):
        item["wechat"] = "ipagent88"


def test_content_hash_changes_only_with_content() -> None:
    first = {"title": "t", "text": "a", "price": "1", "url": "http://h/1"}
    assert content_sha256(first) == content_sha256({**first, "url": "http://h/2", "fetched_at": "x"})
    assert content_sha256(first) != content_sha256({**first, "text": "b"})


def test_text_response_type_stays_text() -> None:
    crawler = get_crawler()
    middleware = EncodingMiddleware.from_crawler(crawler)
    request = Request("http://h/t")
    response = TextResponse("http://h/t", body="专利".encode(), headers={"Content-Type": "text/plain"},
                            request=request)
    assert middleware.process_response(request, response, None).text == "专利"


def answer_until_final(middleware: PoliteRetryMiddleware, request: Request, *answers: tuple[int, dict]) -> list:
    """Feed the retry middleware one answer per attempt; what it returned for each (a retry or the response)."""
    spider = SimpleNamespace(crawler=middleware.crawler, name="sweep")
    results = []
    for status, headers in answers:
        response = Response(request.url, status=status, headers=headers, request=request)
        result = asyncio.run(middleware.process_response(request, response, spider))
        results.append(result)
        if not isinstance(result, Request):
            break
        request = result
    return results


def retry_middleware(**settings: object) -> PoliteRetryMiddleware:
    crawler = get_crawler({"RETRY_HTTP_CODES": [429, 500, 503], "LANTIAN_RETRY_BACKOFF_BASE": 0, **settings})
    crawler.engine = None
    return PoliteRetryMiddleware(crawler)


def test_answers_with_retry_after_have_their_own_retry_budget() -> None:
    middleware = retry_middleware(RETRY_TIMES=1, LANTIAN_RETRY_AFTER_TIMES=4)
    come_back = (429, {"Retry-After": "0"})
    results = answer_until_final(middleware, Request("http://h/item.htm?id=L1"), (500, {}), *[come_back] * 6)
    assert [type(r).__name__ for r in results] == ["Request"] * 5 + ["Response"], "1 fault retry + 4 waits"
    assert results[-1].status == 429
    stats = middleware.crawler.stats
    assert stats.get_value("lantian/retry_after") == 5
    assert stats.get_value("lantian/retry_after_gave_up") == 1


def test_rate_limits_do_not_use_up_the_retries_meant_for_faults() -> None:
    middleware = retry_middleware(RETRY_TIMES=1, LANTIAN_RETRY_AFTER_TIMES=4)
    come_back = (503, {"Retry-After": "0"})
    results = answer_until_final(middleware, Request("http://h/item.htm?id=L1"), come_back, come_back, (500, {}),
                                 (500, {}))
    assert [type(r).__name__ for r in results] == ["Request", "Request", "Request", "Response"]
    assert results[-1].status == 500
    assert middleware.crawler.stats.get_value("lantian/retry_after_gave_up") is None


def test_a_listing_whose_data_is_nested_too_deep_is_read_counted_and_said(caplog: pytest.LogCaptureFixture) -> None:
    """The app platform reads a listing from the state its page's script assigns. A seller who nests 100,000
    arrays beside the listing's fields stopped the spider with RecursionError (the listing lost, nothing counted):
    the deep part is read as null, the listing as written, and the cut counted and logged."""
    spider = SweepSpider(platforms="app")
    spider.crawler = get_crawler()
    url = "http://127.0.0.1:8605/goods/A1"
    state = ('{"junk": ' + "[" * 100_000 + "]" * 100_000 + ', "goods": {"title": "商标注册 内部渠道", '
             '"desc": "国家知识产权局指定代理", "seller": {"name": "某某知产", "link": "/user/1"}, '
             '"price": 1' + "0" * 5_000 + "}}")
    body = f"<html><body><script>window.__INITIAL_STATE__ = {state};</script></body></html>".encode()
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta={"platform": "app"}))
    [item] = [entry for entry in spider.parse_detail(response) if not isinstance(entry, Request)]
    assert item["title"] == "商标注册 内部渠道" and item["text"] == "国家知识产权局指定代理"
    assert item["seller"] == "某某知产" and item["price"] == "1" + "0" * 5_000
    assert spider.crawler.stats.get_value("lantian/app/data_nesting_cut") == 1
    assert f"Read {url} without 1 part(s) of its data nested deeper than 256 levels" in caplog.text


def test_a_listing_with_tens_of_thousands_of_links_keeps_the_first_ones_and_says_so_once(
        caplog: pytest.LogCaptureFixture) -> None:
    """A seller's listing with 20,000 `javascript:` pictures and 20,000 real ones (a 2 MB page holds 100,000): each
    link was checked against every one kept before it (2.5 s of the crawl's only thread for 20,000, a minute for
    100,000), each bad one logged a warning of its own, and every picture's URL was kept on the lead. The first
    LANTIAN_MAX_PAGE_LINKS (1,000) are kept, the rest counted; each kind of skipped link is said once."""
    spider = SweepSpider(platforms="market")
    spider.crawler = get_crawler()
    url = "http://127.0.0.1:8600/item/3"
    pictures = "".join(f'<img src="javascript:{n}">' for n in range(20_000))
    pictures += "".join(f'<img src="/i/{n}.png">' for n in range(20_000))
    body = (f'<html><body><h1 class="item-title">商标注册 内部渠道</h1><div class="item-desc">国家知识产权局指定代理'
            f'</div><div class="item-images">{pictures}</div></body></html>').encode()
    response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(url, meta={"platform": "market"}))
    [item] = [entry for entry in spider.parse_detail(response) if not isinstance(entry, Request)]
    assert item["title"] == "商标注册 内部渠道"
    assert item["image_urls"] == [f"http://127.0.0.1:8600/i/{n}.png" for n in range(1_000)]
    stats = spider.crawler.stats
    assert stats.get_value("lantian/market/bad_urls") == 20_000
    assert stats.get_value("lantian/market/links_over_limit") == 19_000
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(said) == 2, said[:3]
    assert [line for line in said if line.startswith(f"Skipped 20000 link(s) on {url} that are no http(s) URL: "
                                                     "'javascript:0', 'javascript:1', 'javascript:2', …")]
    assert [line for line in said if line.startswith(f"Kept the first 1000 links of {url} and skipped 19000")]


def test_a_robots_txt_larger_than_rfc_9309_asks_to_be_read_is_cut_to_its_first_500_kib() -> None:
    """The sites we crawl write their own robots.txt, the agencies' own websites included, and Scrapy parses it in
    the crawl's only thread: 8 MB of rules took Protego 12 s to parse and 0.3 s for every URL asked about after
    (64 MB, DOWNLOAD_MAXSIZE, from 64 KB of gzip on the wire: minutes). RFC 9309 asks a crawler to read at least
    500 KiB: the rest is cut at a line's end, counted and said; the rules before it hold."""
    crawler = get_crawler()
    guard = ResponseGuardMiddleware.from_crawler(crawler)
    request = Request("http://agency.example/robots.txt", meta={"dont_obey_robotstxt": True})
    rules = b"User-agent: *\nDisallow: /private/\n" + b"".join(b"Disallow: /p%d/*x$\n" % n for n in range(400_000))
    robots = Response("http://agency.example/robots.txt", body=rules, headers={"Content-Type": "text/plain"},
                      request=request)
    cut = guard.process_response(request, robots, None)
    assert 500 * 1024 - 40 < len(cut.body) <= 500 * 1024 and cut.body.endswith(b"\n") and rules.startswith(cut.body)
    assert crawler.stats.get_value("lantian/robots_cut") == 1
    parser = ProtegoRobotParser(cut.body, None)
    assert not parser.allowed("http://agency.example/private/a", "lantian")
    assert parser.allowed("http://agency.example/item/1", "lantian")
    small = Response("http://agency.example/robots.txt", body=b"User-agent: *\nDisallow: /x/\n", request=request)
    assert guard.process_response(request, small, None) is small


def test_an_agency_sites_sitemaps_are_read_within_a_budget_and_what_is_past_it_is_said(
        caplog: pytest.LogCaptureFixture) -> None:
    """An agency writes its own website's robots.txt and sitemaps: one can name a sitemap per line of a robots.txt,
    index sitemaps in sitemaps without end (each a new URL, so the duplicate filter never stops it) and list a
    million URLs, and the site crawl followed all of it and never ended. A site's sitemaps are fetched up to
    LANTIAN_MAX_SITEMAPS files and LANTIAN_MAX_SITEMAP_URLS URLs (3 and 100 here), an index named by an index is
    not read; the rest is counted and said once a sitemap."""
    from crawler.spiders.site import SiteSpider

    spider = SiteSpider(platforms="agencies")
    spider.crawler = get_crawler({"LANTIAN_MAX_SITEMAPS": 4, "LANTIAN_MAX_SITEMAP_URLS": 100})
    site = "http://127.0.0.1:8603"

    def answer(request: Request, body: str) -> Response:
        return Response(request.url, body=body.encode(), request=request)

    def index(names: range) -> str:
        return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                + "".join(f"<sitemap><loc>{site}/deeper-{n}.xml</loc></sitemap>" for n in names) + "</sitemapindex>")

    def robots(lines: int) -> Response:
        text = "User-agent: *\n" + "".join(f"Sitemap: {site}/sitemap-{n}.xml\n" for n in range(lines))
        return answer(Request(f"{site}/robots.txt", meta={"platform": "agencies"}), text)

    first, second, third = spider.parse_robots(robots(3))
    assert [first.url, second.url, third.url] == [f"{site}/sitemap-{n}.xml" for n in range(3)]
    [nested] = spider.parse_sitemap(answer(first, index(range(5))))
    assert nested.url == f"{site}/deeper-0.xml", "the 4th sitemap file; the index's 4 others are past the budget"
    assert list(spider.parse_sitemap(answer(nested, index(range(1_000, 1_005))))) == [], \
        "an index named by an index is not read"
    assert list(spider.parse_robots(robots(10))) == []
    urlset = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              + "".join(f"<url><loc>{site}/site/a{n}/</loc></url>" for n in range(150)) + "</urlset>")
    pages = list(spider.parse_sitemap(answer(second, urlset)))
    assert [request.url for request in pages] == [f"{site}/site/a{n}/" for n in range(100)]
    assert list(spider.parse_sitemap(answer(third, urlset))) == []

    stats = spider.crawler.stats
    assert stats.get_value("lantian/agencies/sitemaps_over_limit") == 4 + 10
    assert stats.get_value("lantian/agencies/sitemap_urls_over_limit") == 50 + 150
    assert stats.get_value("lantian/agencies/sitemaps_nested") == 1
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert f"Skipped 10 sitemaps named by {site}/robots.txt: its site's first 4 are asked for (LANTIAN_MAX_SITEMAPS)" \
        in said
    assert len(said) == 5, said


def test_cookies_for_a_public_suffix_stay_with_their_host_and_no_suffix_list_is_fetched(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapy's cookie middleware downloaded the public suffix list from raw.githubusercontent.com at the crawl's
    first cookie: a request to the internet outside every guard of the crawl, from the office's network. The crawl
    reads the list tldextract ships; a cookie set for a public suffix (.com.cn) is still only its setter's."""
    import socket

    from scrapy.http import Headers

    from crawler.middlewares import CookieBudget

    looked_up: list[str] = []

    def no_network(host: object, *args: object, **kwargs: object) -> object:
        looked_up.append(str(host))
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setenv("TLDEXTRACT_CACHE", "/nonexistent-lantian-test-cache")
    cookies = CookieBudget.from_crawler(get_crawler())
    url = "http://shop.example.com.cn/item"
    set_cookies = [(b"Set-Cookie", b"everyone=1; Domain=.com.cn; Path=/"),
                   (b"Set-Cookie", b"site=2; Domain=.example.com.cn; Path=/")]
    cookies.process_response(Request(url), Response(url, headers=Headers(set_cookies)), None)
    same_site, other_site = Request("http://www.example.com.cn/"), Request("http://other.com.cn/")
    cookies.process_request(same_site, None)
    cookies.process_request(other_site, None)
    assert same_site.headers.get(b"Cookie") == b"site=2"
    assert other_site.headers.get(b"Cookie") is None
    assert looked_up == []


def test_a_site_cannot_fill_the_crawls_cookie_jar(caplog: pytest.LogCaptureFixture) -> None:
    """A site we crawl (an agency's own website) sets its cookies, and Scrapy keeps every one and sends them all
    back: 100 new cookies of 4 KB an answer made the 21st request carry 8 MB of Cookie header, and the jar grew
    with every page until the crawl, every platform's, ran out of memory. The crawl keeps what RFC 6265 §6.1 asks a
    client to keep at least: cookies of up to 4,096 bytes, 50 a domain; the rest are counted and said."""
    from scrapy.http import Headers

    from crawler.middlewares import CookieBudget

    crawler = get_crawler()
    assert crawler.settings.getdict("DOWNLOADER_MIDDLEWARES")["crawler.middlewares.CookieBudget"] == 700
    cookies = CookieBudget.from_crawler(crawler)
    for n in range(20):
        url = f"http://agency.example/page/{n}"
        set_cookies = [(b"Set-Cookie", f"c{n}_{i}={'x' * 4_000}; Path=/".encode()) for i in range(100)]
        set_cookies.append((b"Set-Cookie", f"huge{n}={'y' * 100_000}; Path=/".encode()))
        cookies.process_response(Request(url), Response(url, headers=Headers(set_cookies)), None)
    later = Request("http://agency.example/page/next")
    cookies.process_request(later, None)
    header = later.headers.get(b"Cookie") or b""
    assert 0 < len(header) <= 50 * 4_100 and b"huge" not in header
    assert crawler.stats.get_value("lantian/cookies_refused") == 20 * 101 - 50
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert said[0].startswith("Kept 50 of agency.example's cookies and refused 51 set by http://agency.example/page/0")
