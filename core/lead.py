"""The documents that travel between the parts: a listing (crawler → detector, store), a detection (detector →
crawler, store) and a lead (store → casework, exports, Kibana), with the rules that name them.

A detection is a pydantic model (`Detection`): the detector builds it once per listing, so its fields are checked
where they are made and read as attributes downstream; `Detection.document()` is the JSON document it always was.
A lead is a pydantic model as well (`Lead`, what the store hands casework, the console and the exports), made from
the stored document and giving it back unchanged by `Lead.document()`; the store itself works on that document
(`LeadDocument`). A listing is a typed dict (`Listing`): the crawler's item has its fields, and JSONL input to
`lantian detect` is one. Each of them keeps a field outside its type
(an older or a newer document's) whole, so the stores, the exports and the Kibana assets keep exactly the JSON
documents they kept before. What a lead is, and why, is docs/domain.md's "What a lead is".
"""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic validates typing's TypedDict only from Python 3.12

from core.document import StoredDocument

# Workflow statuses of a lead (casework/workflow.py decides the moves between them).
STATUSES: tuple[str, ...] = (
    "new", "reviewing", "escalated", "confirmed", "dismissed", "takedown_requested", "removed", "persisting",
    "resolved_by_edit",
)
STATUS_NAMES_ZH: dict[str, str] = {
    "new": "新线索",
    "reviewing": "审核中",
    "escalated": "已提交主管",
    "confirmed": "已确认",
    "dismissed": "已排除",
    "takedown_requested": "已请求删除",
    "removed": "已删除",
    "persisting": "仍在线",
    "resolved_by_edit": "已修改整改",
}
"""What staff read for each status (one name a status, in the order of STATUSES)."""
SOURCES: tuple[str, ...] = ("sweep", "capture", "complaint")
"""How a lead came in: a platform sweep, one URL a staff member captured, or a member of the public's complaint.
A lead keeps the source it came in by; documents written before the field existed are sweeps."""
DEFAULT_SOURCE = "sweep"
SOURCE_NAMES_ZH: dict[str, str] = {"sweep": "平台巡查", "capture": "人工取证", "complaint": "群众举报"}
CONTACT_KINDS: tuple[str, ...] = ("phone", "wechat", "qq", "email")
# Entity types the detector may emit, mapped to the lead's contact kinds and to its agency fields.
ENTITY_KINDS: dict[str, str] = {
    "phone": "phone", "mobile": "phone", "tel": "phone",
    "wechat": "wechat", "weixin": "wechat", "wx": "wechat",
    "qq": "qq", "email": "email",
    "agency_code": "agency_code", "org_code": "agency_code",
    "agency": "agency_name", "agency_name": "agency_name", "org": "agency_name", "organization": "agency_name",
}
# A listing's state on its platform as the last fetch found it.
LISTING_ACTIVE = "active"
LISTING_REMOVED = "removed"

# The canonical form (what the crawler writes), for days every month has; others go through the full parse.
_CANONICAL_UTC = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ")


def lead_id(canonical_url: str) -> str:
    """The id of a listing and of its lead: sha1 of the canonical URL, so every fetch of a listing finds its lead."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()


def listing_lead_id(listing: Listing) -> str:
    """The id of the lead a listing is seen for: the listing's own id, else the id of its canonical URL (or URL)."""
    return listing.get("id") or lead_id(listing.get("canonical_url") or listing["url"])


