"""Platform definitions are YAML that staff edit: the shipped ones load, broken ones fail naming file and field."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.config import ConfigError
from core.settings import project_root
from crawler.platforms import Catalog, load_endpoints, read_keywords_file

SIMULATOR_ARCHETYPES = {"market", "feed", "search", "agencies", "services", "app"}


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    shutil.copytree(project_root() / "config" / "platforms", root / "platforms")
    shutil.copytree(project_root() / "config" / "keywords", root / "keywords")
    return root


def test_shipped_platforms_cover_every_simulator_archetype() -> None:
    catalog = Catalog()
    assert SIMULATOR_ARCHETYPES <= set(catalog.platforms)
    for platform in catalog.select():
        assert platform.base_url, platform.name
        if platform.search is not None:
            assert catalog.keywords_for(platform), platform.name
    assert catalog.platforms["feed"].browser.enabled
    assert not catalog.platforms["market"].browser.enabled
    assert catalog.platforms["agencies"].kind == "site"
    app = catalog.platforms["app"]
    assert not app.browser.enabled and app.listing.source == "json" and app.detail.source == "embedded"


def test_new_platform_is_one_yaml_file(config_copy: Path) -> None:
    (config_copy / "platforms" / "newsite.yaml").write_text(
        "base_url: http://127.0.0.1:9000\n"
        "search: {url: '/find?w={keyword}&p={page}'}\n"
        "listing: {card: li.hit, link: 'a::attr(href)'}\n"
        "keywords: [商标注册]\n",
        encoding="utf-8",
    )
    catalog = Catalog(config_copy)
    platform = catalog.select(["newsite"])[0]
    assert platform.politeness.obey_robots is True
    assert catalog.keywords_for(platform) == ["商标注册"]


@pytest.mark.parametrize(
    ("yaml_text", "field", "message"),
    [
        ("search: {url: '/s?q=x'}\nlisting: {card: a, link: a}\nkeywords: [k]\n", "search.url", "{keyword}"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: 'div[', link: a}\nkeywords: [k]\n", "listing.card",
         "invalid selector"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\npoliteness: {delay: -1}\n",
         "politeness.delay", "greater than or equal"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\nspeed: 3\n", "speed",
         "Extra inputs"),
        # A listing's fields are read on its own page: a card's title would be ignored, so it is refused.
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a, title: h3}\nkeywords: [k]\n",
         "listing.title", "Extra inputs"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\n", "(top level)", "keyword_lists"),
        ("kind: site\n", "(top level)", "start_urls"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {source: json, card: 'data.items[', link: url}\nkeywords: [k]\n",
         "listing.card", "invalid JMESPath expression 'data.items['"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\n"
         "detail: {source: embedded, title: a.title, text: a.text}\n", "detail", "needs `embedded`"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\n"
         "detail: {source: embedded, embedded: 'window[0]', title: a, text: b}\n", "detail.embedded",
         "not a JavaScript variable"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\n"
         "detail: {source: json, title: note.title}\n", "detail", "needs `title` and `text`"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {source: json, card: items, link: url}\nkeywords: [k]\n"
         "browser: {enabled: true}\n", "(top level)", "without the browser"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\n"
         "seller: {source: json, listing_links: 'items[?'}\n", "seller.listing_links", "invalid JMESPath"),
        # Selectors only the browser reads must be ones it can read: lxml's EXSLT functions are not.
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div.card, link: a}\nkeywords: [k]\n"
         "browser: {enabled: true, load_more: '//button[re:test(., \"更多\")]'}\n", "browser.load_more",
         "calls re:test(), which the crawler's XPath (lxml) has and the browser's does not"),
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div.card, link: a}\nkeywords: [k]\n"
         "browser: {enabled: true, wait_for: '//div[set:distinct(@class)]'}\n", "browser.wait_for",
         "calls set:distinct()"),
        # A listing is waited for (before its evidence screenshot) until its title or text is there.
        ("search: {url: '/s?q={keyword}'}\nlisting: {card: div, link: a}\nkeywords: [k]\n"
         "detail: {title: '//h1[re:test(@class, \"^t\")]', text: '//div[re:test(@id, \"^d\")]//text()'}\n",
         "detail.title", "set browser.detail_wait_for"),
    ],
)
def test_invalid_platform_names_file_and_field(config_copy: Path, yaml_text: str, field: str, message: str) -> None:
    path = config_copy / "platforms" / "broken.yaml"
    path.write_text("base_url: http://127.0.0.1:9000\n" + yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        Catalog(config_copy)
    text = str(error.value)
    assert str(path) in text and field in text and message in text


def test_fields_read_with_lxml_only_functions_are_accepted_while_the_browser_can_wait_for_something(
        config_copy: Path) -> None:
    """The crawler reads `re:test()` and `has-class()` (parsel, lxml); the browser reads `has-class()` translated, and
    waits for a listing's other field, or for `browser.detail_wait_for`, when one field calls `re:test()`."""
    path = config_copy / "platforms" / "lxml.yaml"
    head = "base_url: http://127.0.0.1:9000\nsearch: {url: '/s?q={keyword}'}\nkeywords: [k]\n"
    for rest in ("listing: {card: div.card, link: a}\ndetail: {title: '//h1[re:test(@class, \"^t\")]', "
                 "text: '//div[has-class(\"desc\")]//text()'}\n",
                 "listing: {card: div.card, link: a}\ndetail: {title: '//h1[re:test(@class, \"^t\")]'}\n"
                 "browser: {detail_wait_for: h1}\n",
                 "listing: {card: div.card, link: a}\n"
                 "browser: {enabled: true, wait_for: '//div[has-class(\"card\")]', load_more: 'button.more::text'}\n"):
        path.write_text(head + rest, encoding="utf-8")
        assert Catalog(config_copy).platforms["lxml"].name == "lxml"


