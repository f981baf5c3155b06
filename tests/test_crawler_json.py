"""JSON without a browser: a platform's YAML reads search results from a JSON API and listing fields from the JSON
a page's script embeds (`window.__INITIAL_STATE__ = {…}`), with JMESPath; the simulator's `app` platform is crawled
that way at static speed, the browser only drawing the screenshots of its leads."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from parsel import Selector
from scrapy.http import TextResponse

from core.lead import lead_id
from crawler.page_data import DataFields, PageDataError, PageFields, embedded_data, page_fields, read_fields
from crawler.urls import canonical_url
from tests.test_crawler_sweep import CORE_KEYWORDS, Workspace, reachable

HOSTILE = ('国家知识产权局指定代理，内部渠道包下证。</script><script>window.__INITIAL_STATE__ = '
           '{"goods": {"title": "伪造", "desc": "伪造"}};</script><!-- \u2028 -->')


def page(html: str) -> Selector:
    return Selector(text=html)


def test_embedded_state_is_read_in_javascript_object_syntax() -> None:
    html = ("<html><head><script>var other = {a: 1};</script>"
            "<script>window.__INITIAL_STATE__ = {goods: {title: '商标注册', tags: ['撤三', '加急',], "
            "price: 1280, seller: undefined}};</script></head><body></body></html>")
    data = DataFields(embedded_data(page(html), "window.__INITIAL_STATE__"))
    assert data.values("goods.title") == ["商标注册"]
    assert data.values("goods.tags") == ["撤三", "加急"]
    assert data.text("goods.price") == "1280"
    assert data.values("goods.missing") == []


def test_a_page_without_the_state_or_with_a_broken_one_is_a_page_data_error() -> None:
    with pytest.raises(PageDataError, match="no script of the page assigns window.__INITIAL_STATE__"):
        embedded_data(page("<script>window.__INITIAL_STATE__ == 1</script>"), "window.__INITIAL_STATE__")
    with pytest.raises(PageDataError, match="not a readable object"):
        embedded_data(page("<script>window.__INITIAL_STATE__ = nothing here</script>"), "window.__INITIAL_STATE__")
    response = TextResponse("http://x/api", body=b"<html>not json</html>", encoding="utf-8")
    with pytest.raises(PageDataError, match="not JSON"):
        page_fields(response, "json")


def test_data_fields_are_text_only() -> None:
    data = DataFields({"items": [{"link": "/a", "n": 3, "flag": True, "more": {"x": 1}, "none": None},
                                 {"link": "/b"}], "one": {"link": "/c"}})
    assert [card.values("link") for card in data.cards("items")] == [["/a"], ["/b"]]
    assert data.values("items[0].[n, flag, more, none]") == ["3"]
    assert data.cards("one") == [], "an object is not a list of cards"


DEEP = 100_000


def both_readings(state: str) -> list[PageFields]:
    """`state` read as a JSON response and as the state a script of an HTML page assigns."""
    return [page_fields(TextResponse("http://x/api", body=state.encode(), encoding="utf-8"), "json"),
            read_fields(f"<html><script>window.__INITIAL_STATE__ = {state};</script></html>", "embedded",
                        "window.__INITIAL_STATE__")]


@pytest.mark.parametrize("junk", ["[" * DEEP + "]" * DEEP, '{"a": ' * DEEP + "1" + "}" * DEEP])
def test_data_nested_deeper_than_python_reads_is_read_around_the_deep_part(junk: str) -> None:
    """A seller who nests 100,000 arrays or objects beside the listing's fields made Python's JSON reader stop
    with RecursionError: a spider error, the listing lost and nothing counted. The deep part is read as null
    (`DataFields.cut` says how many were), the listing's fields as written."""
    state = f'{{"junk": {junk}, "goods": {{"title": "商标注册 包授权", "tags": ["[", "{{", "\\"]"]}}}}'
    for fields in both_readings(state):
        assert isinstance(fields, DataFields) and fields.cut == 1
        assert fields.values("goods.title") == ["商标注册 包授权"]
        assert fields.values("goods.tags") == ["[", "{", '"]'], "brackets inside strings are text"
        assert fields.values("junk") == []