def iso_utc(value: Any = None) -> str:
    """A timestamp as ISO-8601 UTC with second precision and a `Z` (now when `value` is None).

    One fixed format lets both stores compare dates as strings and Elasticsearch parse them as dates.
    """
    if isinstance(value, str) and _CANONICAL_UTC.fullmatch(value):
        return value
    moment = datetime.now(UTC) if value is None else instant(value if isinstance(value, datetime) else str(value))
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(value: str | datetime) -> datetime:
    """An aware datetime for an ISO-8601 instant (`2026-12-05T10:33:54Z`, as `iso_utc` writes them); a naive one
    is taken as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"not an ISO-8601 date: {text!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Capture(TypedDict):
    """Who captured a listing by hand, when, why, and for which complaint (if any)."""

    at: str
    by: str
    note: str
    complaint: int | str | None


class ScreenshotShows(TypedDict):
    """What the evidence screenshot of a listing shows of the evidence the detector found in the page as fetched
    (`crawler.evidence.shown`): the screenshot is a second, rendered visit, and a seller who tells the browser from
    the crawler can show it another page. `passages`: the distinct passages of the listing's page text that the
    detector's spans quote (text inside images is not checked); `shown`: how many of them the rendered page shows;
    `missing`: the ones it does not show."""

    passages: int
    shown: int
    missing: list[str]


def screenshot_shows_zh(shows: ScreenshotShows) -> str:
    """What staff and a platform's counsel read of a screenshot's check (`ScreenshotShows`), in Chinese."""
    count, missing = shows["passages"], len(shows["missing"])
    if not missing:
        return f"截图显示检测到的全部{count}处违法内容原文"
    return (f"截图未显示检测到的{count}处违法内容原文中的{missing}处（浏览器取证时该网页内容可能已被替换），"
            "以网页原文及WARC存档为准")


def screenshot_shows_en(shows: ScreenshotShows) -> str:
    """The same for the CLI: how many of the quoted passages the screenshot shows, and which it does not."""
    if not shows["missing"]:
        return f"shows all {shows['passages']} passage(s) the detector quoted"
    return (f"shows {shows['shown']} of the {shows['passages']} passage(s) the detector quoted (the page may have "
            "changed for the browser: the raw page and WARC are the evidence); not shown: "
            + "; ".join(shows["missing"]))


class Listing(TypedDict, total=False):
    """One listing (an ad, a note, a service page) at its canonical URL, as the crawler hands it to the detector
    (`Detector.detect`) and the lead store (`LeadStore.upsert`), and as `lantian detect` reads it from JSONL.

    The crawler's item (`crawler.items.ListingItem`) has exactly these fields, plus the crawl's own bookkeeping.
    Only `id` (the detector) and `canonical_url` or `url` (the store) are required; `images` are local paths after
    the crawler's images stage, `image_text` the text of those images when the crawler read it already, `status`
    `LISTING_ACTIVE` or `LISTING_REMOVED`, `capture` set on a listing captured by hand, `read_without_rendering` (why)
    on a listing of a rendered platform read from its page as the server sent it, not as the browser drew it,
    `screenshot_shows` on a listing whose screenshot was rendered in a visit of its own (`ScreenshotShows`).
    """

    id: str
    platform: str
    url: str
    canonical_url: str
    title: str
    text: str
    price: str
    seller: str
    seller_url: str
    location: str
    images: list[str]
    image_urls: list[str]
    fetched_at: str
    content_sha256: str
    raw_sha256: str
    raw_path: str
    screenshot_path: str
    screenshot_sha256: str
    warc_path: str
    source: str
    contacts: list[str]
    image_text: str
    keyword: str | None
    found_on: str | None
    http_status: int
    status: str
    capture: Capture
    read_without_rendering: str
    screenshot_shows: ScreenshotShows


# A field outside a type (`rule` on a span, a newer detector's) travels whole.
KEEP_OTHER_FIELDS = ConfigDict(extra="allow")


@with_config(KEEP_OTHER_FIELDS)
class Span(TypedDict):
    """Where a label's evidence stands, in the listing's original text."""

    label: str
    field: str
    start: int
    end: int
    text: str


@with_config(KEEP_OTHER_FIELDS)
class Entity(TypedDict, total=False):
    """A contact, agency name or code, or district the detector found (`value`: its canonical form)."""

    type: str
    text: str
    value: str
    field: str
    start: int
    end: int


Score: TypeAlias = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A detector's score: a finite number from 0 to 1. NaN is refused where a detection is made: the embedded store
keeps `risk` in a NOT NULL column, SQLite stores NaN as NULL, and one such lead would abort the write of its batch."""


