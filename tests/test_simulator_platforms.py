"""Each platform archetype renders what simulator/README.md documents, and serves no ground truth."""
from __future__ import annotations

import io
import json
import zipfile

import httpx
import pytest
from parsel import Selector

from simulator import SimulatorServer


@pytest.fixture(scope="module")
def truth(simulator: SimulatorServer) -> list[dict]:
    return simulator.ground_truth()


@pytest.fixture(scope="module")
def http() -> httpx.Client:
    with httpx.Client(timeout=30) as client:
        yield client


def first(truth: list[dict], **fields: object) -> dict:
    return next(r for r in truth if all(r[k] == v for k, v in fields.items()))


def page(http: httpx.Client, url: str, **params: object) -> Selector:
    response = http.get(url, params=params) if params else http.get(url)
    assert response.status_code == 200, url
    return Selector(text=response.text)


def test_files_written_at_start(simulator: SimulatorServer, truth: list[dict]) -> None:
    assert json.loads(simulator.endpoints_path.read_text()) == simulator.endpoints
    assert list(simulator.endpoints) == ["market", "feed", "search", "agencies", "services", "app"]
    assert len({url.rsplit(":", 1)[1] for url in simulator.endpoints.values()}) == 6
    lines = simulator.ground_truth_path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == truth
    assert simulator.registry_path.read_text(encoding="utf-8").startswith("code,name,district\n")


def test_market_search_pagination_detail_and_shop(simulator: SimulatorServer, truth: list[dict],
                                                 http: httpx.Client) -> None:
    base = simulator.endpoints["market"]
    home = page(http, base + "/")
    assert "商标注册" in home.css("a.hot-keyword::text").getall()
    expected = [r["id"] for r in truth if r["platform"] == "market" and "商标注册" in r["keywords"]]
    seen: list[str] = []
    url = base + "/search?q=%E5%95%86%E6%A0%87%E6%B3%A8%E5%86%8C"
    while url:
        results = page(http, url)
        for card in results.css("div.item-card"):
            assert card.css(".item-title::text").get() and card.css(".item-price::text").get()
            seen.append(card.attrib["data-id"])
        next_href = results.css("a.next-page::attr(href)").get()
        url = base + next_href if next_href else None
    assert seen == expected and len(seen) > 20

    record = first(truth, platform="market", kind="violation", evasion="none", quirk=None)
    link = http.get(f"{base}/item.htm?id={record['id']}&spm=a2o.search.1&utm_source=x")
    assert link.status_code == 301 and link.headers["location"] == f"/item.htm?id={record['id']}"
    assert http.get(f"{base}/item/{record['id']}").headers["location"] == f"/item.htm?id={record['id']}"
    detail = page(http, record["url"])
    assert detail.css("h1.item-title::text").get() == record["title"]
    assert detail.css("link[rel=canonical]::attr(href)").get() == record["url"]
    assert detail.css("span.item-price::text").get().startswith("¥")
    assert detail.css("a.seller-link::text").get() == record["seller"]
    provinces = ("上海", "北京", "江苏", "浙江", "广东", "安徽", "山东")
    assert detail.css("span.shop-location::text").get().startswith(provinces)
    assert len(detail.css("div.item-desc p")) >= 2
    image = http.get(base + detail.css("div.item-images img::attr(src)").get())
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    shop = page(http, base + detail.css("a.seller-link::attr(href)").get())
    assert shop.css("h1.shop-name::text").get() == record["seller"]
    assert record["id"] in shop.css("div.item-card::attr(data-id)").getall()


