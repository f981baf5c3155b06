"""Platform definitions: one YAML file per platform in `config/platforms/`, validated at load.

Staff add a site by writing a YAML file, never Python. Every error names the file and the field, so a broken
definition is fixed from the message alone.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urljoin, urlsplit

import jmespath
from jmespath.exceptions import JMESPathError
from parsel import Selector
from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config import ConfigError, StrictModel, read_yaml, validate
from core.settings import config_dir
from crawler.browser_xpath import functions_the_browser_lacks

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _check_selector(value: str | None) -> str | None:
    """Compile a CSS or XPath selector now so a typo fails at load, not mid-crawl."""
    if value is None:
        return None
    try:
        probe = Selector(text="<html><body></body></html>")
        kind, expression = split_selector(value)
        probe.xpath(expression) if kind == "xpath" else probe.css(expression)
    except Exception as exc:  # parsel raises several types for bad expressions
        raise ValueError(f"invalid selector {value!r}: {exc}") from exc
    return value


def split_selector(value: str) -> tuple[str, str]:
    """`xpath:...`/`css:...` prefixes choose the language; a leading `/`, `./` or `(` means XPath, else CSS."""
    if value.startswith("xpath:"):
        return "xpath", value[len("xpath:"):].strip()
    if value.startswith("css:"):
        return "css", value[len("css:"):].strip()
    if value.startswith(("/", "./", "(")):
        return "xpath", value
    return "css", value


def browser_lacks(value: str) -> list[str]:
    """The functions selector `value` calls that the crawler's XPath (lxml) has and the browser's lacks (`re:test`,
    ...; `has-class` is translated for the browser): such a selector reads pages but cannot be waited for."""
    kind, expression = split_selector(value)
    return functions_the_browser_lacks(expression) if kind == "xpath" else []


def _lacking(value: str) -> str:
    return ", ".join(f"{name}()" for name in browser_lacks(value))


def _check_browser_selector(value: str | None) -> str | None:
    """A selector given to the browser alone (what it waits for, what it clicks): valid, and read by the browser."""
    if value is not None and browser_lacks(_check_selector(value) or value):
        raise ValueError(f"{value!r} calls {_lacking(value)}, which the crawler's XPath (lxml) has and the browser's "
                         "does not: write it as CSS or with XPath 1.0 functions")
    return value


def _check_jmespath(value: str | None) -> str | None:
    """Compile a JMESPath expression now so a typo fails at load, not mid-crawl."""
    if value is None:
        return None
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(f"invalid JMESPath expression {value!r}: {str(exc).splitlines()[0]}") from exc
    return value


SelectorStr = Annotated[str, Field(min_length=1)]
PageSource = Literal["html", "json", "embedded"]
VARIABLE_PATTERN = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


class PageReading(StrictModel):
    """How a page is read: `source: html` (the default) with CSS/XPath selectors, or JMESPath expressions on data —
    `json` (the response is JSON, e.g. a search API) or `embedded` (the JSON a script of the page assigns to the
    variable `embedded`, e.g. `window.__INITIAL_STATE__`)."""

    source: PageSource = "html"
    embedded: str | None = None

    @field_validator("embedded")
    @classmethod
    def _variable(cls, value: str | None) -> str | None:
        if value is not None and not VARIABLE_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a JavaScript variable (e.g. window.__INITIAL_STATE__)")
        return value

    @model_validator(mode="after")
    def _embedded_with_its_source(self) -> PageReading:
        if self.source == "embedded" and not self.embedded:
            raise ValueError("source: embedded needs `embedded`, the variable holding the data "
                             "(e.g. window.__INITIAL_STATE__)")
        if self.embedded and self.source != "embedded":
            raise ValueError("`embedded` is read only with source: embedded")
        return self


def _check_field(value: str | None, info: ValidationInfo) -> str | None:
    """A field's selector (source html) or JMESPath expression (source json or embedded)."""
    if info.data.get("source", "html") == "html":
        return _check_selector(value)
    return _check_jmespath(value)