def test_missing_keyword_list_names_the_platform(config_copy: Path) -> None:
    path = config_copy / "platforms" / "market.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("[ip-agency]", "[nonexistent]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"market\.yaml: keyword_lists: keyword list 'nonexistent' not found"):
        Catalog(config_copy)


def test_invalid_yaml_syntax_names_the_file(config_copy: Path) -> None:
    path = config_copy / "platforms" / "market.yaml"
    path.write_text("search: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="market.yaml: invalid YAML"):
        Catalog(config_copy)


def test_endpoints_override_base_urls(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text(json.dumps({"market": "http://127.0.0.1:1234", "feed": "http://127.0.0.1:1235"}))
    catalog = Catalog(endpoints=load_endpoints(endpoints))
    market = catalog.platforms["market"]
    assert market.absolute(market.search.url.format(keyword="k", page=2)) == "http://127.0.0.1:1234/search?q=k&page=2"
    assert catalog.platforms["search"].base_url == "http://127.0.0.1:8602"


def test_bad_endpoints_file_is_a_clear_error(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    endpoints.write_text('{"market": "ftp://x"}')
    with pytest.raises(ConfigError, match="market.*not an http"):
        load_endpoints(endpoints)
    with pytest.raises(ConfigError, match="not found"):
        load_endpoints(tmp_path / "missing.json")


def test_unknown_platform_lists_the_configured_ones() -> None:
    with pytest.raises(ConfigError, match="unknown platform.*nosuch.*configured: .*market"):
        Catalog().select(["nosuch"])


def test_keywords_file_plain_text_and_yaml(tmp_path: Path) -> None:
    plain = tmp_path / "words.txt"
    plain.write_text("# comment\n商标注册\n\n撤三\n商标注册\n", encoding="utf-8")
    assert read_keywords_file(plain) == ["商标注册", "撤三", "商标注册"]
    assert "撤三" in read_keywords_file(project_root() / "config" / "keywords" / "ip-agency.yaml")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no keywords"):
        read_keywords_file(empty)


def test_lantian_crawl_prints_a_config_error_with_its_selector_whole(config_copy: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The message names the selector as written: `[re:test(...)]` or `[@class='x']` printed as Rich markup were
    read as style tags and left out, so staff read `'//button' calls re:test()`."""
    from typer.testing import CliRunner

    from lantian.cli import app

    shutil.copy(project_root() / "config" / "lantian.yaml", config_copy / "lantian.yaml")
    (config_copy / "platforms" / "broken.yaml").write_text(
        "base_url: http://127.0.0.1:9000\nsearch: {url: '/s?q={keyword}'}\nlisting: {card: div.card, link: a}\n"
        "keywords: [k]\nbrowser: {enabled: true, load_more: \"//button[@class='more'][re:test(., '更多')]\"}\n",
        encoding="utf-8")
    monkeypatch.setenv("LANTIAN_CONFIG_DIR", str(config_copy))
    monkeypatch.setenv("COLUMNS", "300")
    result = CliRunner().invoke(app, ["crawl", "-p", "broken"])
    assert result.exit_code == 2
    assert "browser.load_more: \"//button[@class='more'][re:test(., '更多')]\" calls re:test()" in result.output