def test_search_engine_ads_organic_results_and_redirects(simulator: SimulatorServer, truth: list[dict],
                                                        http: httpx.Client) -> None:
    base = simulator.endpoints["search"]
    results = page(http, base + "/s", wd="专利申请", pn=0)
    ads = results.css("div.result.ad")
    assert 1 <= len(ads) <= 3
    assert all(ad.css("span.ad-mark::text").get() == "广告" for ad in ads)
    organic = results.css("div.result.organic")
    assert len(organic) == 10
    assert results.css("div#page a.n::text").get() == "下一页>"
    ad_href = ads[0].css("h3 a::attr(href)").get()
    click = http.get(base + ad_href)
    ad_id = ads[0].attrib["data-id"]
    assert click.status_code == 302 and click.headers["location"] == f"/ad/{ad_id}"
    record = first(truth, id=ad_id)
    assert record["platform"] == "search" and "专利申请" in record["keywords"]
    ad_page = page(http, record["url"])
    assert ad_page.css("h1.ad-title::text").get() == record["title"]
    target = organic[0].css("span.source-url::text").get()
    hop = http.get(base + organic[0].css("h3 a::attr(href)").get())
    assert hop.status_code == 302 and hop.headers["location"] == target
    assert target.startswith((simulator.endpoints["agencies"], simulator.endpoints["market"]))
    assert http.get(target).status_code == 200


def test_agency_sites_have_sitemaps_layouts_and_facts(simulator: SimulatorServer, truth: list[dict],
                                                     http: httpx.Client) -> None:
    base = simulator.endpoints["agencies"]
    robots = http.get(base + "/robots.txt").text
    assert f"Sitemap: {base}/sitemap.xml" in robots
    index = Selector(text=http.get(base + "/sitemap.xml").text, type="xml")
    index.remove_namespaces()
    site_maps = index.xpath("//sitemap/loc/text()").getall()
    assert site_maps
    layouts = set()
    for record in [r for r in truth if r["platform"] == "agencies"][:12]:
        service = page(http, record["url"])
        assert service.css("h1.service-title::text").get() == record["title"]
        layouts.add(service.css("body::attr(data-layout)").get())
        site_root = record["url"].split("/services/")[0]
        site_map = Selector(text=http.get(site_root + "/sitemap.xml").text, type="xml")
        site_map.remove_namespaces()
        assert record["url"] in site_map.xpath("//url/loc/text()").getall()
        about = page(http, site_root + "/about")
        assert about.css(".agency-name::text").get() == record["seller"]
        codes = set(about.css(".agency-code::text").getall())
        assert codes == ({record["agency_code"]} if record["agency_code"] else set())
        assert set(service.css(".agency-code::text").getall()) == codes  # the footer of every page
        assert service.css(".agency-district::text").get() and service.css(".agency-phone::text").get()
        contact = page(http, site_root + "/contact")
        assert contact.css(".agency-phone::text").get()
    assert layouts == {"classic", "modern", "minimal"}
    assert http.get(site_root).status_code == 301


def test_service_market_is_gbk_encoded(simulator: SimulatorServer, truth: list[dict], http: httpx.Client) -> None:
    base = simulator.endpoints["services"]
    response = http.get(base + "/search", params={"kw": "专利申请"})
    assert response.headers["content-type"] == "text/html; charset=GBK"
    assert b'<meta charset="gbk">' in response.content
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    results = Selector(text=response.content.decode("gbk"))
    items = results.css("li.service-item")
    assert len(items) == 15 and results.css("a.page-next::attr(href)").get()
    record = first(truth, id=items[0].attrib["data-id"])
    detail = Selector(text=http.get(record["url"]).content.decode("gbk"))
    assert detail.css("h1.service-name::text").get() == record["title"]
    def outside_gbk(text: str) -> bool:
        return text.encode("gbk", errors="replace").decode("gbk") != text

    record_outside = next(r for r in truth if r["platform"] == "services"
                          and outside_gbk(simulator.world.by_id(r["id"]).text))
    char = next(c for c in simulator.world.by_id(record_outside["id"]).text if outside_gbk(c))
    assert f"&#{ord(char)};".encode() in http.get(record_outside["url"]).content
    assert http.get(f"{base}/service/{record['id']}").headers["location"] == f"/service/{record['id']}.html"