class Detection(BaseModel):
    """What the detector says of one listing: every label's score, the labels that fire, and why.

    A field left out is absent from `document()` (a detection that found nothing has no labels, scores or
    evidence); the detector sets every field but the two of pictures it read itself.
    """

    model_config = KEEP_OTHER_FIELDS

    id: str | None = None
    labels: list[str] = []
    scores: dict[str, Score] = {}
    evidence: list[Span] = []
    entities: list[Entity] = []
    risk: Score = 0.0
    solicitation: Score | None = None
    image_text: str | None = None
    image_errors: list[str] = []

    def document(self) -> dict[str, Any]:
        """The detection as the JSON document it is written as: the fields it was given, in the order above."""
        return self.model_dump(exclude_unset=True)


class Note(TypedDict):
    at: str
    by: str | None
    text: str


# One workflow change on a lead's append-only audit trail (`from` is a keyword, hence the call form).
AuditEvent = TypedDict("AuditEvent", {"at": str, "by": "str | None", "action": str, "from": Any, "to": Any,
                                      "why": str}, total=False)


LeadDocument: TypeAlias = dict[str, Any]
"""A lead as the stores keep it: the JSON object `Lead.document()` gives (the fields `Lead` declares, and any
field outside it), with the store's own fields (`minhash`). Only the store (`index/`) handles it; merging a
re-crawl and applying a workflow change work on it, and the store hands every part above a `Lead`."""


class Lead(StoredDocument):
    """One record per listing (canonical URL): what the listing showed, what the detector found, its history on
    the platform and its workflow state, as the store hands it to casework, the console and the exports.

    Fields are declared in the order a new lead's document has them. A field the document lacks is absent from
    `document()` and reads as its default here (a lead without `source` is a sweep, without `status` is new); a
    field outside the type travels whole. A lead is read, never changed: the store makes every change.
    """

    platform: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    text: str | None = None
    price: str | None = None
    seller: str | None = None
    seller_url: str | None = None
    location: str | None = None
    images: list[str] = []
    image_urls: list[str] = []
    content_sha256: str | None = None
    raw_sha256: str | None = None
    raw_path: str | None = None
    screenshot_path: str | None = None
    screenshot_sha256: str | None = None
    warc_path: str | None = None
    id: str
    fetched_at: str | None = None
    labels: list[str] = []
    scores: dict[str, float] = {}
    risk: float = 0.0
    solicitation: float | None = None
    evidence: list[Span] = []
    entities: list[Entity] = []
    contacts: dict[str, list[str]] = {}
    agency_code: str | None = None
    agency_name: str | None = None
    district: str | None = None
    listing_status: str = LISTING_ACTIVE
    source: str = DEFAULT_SOURCE
    captures: list[Capture] = []
    read_without_rendering: str | None = None
    screenshot_shows: ScreenshotShows | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    seen_count: int = 0
    status: str = "new"
    notes: list[Note] = []
    audit: list[AuditEvent] = []
    complaints: list[int] = []
    removed_at: str | None = None
    cluster_id: str | None = None
    assignee: str | None = None
    dismissal_reason: str | None = None
    takedown_deadline: str | None = None
    confirmed_labels: list[str] | None = None
    """The labels the reviewer who confirmed the lead found to hold (a subset of `labels`); None on a lead confirmed
    before reviewers named them, which stands for all its labels (`confirmed_violations`)."""
    takedown_reference: str | None = None
    takedown_notices: list[dict[str, Any]] = []
    status_changed_at: str | None = None
    status_changed_by: str | None = None
    recheck: dict[str, Any] | None = None

    def confirmed_violations(self) -> list[str]:
        """The labels a letter or a case file may state as violations: those the reviewer confirmed, in the order of
        `labels` (all of them on a lead confirmed whole, before reviewers named them)."""
        if self.confirmed_labels is None:
            return list(self.labels)
        return [label for label in self.labels if label in self.confirmed_labels]