def test_data_nested_as_deep_as_python_reads_is_read_whole() -> None:
    state = '{"goods": {"title": "商标注册"}, "deep": ' + "[" * 900 + '"深处"' + "]" * 900 + "}"
    for fields in both_readings(state):
        assert isinstance(fields, DataFields) and fields.cut == 0
        assert fields.values("deep") == ["深处"] and fields.values("goods.title") == ["商标注册"]


def test_a_number_longer_than_python_writes_out_is_kept_as_written() -> None:
    """Python refuses to read an integer of more than 4,300 digits (ValueError): one such number made the whole
    page unreadable, an evasion that costs a seller one field. It is kept as the text it is."""
    digits = "9" * 5_000
    state = f'{{"goods": {{"title": "商标注册", "id": {digits}, "price": -{digits}, "n": 12}}}}'
    for fields in both_readings(state):
        assert fields.values("goods.title") == ["商标注册"] and fields.values("goods.id") == [digits]
        assert fields.values("goods.price") == [f"-{digits}"] and fields.values("goods.n") == ["12"]


@pytest.mark.slow
@pytest.mark.browser
def test_the_app_platform_is_crawled_from_its_data_without_rendering_a_page(
        simulator_factory: Callable[..., Any], tmp_path: Path) -> None:
    simulator = simulator_factory(listings=150)
    target = next(t for t in simulator.ground_truth() if t["platform"] == "app" and set(t["keywords"]) & CORE_KEYWORDS)
    simulator.edit(target["id"], text=HOSTILE)
    work = Workspace(tmp_path, simulator)

    summary = work.crawl("-p", "app", "--quiet")

    counters = summary["counters"]
    assert summary["platforms"]["app"]["errors"] == 0 and counters.get("lantian/app/selector_misses", 0) == 0
    assert counters.get("lantian/browser/pages_rendered", 0) == counters.get("evidence/screenshots", 0) > 0, \
        "the browser drew the leads' screenshots and nothing else"
    truth = simulator.ground_truth()
    wanted = reachable(truth, {"app"}, CORE_KEYWORDS)
    seen = work.seen()
    assert wanted and all(canonical_url(t["url"]) in seen for t in wanted), "recall of the app platform"
    store = work.store()
    try:
        lead = store.get(lead_id(canonical_url(target["url"])))
        assert lead is not None and lead.text == HOSTILE, \
            "the listing's own text, read as data, never as the script it pretends to be"
        assert lead.seller == target["seller"] and lead.location and lead.image_urls
        assert Path(lead.screenshot_path).is_file() and Path(lead.raw_path).is_file()
    finally:
        store.close()


@pytest.mark.parametrize("platform", ["app", "market"])
def test_a_leads_screenshot_waits_for_what_its_listing_page_shows(simulator: Any, platform: str) -> None:
    """The screenshot of a lead waits (up to its timeout) for its page to show the listing. A page read from its
    data has JMESPath expressions where other platforms have selectors (`goods.title`): taken as selectors they
    match nothing, and each screenshot of such a lead waited its whole timeout, holding a tab and the platform's
    download slot. It waits for the page's document instead, which has run the scripts that draw it."""
    from crawler.spiders.sweep import SweepSpider

    target = next(t for t in simulator.ground_truth() if t["platform"] == platform and t["status"] == "active")
    spider = SweepSpider(platforms=platform, endpoints=simulator.endpoints)
    request = spider.screenshot_request({"platform": platform, "url": target["url"]})
    wait_for = request.meta["playwright_page_methods"][0].args[0]
    shown = Selector(text=httpx.get(target["url"], timeout=30).text)
    assert any(shown.css(selector) for selector in wait_for), f"{platform}: one of {wait_for!r} is on its page"