class FieldSelectors(PageReading):
    """Selectors (or JMESPath expressions) for the fields of a listing; each yields text (a selector may read an
    attribute via `::attr()` / `@attr`)."""

    title: SelectorStr | None = None
    text: SelectorStr | None = None
    price: SelectorStr | None = None
    seller: SelectorStr | None = None
    seller_url: SelectorStr | None = None
    location: SelectorStr | None = None
    images: SelectorStr | None = None
    contacts: SelectorStr | None = None

    @field_validator("title", "text", "price", "seller", "seller_url", "location", "images", "contacts")
    @classmethod
    def _valid(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_field(value, info)


class ListingSelectors(PageReading):
    """A search-result or feed page: one `card` per listing, `link` to its detail page. A listing's fields are read
    on its own page (`detail`), so a card's title or price given here would be refused, not silently ignored."""

    card: SelectorStr
    link: SelectorStr
    next_page: SelectorStr | None = None

    @field_validator("card", "link", "next_page")
    @classmethod
    def _valid_listing(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_field(value, info)


class DetailSelectors(FieldSelectors):
    """A listing's own page. `removed_markers` are phrases meaning the listing was taken down (已下架)."""

    removed_markers: list[str] = Field(default_factory=lambda: ["已下架", "该商品已删除", "宝贝不存在"])

    @model_validator(mode="after")
    def _data_names_its_text(self) -> DetailSelectors:
        if self.source != "html" and not (self.title and self.text):
            raise ValueError(f"source: {self.source} needs `title` and `text` (data has no page layout to find "
                             "the main text in)")
        return self


class SellerSelectors(PageReading):
    """A seller's shop page: links to more of the seller's listings."""

    follow: bool = True
    listing_links: SelectorStr | None = None
    next_page: SelectorStr | None = None

    @field_validator("listing_links", "next_page")
    @classmethod
    def _valid(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_field(value, info)


class SearchConfig(StrictModel):
    """A keyword search: `url` is a template with `{keyword}` and optionally `{page}`.

    `{page}` runs first_page, first_page + page_step, ...: page numbers (1, 2, 3) or result offsets (0, 10, 20).
    """

    url: str
    first_page: int = 1
    page_step: int = Field(default=1, ge=1)
    max_pages: int = Field(default=10, ge=1)
    keyword_encoding: str = "utf-8"

    @field_validator("url")
    @classmethod
    def _template(cls, value: str) -> str:
        if "{keyword}" not in value:
            raise ValueError("search url template must contain {keyword}")
        try:
            value.format(keyword="k", page=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"search url template {value!r} has an unknown placeholder: {exc}") from exc
        return value

    @field_validator("keyword_encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            "测试".encode(value)
        except LookupError as exc:
            raise ValueError(f"unknown encoding {value!r}") from exc
        return value


class BrowserConfig(StrictModel):
    """Render pages in Chromium: wait for XHR-loaded cards, then scroll or click "load more"."""

    enabled: bool = False
    wait_for: SelectorStr | None = None
    detail_wait_for: SelectorStr | None = None
    load_more: SelectorStr | None = None
    max_scrolls: int = Field(default=20, ge=0)
    wait_timeout_ms: int = Field(default=8000, ge=100)
    settle_ms: int = Field(default=1500, ge=0)
    render_detail_pages: bool = False
    block_listing_resources: bool = True

    @field_validator("wait_for", "detail_wait_for", "load_more")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        return _check_browser_selector(value)


class Politeness(StrictModel):
    concurrency: int = Field(default=4, ge=1, le=64)
    delay: float = Field(default=0.0, ge=0)
    obey_robots: bool = True


class SiteFacts(StrictModel):
    """Facts an agency states once for its whole site (name, district, phones, code), read from one page per
    site (e.g. its contact page) and filled into the site's listings where their own page lacks them."""

    root: str = r"^(https?://[^/]+/)"
    page: str = "contact"
    seller: SelectorStr | None = None
    location: SelectorStr | None = None
    contacts: SelectorStr | None = None

    @field_validator("root")
    @classmethod
    def _root(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        if compiled.groups < 1:
            raise ValueError("needs a group capturing the site's root URL")
        return value

    @field_validator("seller", "location", "contacts")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        return _check_selector(value)


class SiteCrawl(StrictModel):
    """An agency website: follow internal links (about/service/contact) and its sitemap."""

    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    sitemap: bool = True
    max_depth: int = Field(default=3, ge=0)
    detail_pattern: str | None = None
    facts: SiteFacts | None = None

    @field_validator("allow", "deny")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        return value

    @field_validator("detail_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            cls._regexes([value])
        return value


class ItemId(StrictModel):
    """How the platform numbers its listings, read from a listing's URL: what the platform calls the number
    (商品ID, 笔记ID, …) and a regular expression whose one group is the number."""

    name: str = Field(min_length=1)
    pattern: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        try:
            groups = re.compile(value).groups
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        if groups != 1:
            raise ValueError(f"needs exactly one group (the listing's number), has {groups}")
        return value


class Operator(StrictModel):
    """Who runs the platform, as takedown letters name it: its legal name, where it takes complaints, and how it
    numbers listings (so a letter names each listing by the platform's own number, not only its URL)."""

    legal_name: str = Field(min_length=1)
    complaint_channel: str = Field(min_length=1)
    item_id: ItemId | None = None

    def item_id_of(self, url: str) -> str | None:
        """The platform's number for the listing at `url`, or None when the URL does not carry one."""
        if self.item_id is None:
            return None
        match = re.search(self.item_id.pattern, url)
        return match.group(1) if match else None


class PlatformConfig(StrictModel):
    """One platform: where to start, how to read its pages, how politely, and which keywords it sweeps."""

    name: str
    display_name: str = ""
    enabled: bool = True
    description: str = ""
    operator: Operator | None = None
    kind: Literal["sweep", "site"] = "sweep"
    base_url: str | None = None
    start_urls: list[str] = Field(default_factory=list)
    search: SearchConfig | None = None
    listing: ListingSelectors | None = None
    detail: DetailSelectors = Field(default_factory=DetailSelectors)
    seller: SellerSelectors = Field(default_factory=SellerSelectors)
    site: SiteCrawl = Field(default_factory=SiteCrawl)
    browser: BrowserConfig = Field(default_factory=BrowserConfig)
    politeness: Politeness = Field(default_factory=Politeness)
    allowed_domains: list[str] = Field(default_factory=list)
    keyword_lists: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    strip_params: list[str] = Field(default_factory=list)
    recrawl_interval_hours: float = Field(default=24.0, ge=0)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is not None:
            _check_http_url(value)
        return value

    @model_validator(mode="after")
    def _entry_points(self) -> PlatformConfig:
        if self.kind == "sweep":
            if self.search is None and not self.start_urls:
                raise ValueError("a sweep platform needs `search` or `start_urls`")
            if self.listing is None:
                raise ValueError("a sweep platform needs `listing` selectors (card, link)")
            if self.search is not None and not (self.keyword_lists or self.keywords):
                raise ValueError("a platform with `search` needs `keyword_lists` or `keywords`")
        elif not self.start_urls:
            raise ValueError("a site platform needs `start_urls`")
        if self.browser.enabled and self.listing is not None and self.listing.source != "html":
            raise ValueError(f"listing.source {self.listing.source} reads results without the browser: "
                             "set browser.enabled to false")
        if self.browser.enabled and self.listing is not None and split_selector(self.listing.card)[0] == "xpath":
            raise ValueError("listing.card must be a CSS selector when browser.enabled (cards are counted in the page)")
        return self

    @model_validator(mode="after")
    def _detail_waited_for(self) -> PlatformConfig:
        """A listing's page is waited for (its evidence screenshot, a rendered detail page) until its title or text
        is there, unless `browser.detail_wait_for` names what to wait for: the browser must read one of them."""
        if self.detail.source != "html" or self.browser.detail_wait_for:
            return self
        fields = {name: value for name in ("title", "text") if (value := getattr(self.detail, name))}
        if fields and all(browser_lacks(value) for value in fields.values()):
            name, value = next(iter(fields.items()))
            raise ValueError(f"detail.{name} calls {_lacking(value)}, which the browser's XPath lacks, and the "
                             "browser waits for a listing's title or text before its evidence screenshot: set "
                             "browser.detail_wait_for to a CSS or XPath 1.0 selector of what shows the listing")
        return self

    def with_base_url(self, base_url: str) -> PlatformConfig:
        _check_http_url(base_url)
        return self.model_copy(update={"base_url": base_url.rstrip("/") + "/"})

    def absolute(self, url: str) -> str:
        """Resolve a path in the config against the platform's base URL."""
        if urlsplit(url).scheme:
            return url
        if not self.base_url:
            raise ConfigError(
                f"platform {self.name!r}: no base_url to resolve {url!r}; set `base_url` or pass --endpoints"
            )
        return urljoin(self.base_url, url)

    def own_urls(self) -> tuple[str, ...]:
        """Its base URL and start URLs: the origins its config names, which it may reach also on an internal address
        (`crawler.addresses`)."""
        return tuple(url for url in (self.base_url, *map(self.absolute, self.start_urls)) if url)

    def check_urls(self) -> None:
        """Fail before crawling, with a ConfigError naming the platform, when a start or search URL is a path and
        the platform has no base URL to resolve it against."""
        for url in self.start_urls:
            self.absolute(url)
        if self.search is not None:
            self.absolute(self.search.url)

    def domains(self) -> list[str]:
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts = {urlsplit(self.absolute(url)).hostname for url in self.start_urls}
        if self.base_url:
            hosts.add(urlsplit(self.base_url).hostname)
        return sorted(host for host in hosts if host)


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """Whether the host of `url` is one of `domains` or a subdomain of one, as Scrapy's offsite filter reads
    `allowed_domains`: a host that merely contains one (`127.0.0.1.evil.example`, or a domain in another site's
    query) is another site."""
    host = (urlsplit(url).hostname or "").lower()
    return bool(host) and any(host == domain or host.endswith("." + domain) for domain in domains)


def _check_http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL")


class KeywordList(StrictModel):
    description: str = ""
    keywords: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)


def load_platform(path: Path) -> PlatformConfig:
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    data.setdefault("name", path.stem)
    if data["name"] != path.stem:
        raise ConfigError(f"{path}: name: {data['name']!r} must match the file name {path.stem!r}")
    return validate(PlatformConfig, data, path)


def display_names(root: Path | None = None) -> dict[str, str]:
    """The name staff know each configured platform by (`display_name`), by its code (`name`: the identifier leads,
    `-p`, file names and references use); a platform whose YAML gives none goes by its code."""
    platform_dir = Path(root or config_dir()) / "platforms"
    return {platform.name: platform.display_name or platform.name
            for platform in map(load_platform, sorted(platform_dir.glob("*.y*ml")))}


def load_keyword_list(path: Path) -> KeywordList:
    data = read_yaml(path)
    if isinstance(data, list):
        data = {"keywords": data}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping with `keywords`")
    return validate(KeywordList, data, path)


def load_endpoints(path: Path) -> dict[str, str]:
    """The simulator's (or a deployment's) `{platform: base_url}` file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: endpoints file not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: invalid endpoints JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError(f"{path}: endpoints must be a JSON object of platform name to base URL")
    for name, url in data.items():
        try:
            _check_http_url(url)
        except ValueError as exc:
            raise ConfigError(f"{path}: {name}: {exc}") from None
    return data


class Catalog:
    """All platform definitions and keyword lists of one config dir, with base-URL overrides applied."""

    def __init__(self, root: Path | None = None, endpoints: dict[str, str] | None = None) -> None:
        self.root = Path(root or config_dir())
        platform_dir = self.root / "platforms"
        if not platform_dir.is_dir():
            raise ConfigError(f"{platform_dir}: platform config directory not found")
        self.platforms: dict[str, PlatformConfig] = {}
        for path in sorted(platform_dir.glob("*.y*ml")):
            platform = load_platform(path)
            if endpoints and platform.name in endpoints:
                platform = platform.with_base_url(endpoints[platform.name])
            self.platforms[platform.name] = platform
        self._keyword_cache: dict[str, KeywordList] = {}
        for platform in self.platforms.values():
            for list_name in platform.keyword_lists:
                self.keyword_list(list_name, platform.name)

    def keyword_list(self, name: str, used_by: str | None = None) -> KeywordList:
        if name not in self._keyword_cache:
            path = self.root / "keywords" / f"{name}.yaml"
            if not path.exists():
                where = f"{self.root / 'platforms' / used_by}.yaml: keyword_lists" if used_by else str(path)
                raise ConfigError(f"{where}: keyword list {name!r} not found ({path})")
            self._keyword_cache[name] = load_keyword_list(path)
        return self._keyword_cache[name]

    def select(self, names: list[str] | None = None) -> list[PlatformConfig]:
        """The named platforms (any, even disabled), or every enabled one."""
        if not names:
            return [p for p in self.platforms.values() if p.enabled]
        unknown = [name for name in names if name not in self.platforms]
        if unknown:
            known = ", ".join(sorted(self.platforms)) or "none"
            raise ConfigError(f"unknown platform(s) {', '.join(unknown)}; configured: {known}")
        return [self.platforms[name] for name in names]

    def platform_for(self, url: str) -> PlatformConfig | None:
        """The configured platform a URL belongs to: same origin as its base or start URLs, else a host in its
        `allowed_domains` (or a subdomain of one); None when no config describes the URL's site."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc.lower())
        for platform in self.platforms.values():
            bases = [platform.base_url] if platform.base_url else []
            bases += [start for start in platform.start_urls if urlsplit(start).scheme]
            if any((urlsplit(base).scheme, urlsplit(base).netloc.lower()) == origin for base in bases):
                return platform
        for platform in self.platforms.values():
            if on_domains(url, platform.allowed_domains):
                return platform
        return None

    def keywords_for(self, platform: PlatformConfig, override: list[str] | None = None) -> list[str]:
        """The platform's keywords, de-duplicated in order; `override` (from --keywords) replaces them."""
        if override is not None:
            return list(dict.fromkeys(override))
        words: list[str] = []
        for list_name in platform.keyword_lists:
            words.extend(self.keyword_list(list_name, platform.name).keywords)
        words.extend(platform.keywords)
        return list(dict.fromkeys(words))


def read_keywords_file(path: Path) -> list[str]:
    """`--keywords FILE`: a YAML keyword list, or plain text with one keyword per line."""
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        return list(load_keyword_list(path).keywords)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: keywords file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read keywords: {exc}") from None
    words = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not words:
        raise ConfigError(f"{path}: no keywords")
    return words