def test_app_search_is_a_json_api_and_its_pages_embed_their_state(simulator: SimulatorServer, truth: list[dict],
                                                                   http: httpx.Client) -> None:
    base = simulator.endpoints["app"]
    assert "商标注册" in page(http, base + "/").css("a.hot-keyword::text").getall()
    expected = [r["id"] for r in truth if r["platform"] == "app" and "商标注册" in r["keywords"]]
    seen: list[str] = []
    url: str | None = base + "/api/search?keyword=%E5%95%86%E6%A0%87%E6%B3%A8%E5%86%8C&page=1"
    while url:
        response = http.get(url)
        assert response.headers["content-type"].startswith("application/json")
        data = response.json()["data"]
        seen += [item["id"] for item in data["items"]]
        url = base + data["next"] if data["next"] else None
    assert seen == expected and len(seen) > 1
    record = first(truth, platform="app", status="active")
    shell = page(http, record["url"])
    assert not shell.css("#app *:not(noscript)"), "the page itself shows nothing without its script"
    script = shell.xpath("//script[contains(., '__INITIAL_STATE__')]/text()").get()
    state = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    assert state["goods"]["title"] == record["title"] and state["goods"]["seller"]["name"] == record["seller"]
    seller = page(http, base + state["goods"]["seller"]["link"])
    assert seller.xpath("//script[contains(., '__INITIAL_STATE__')]")


def test_robots_txt_disallows_a_linked_private_path(simulator: SimulatorServer, http: httpx.Client) -> None:
    for base in simulator.endpoints.values():
        robots = http.get(base + "/robots.txt")
        assert robots.status_code == 200 and "User-agent: *" in robots.text
        assert "Disallow: /private/" in robots.text and "Disallow: /__admin/" in robots.text
    market = page(http, simulator.endpoints["market"] + "/")
    private = market.css("a[href^='/private/']::attr(href)").get()
    before = simulator.stats()["disallowed_hits"]
    assert http.get(simulator.endpoints["market"] + private).status_code == 200
    assert simulator.stats()["disallowed_hits"] == before + 1


def test_quirks_huge_malformed_and_binary_pages(simulator: SimulatorServer, truth: list[dict],
                                               http: httpx.Client) -> None:
    huge = http.get(first(truth, quirk="huge")["url"])
    assert huge.status_code == 200 and len(huge.content) > 2_000_000
    malformed = http.get(first(truth, quirk="malformed")["url"])
    assert malformed.status_code == 200 and malformed.text.count("</html>") == 2
    assert 'data-x="unterminated>' in malformed.text
    base = simulator.endpoints["market"]
    assert page(http, base + "/").css("a[href='/promo/rules.html']")
    binary = http.get(base + "/promo/rules.html")
    assert binary.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(binary.content)).namelist() == ["rules.txt", "banner.bin"]


def test_pages_never_show_the_ground_truth(simulator: SimulatorServer, truth: list[dict], http: httpx.Client) -> None:
    for record in [r for r in truth if r["labels"] and r["platform"] != "feed"][:25]:
        response = http.get(record["url"])
        text = response.content.decode("gbk" if record["platform"] == "services" else "utf-8")
        for secret in [*record["labels"], record["kind"], record["group"], "in_registry", "evasion"]:
            assert secret not in text, (record["url"], secret)


def test_unknown_pages_are_404(simulator: SimulatorServer, http: httpx.Client) -> None:
    assert http.get(simulator.endpoints["market"] + "/item.htm?id=L999999").status_code == 404
    assert http.get(simulator.endpoints["market"] + "/item.htm?id=nonsense").status_code == 404
    assert http.get(simulator.endpoints["services"] + "/service/L000000.html").status_code in (200, 404)
    assert http.get(simulator.endpoints["feed"] + "/api/note/L999999").json()["error"] == "not_found"
    assert http.get(simulator.endpoints["agencies"] + "/site/nobody/").status_code == 404
    unknown_sellers = (("market", "/shop/nobody", "店铺不存在"), ("services", "/shop/nobody/", "店铺不存在"),
                       ("app", "/user/nobody", "用户不存在"), ("feed", "/user/nobody", "用户不存在"))
    for platform, path, missing in unknown_sellers:
        answer = http.get(simulator.endpoints[platform] + path)
        assert (answer.status_code, answer.text.strip()) == (404, missing), platform
