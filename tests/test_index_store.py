"""Contract of `LeadStore`: the same behaviour from the embedded SQLite store and from Elasticsearch."""
from __future__ import annotations

import base64
import itertools
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.agency import Agency
from core.labels import LABELS
from core.lead import Detection, lead_id
from index import LeadNotFound, LeadQuery, LeadStore, cluster, open_store
from index.sqlite_store import SqliteLeadStore

BACKENDS = ["sqlite", "elasticsearch"]
_unique = itertools.count()


def listing(n: int, **overrides: Any) -> dict[str, Any]:
    """A crawled listing like the crawler's ListingItem."""
    url = f"https://market{n % 3}.example/item/{n}"
    doc = {
        "id": lead_id(url), "platform": ["xianyu", "taobao", "zbj"][n % 3], "url": url, "canonical_url": url,
        "title": f"商标注册 专利申请 第{n}号服务", "text": f"正规代理机构，提供商标注册与专利申请服务，编号{n}。",
        "price": "100", "seller": f"卖家{n}", "seller_url": f"https://market{n % 3}.example/shop/{n}",
        "location": "上海市徐汇区", "images": [], "image_urls": [], "fetched_at": "2026-11-02T08:00:00Z",
        "content_sha256": f"c{n}", "raw_sha256": f"r{n}", "raw_path": f"/data/raw/{n}.html",
        "screenshot_path": f"/data/shots/{n}.png", "screenshot_sha256": f"s{n}", "warc_path": "/data/a.warc.gz",
        "status": "active",
    }
    doc.update(overrides)
    return doc


def detection(labels: tuple[str, ...] = (), risk: float = 0.1, **overrides: Any) -> Detection:
    scores = dict.fromkeys(LABELS, 0.05)
    scores.update(dict.fromkeys(labels, 0.9))
    doc = {"labels": list(labels), "scores": scores, "risk": risk,
           "evidence": [{"label": label, "field": "text", "start": 0, "end": 4, "text": "正规代理"}
                        for label in labels],
           "entities": [{"type": "phone", "text": "13800138000", "field": "text", "start": 5, "end": 16},
                        {"type": "wechat", "text": "ipagent88", "field": "text", "start": 20, "end": 29}]}
    doc.update(overrides)
    return Detection.model_validate(doc)


IMPERSONATION_AD = ("国家知识产权局指定代理 商标局官方受理窗口",
                    "我们是国知局直属服务中心，内部渠道30天下证，包授权不过全额退款。联系电话13800138000")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """A fresh, empty store of each backend."""
    if request.param == "sqlite":
        opened: LeadStore = SqliteLeadStore(tmp_path / "leads.sqlite3")
    else:
        from index.es_store import EsLeadStore

        url = request.getfixturevalue("es_url")
        opened = EsLeadStore(url, index_prefix=f"contract{next(_unique)}", spool_dir=tmp_path / "spool",
                             batch_size=3)
    yield opened
    if isinstance(opened, SqliteLeadStore):
        opened.close()
    else:
        opened.drop()
        opened.client.close()


def test_upsert_creates_a_lead_with_every_field(store: LeadStore) -> None:
    item = listing(1, title=IMPERSONATION_AD[0], text=IMPERSONATION_AD[1], location="上海市浦东新区张江路1号")
    lead = store.upsert(item, detection(("impersonation", "insider_channel"), risk=0.93, solicitation=0.86))
    store.flush()
    assert lead.id == lead_id(item["canonical_url"])
    stored = store.get(lead.id)
    assert stored is not None
    assert stored.labels == ["impersonation", "insider_channel"]
    assert stored.scores["impersonation"] == pytest.approx(0.9)
    assert stored.risk == pytest.approx(0.93)
    assert stored.solicitation == pytest.approx(0.86)
    if not isinstance(store, SqliteLeadStore):
        mapping = store.client.indices.get_mapping(index=store.index).body[store.index]["mappings"]
        assert mapping["properties"]["solicitation"] == {"type": "float"}
    assert stored.district == "浦东新区"
    assert stored.contacts["phone"] == ["13800138000"] and stored.contacts["wechat"] == ["ipagent88"]
    assert stored.evidence[0] == {"label": "impersonation", "field": "text", "start": 0, "end": 4,
                                     "text": "正规代理"}
    assert stored.status == "new" and stored.notes == [] and stored.seen_count == 1
    assert stored.first_seen == stored.last_seen == "2026-11-02T08:00:00Z"
    for field in ("raw_sha256", "raw_path", "screenshot_path", "screenshot_sha256", "warc_path", "fetched_at"):
        assert getattr(stored, field) == getattr(lead, field)
    assert "minhash" not in stored.document() and "text_words" not in stored.document()
    assert store.get("0" * 40) is None


def test_recrawl_updates_history_and_keeps_workflow(store: LeadStore) -> None:
    item = listing(2)
    lead = store.upsert(item, detection(("insider_channel",), risk=0.7))
    store.flush()
    store.update_workflow(lead.id, {"status": "reviewing", "assignee": "wang"},
                          {"by": "wang", "action": "status", "from": "new", "to": "reviewing", "why": "看一下"})
    store.add_note(lead.id, {"by": "wang", "text": "卖家另有两个店铺"})
    later = listing(2, fetched_at="2026-11-09T08:00:00Z", content_sha256="changed", text="内部渠道 包过")
    store.upsert(later, detection(("insider_channel", "abnormal_filing"), risk=0.95))
    store.flush()
    stored = store.get(lead.id)
    assert stored.status == "reviewing" and stored.assignee == "wang"
    assert [n["text"] for n in stored.notes] == ["卖家另有两个店铺"]
    assert [(e["by"], e["from"], e["to"]) for e in stored.audit] == [("wang", "new", "reviewing")]
    assert stored.seen_count == 2
    assert stored.first_seen == "2026-11-02T08:00:00Z" and stored.last_seen == "2026-11-09T08:00:00Z"
    assert stored.risk == pytest.approx(0.95) and stored.content_sha256 == "changed"
    assert stored.labels == ["insider_channel", "abnormal_filing"]


def test_reindexing_the_same_crawl_is_idempotent(store: LeadStore) -> None:
    crawl = [(listing(n), detection(("impersonation",) if n % 2 else (), risk=n / 10)) for n in range(8)]
    store.upsert_many(crawl)
    store.flush()
    first = store.get(crawl[3][0]["id"])
    store.update_workflow(first.id, {"status": "reviewing"},
                          {"by": "li", "action": "status", "from": "new", "to": "reviewing"})
    store.add_note(first.id, {"by": "li", "text": "已截图"})
    store.upsert_many(crawl)
    store.flush()
    assert store.count() == 8
    again = store.get(first.id)
    assert again.status == "reviewing" and len(again.notes) == 1 and again.seen_count == 1


def test_record_seen_and_mark_removed(store: LeadStore) -> None:
    item = listing(3)
    lead = store.upsert(item, detection(("impersonation",)))
    store.flush()
    seen = store.record_seen({**item, "fetched_at": "2026-11-05T00:00:00Z"})
    assert seen.seen_count == 2 and seen.last_seen == "2026-11-05T00:00:00Z"
    assert store.record_seen(listing(99)) is None
    removed = store.mark_removed(lead.id, at="2026-11-06T00:00:00Z")
    assert removed.listing_status == "removed" and removed.removed_at == "2026-11-06T00:00:00Z"
    assert removed.status == "new"
    assert store.mark_removed("f" * 40) is None


def test_workflow_audit_is_append_only(store: LeadStore) -> None:
    lead = store.upsert(listing(4), detection(("impersonation",)))
    store.flush()
    store.update_workflow(lead.id, {"status": "reviewing"},
                          {"at": "2026-11-10T09:00:00Z", "by": "a", "action": "status", "from": "new",
                           "to": "reviewing"})
    after = store.set_status(lead.id, "dismissed", by="b", why="合法代理机构")
    assert [e["to"] for e in after.audit] == ["reviewing", "dismissed"]
    assert after.audit[0]["at"] == "2026-11-10T09:00:00Z"
    assert after.status_changed_by == "b"
    with pytest.raises(ValueError):
        store.update_workflow(lead.id, {"audit": []}, {"by": "x", "action": "wipe"})
    with pytest.raises(ValueError):
        store.update_workflow(lead.id, {"status": "closed"}, {"by": "x", "action": "status"})
    with pytest.raises(LeadNotFound):
        store.update_workflow("e" * 40, {"status": "reviewing"}, {"by": "x", "action": "status"})
    with pytest.raises(LeadNotFound):
        store.add_note("e" * 40, {"by": "x", "text": "y"})
    assert len(store.get(lead.id).audit) == 2


def test_concurrent_workflow_changes_are_all_kept(store: LeadStore) -> None:
    lead = store.upsert(listing(5), detection(("impersonation",)))
    store.flush()

    def note(i: int) -> None:
        store.add_note(lead.id, {"by": f"user{i}", "text": f"note {i}"})

    threads = [threading.Thread(target=note, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n["text"] for n in store.get(lead.id).notes) == [f"note {i}" for i in range(6)]


def test_near_duplicate_reposts_share_a_cluster(store: LeadStore) -> None:
    title, text = IMPERSONATION_AD
    first = store.upsert(listing(10, title=title, text=text), detection(("impersonation",)))
    store.flush()
    repost = store.upsert(listing(11, title=title + "！！", text=text.replace("，", " ") + " 😀"),
                          detection(("impersonation",)))
    third = store.upsert(listing(12, title="【" + title + "】", text="热线：" + text),
                         detection(("impersonation",)))
    other = store.upsert(listing(13), detection())
    store.flush()
    assert repost.cluster_id == first.cluster_id == third.cluster_id == first.id
    assert other.cluster_id == other.id
    assert store.count(LeadQuery(cluster_id=first.id)) == 3
    store.flush()
    store._near_duplicates = None  # a new process knows the signatures only from the store
    fourth = store.upsert(listing(14, title=title, text=text + "。"), detection(("impersonation",)))
    assert fourth.cluster_id == first.id
    assert {lead.platform for lead in store.iter_leads(LeadQuery(cluster_id=first.id))} == {
        "xianyu", "taobao", "zbj"}


def test_a_signature_an_older_scheme_stored_is_replaced_when_its_lead_is_seen_again(store: LeadStore) -> None:
    title, text = IMPERSONATION_AD
    first = store.upsert(listing(30, title=title, text=text), detection(("impersonation",)))
    repost_id = lead_id(listing(31)["url"])
    older = base64.b64encode(bytes(8 * cluster.NUM_PERM)).decode("ascii")  # 64-bit values, as once stored
    store._update(first.id, lambda doc: {**doc, "minhash": older})
    store.flush()
    store._near_duplicates = None  # a new process knows the signatures only from the store
    assert store.upsert(listing(31, title=title, text=text), detection()).cluster_id == repost_id  # not compared
    store.upsert(listing(30, title=title, text=text, fetched_at="2026-11-09T08:00:00Z"),
                 detection(("impersonation",)))
    assert cluster.is_current(store._load(first.id)["minhash"])
    # Both are now known and equally similar: the tie goes to the smaller lead id.
    third = store.upsert(listing(32, title=title, text=text), detection())
    assert third.cluster_id == min(first.id, repost_id)


def test_a_lead_keeps_the_signature_of_the_content_it_keeps(store: LeadStore) -> None:
    newer = listing(40, title=IMPERSONATION_AD[0], text=IMPERSONATION_AD[1], fetched_at="2026-11-09T08:00:00Z",
                    content_sha256="newer")
    older = listing(40, title="旧标题", text="早先的另一段内容：商标注册、版权登记，欢迎咨询。", content_sha256="older")
    [lead, again] = store.upsert_many([(newer, detection()), (older, detection())])  # the older sighting comes last
    assert lead.text == again.text == IMPERSONATION_AD[1]
    assert store._load(lead.id)["minhash"] == cluster.encode(cluster.signature(*IMPERSONATION_AD))


def test_sightings_of_one_lead_in_many_batches_are_merged_in_order(store: LeadStore) -> None:
    # The Elasticsearch store writes batches of 3, several at once: every sighting must still count, in order.
    days = range(1, 13)
    crawl = []
    for day in days:
        crawl.append((listing(50, fetched_at=f"2026-11-{day:02d}T08:00:00Z", content_sha256=f"day{day}",
                              text=f"第{day}天的内容"), detection(risk=day / 100)))
        crawl += [(listing(100 * day + n), detection()) for n in range(2)]
    store.upsert_many(crawl)
    store.flush()
    stored = store.get(crawl[0][0]["id"])
    assert stored.seen_count == len(days)
    assert (stored.first_seen, stored.last_seen) == ("2026-11-01T08:00:00Z", "2026-11-12T08:00:00Z")
    assert (stored.text, stored.risk) == ("第12天的内容", pytest.approx(0.12))
    assert store.count() == 1 + 2 * len(days)


def test_a_listing_read_without_rendering_says_so_until_a_rendered_fetch(store: LeadStore) -> None:
    why = "浏览器渲染时页面卡死，已按网页原文读取，未经渲染（did not answer in 26 s）"
    store.upsert(listing(60, read_without_rendering=why), detection())
    store.flush()
    assert store.get(listing(60)["id"]).read_without_rendering == why
    store.upsert(listing(60, fetched_at="2026-11-03T08:00:00Z"), detection())
    store.flush()
    assert store.get(listing(60)["id"]).read_without_rendering is None, "the next fetch was rendered"
    store.upsert(listing(61), detection())
    store.flush()
    assert "read_without_rendering" not in store.get(listing(61)["id"]).document(), "documents as they were"


def test_leads_read_without_rendering_are_found_by_it(store: LeadStore) -> None:
    """Staff filter on it in both stores: Elasticsearch indexes the field (the mapping used to leave it out, so it
    was only kept in `_source` and no query found it)."""
    store.upsert(listing(62, read_without_rendering="浏览器渲染时页面卡死，已按网页原文读取，未经渲染"), detection())
    store.upsert(listing(63), detection())
    store.flush()
    unrendered = store.search(LeadQuery(read_without_rendering=True))
    assert [lead.id for lead in unrendered.leads] == [listing(62)["id"]]
    assert [lead.id for lead in store.search(LeadQuery(read_without_rendering=False)).leads] == [listing(63)["id"]]
    assert store.count(LeadQuery(read_without_rendering=True)) == 1


def _populate(store: LeadStore) -> None:
    rows = [
        (listing(20, title=IMPERSONATION_AD[0], text=IMPERSONATION_AD[1], location="上海市浦东新区",
                 fetched_at="2026-11-03T10:00:00Z"), detection(("impersonation", "insider_channel"), risk=0.95)),
        (listing(21, title="高价收专利代理师证 不用坐班", text="资质挂靠 开票走账，长期有效",
                 location="上海市静安区", fetched_at="2026-11-10T10:00:00Z"),
         detection(("qualification_lending",), risk=0.8)),
        (listing(22, title="专业撤三 拿下别人的商标", text="抢注热门商标 转让，成功率高",
                 location="江苏省苏州市", fetched_at="2026-11-11T10:00:00Z"),
         detection(("malicious_cancellation",), risk=0.6)),
        (listing(23, title="可协助办理优先审查请求", text="审查结果以官方为准，经国家知识产权局批准设立的专利代理机构",
                 location="上海市浦东新区", fetched_at="2026-11-17T10:00:00Z"), detection((), risk=0.05)),
    ]
    store.upsert_many(rows)
    store.flush()


def test_filters_sorting_and_paging(store: LeadStore) -> None:
    _populate(store)
    assert store.count() == 4
    high = store.search(LeadQuery(min_risk=0.7))
    assert high.total == 2 and [lead.risk for lead in high.leads] == pytest.approx([0.95, 0.8])
    assert store.search(LeadQuery(labels=["impersonation", "malicious_cancellation"])).total == 2
    assert store.search(LeadQuery(platforms=["taobao"])).total == 1
    assert store.search(LeadQuery(districts=["浦东新区"])).total == 2
    assert store.search(LeadQuery(statuses=["new"])).total == 4
    assert store.search(LeadQuery(statuses=["confirmed"])).total == 0
    window = store.search(LeadQuery(since="2026-11-10", until="2026-11-11", date_field="first_seen"))
    assert {lead.first_seen for lead in window.leads} == {"2026-11-10T10:00:00Z", "2026-11-11T10:00:00Z"}
    oldest = store.search(LeadQuery(sort="first_seen", descending=False, limit=2, offset=1))
    assert oldest.total == 4 and [lead.first_seen[:10] for lead in oldest.leads] == ["2026-11-10", "2026-11-11"]
    assert len(list(store.iter_leads(LeadQuery(limit=1)))) == 4


def test_weeks_are_counted_monday_to_sunday_in_beijing(store: LeadStore) -> None:
    # Sunday 20:00 UTC is Monday 04:00 in Shanghai: the week that begins that Monday, as staff count weeks.
    store.upsert(listing(30, fetched_at="2026-11-15T20:00:00Z"), detection(("impersonation",)))
    store.upsert(listing(31, fetched_at="2026-11-15T15:59:59Z"), detection(("impersonation",)))  # Sunday 23:59:59
    store.flush()
    assert store.counts("week") == {"2026-11-09": 1, "2026-11-16": 1}


def test_a_bare_date_in_a_filter_is_a_day_in_beijing(store: LeadStore) -> None:
    morning = listing(32, fetched_at="2026-11-30T23:30:00Z")  # 2026-12-01 07:30 in Shanghai
    next_night = listing(33, fetched_at="2026-12-01T20:00:00Z")  # 2026-12-02 04:00 in Shanghai
    for item in (morning, next_night):
        store.upsert(item, detection(("impersonation",)))
    store.flush()
    day = LeadQuery(since="2026-12-01", until="2026-12-01", date_field="first_seen")
    assert (day.since, day.until) == ("2026-11-30T16:00:00Z", "2026-12-01T15:59:59Z")
    assert [lead.id for lead in store.search(day).leads] == [morning["id"]]
    assert LeadQuery(since="2026-12-01T00:00:00Z").since == "2026-12-01T00:00:00Z"  # a time keeps its zone


def test_free_text_phrases_and_highlights(store: LeadStore) -> None:
    _populate(store)
    page = store.search(LeadQuery(text="内部渠道"))
    assert page.total == 1
    hit = page.leads[0]
    assert "<em>内部渠道</em>" in "".join(page.highlights[hit.id]["text"])
    # Characters of a phrase must be adjacent and in order.
    assert store.search(LeadQuery(text="渠道内部")).total == 0
    # Every term must match; a term may be a single word inside a longer run of Chinese.
    assert store.search(LeadQuery(text="商标 转让")).total == 1
    assert store.search(LeadQuery(text="国家知识产权局")).total == 2
    assert store.search(LeadQuery(text="国家知识产权局", min_risk=0.5)).total == 1
    assert store.search(LeadQuery(text="不存在的词语")).total == 0
    assert store.search(LeadQuery(text="商标 ！！ \"")).total == 2  # punctuation-only terms are ignored
    best = store.search(LeadQuery(text="商标", sort="relevance"))
    assert best.total == 2


def test_counts_by_label_platform_district_week(store: LeadStore) -> None:
    _populate(store)
    assert store.counts("label") == {"impersonation": 1, "insider_channel": 1, "qualification_lending": 1,
                                     "malicious_cancellation": 1}
    assert store.counts("district") == {"浦东新区": 2, "静安区": 1, "未知": 1}  # a lead without a district
    assert sum(store.counts("platform").values()) == 4
    assert store.counts("week") == {"2026-11-02": 1, "2026-11-09": 2, "2026-11-16": 1}
    assert store.counts("status") == {"new": 4}
    assert store.counts("label", LeadQuery(min_risk=0.7)) == {"impersonation": 1, "insider_channel": 1,
                                                               "qualification_lending": 1}
    with pytest.raises(ValueError):
        store.counts("colour")


def test_agency_documents(store: LeadStore) -> None:
    first = {"name": "上海某某知识产权代理有限公司", "id": "31001", "code": "31001", "district": "浦东新区",
             "risk_level": "high", "score": 0.8, "leads": 5}
    store.upsert_agency(Agency.from_document(first))
    store.upsert_agency(Agency.from_document({"id": "31002", "code": "31002", "name": "上海另一专利代理事务所",
                                              "district": "静安区", "risk_level": "low", "score": 0.1, "leads": 0}))
    store.upsert_agency(Agency.from_document({"id": "31002", "code": "31002", "name": "上海另一专利代理事务所",
                                              "district": "静安区", "risk_level": "medium", "score": 0.4, "leads": 2}))
    store.flush()
    assert store.get_agency("31002").risk_level == "medium"
    # The stored document comes back as it was written: its fields in their order, one outside the type kept.
    assert list(store.get_agency("31001").document().items()) == list(first.items())
    assert [a.id for a in store.search_agencies()] == ["31001", "31002"]
    assert [a.id for a in store.search_agencies("某某")] == ["31001"]
    assert [a.id for a in store.search_agencies(district="静安区")] == ["31002"]
    assert [a.id for a in store.search_agencies(risk_levels=["high"], min_score=0.5)] == ["31001"]
    with pytest.raises(ValueError, match="needs an id"):
        store.upsert_agency(Agency(id="", name="no id"))


def test_open_store_uses_sqlite_without_an_elasticsearch_url(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANTIAN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LANTIAN_ES_URL", raising=False)
    with open_store({"elasticsearch": {"url": ""}}) as store:
        assert store.backend == "sqlite"
        store.upsert(listing(1), detection(("impersonation",)))
    assert (tmp_path / "index" / "leads.sqlite3").exists()
    with open_store({"elasticsearch": {"url": ""}}) as store:
        assert store.count() == 1


NAN = float("nan")


def test_the_embedded_store_reads_back_a_score_that_is_not_a_number(tmp_path: Path) -> None:
    # A detection refuses NaN now (core.lead.Score); a document written before that, with a NaN score, still reads.
    with SqliteLeadStore(tmp_path / "leads.sqlite3") as store:
        written = store.upsert(listing(1), detection(("impersonation",), scores={"impersonation": 0.9})).document()
        store.import_leads([{**written, "scores": {"impersonation": 0.9, "abnormal_filing": NAN}}])
        [lead] = store.search(LeadQuery()).leads
        assert lead.scores["impersonation"] == 0.9 and math.isnan(lead.scores["abnormal_filing"])
        assert store.get(lead.id) is not None


def test_open_store_names_a_bad_elasticsearch_setting(tmp_path: Path) -> None:
    from core.config import ConfigError

    with pytest.raises(ConfigError, match="elasticsearch.batch_size"):
        open_store({"elasticsearch": {"url": "http://127.0.0.1:9", "batch_size": "many"}})
    with pytest.raises(ConfigError, match=r"elasticsearch\.concurrent_requests: Input should be greater"):
        open_store({"elasticsearch": {"url": "http://127.0.0.1:9", "concurrent_requests": 0}})
    with pytest.raises(ConfigError, match="elasticsearch.index_prefix"):
        open_store({"elasticsearch": {"url": "http://127.0.0.1:9", "index_prefix": "Lantian*"}})


def test_a_lead_keeps_the_source_it_came_in_by_and_every_capture(store: LeadStore) -> None:
    swept = store.upsert(listing(1), detection(("impersonation",)))
    capture = {"at": "2026-11-03T09:00:00Z", "by": "alice", "note": "群众来电", "complaint": None}
    captured = store.upsert(listing(2, source="capture", capture=capture, fetched_at="2026-11-03T09:00:00Z"),
                            detection())
    assert (swept.source, captured.source) == ("sweep", "capture")
    assert captured.captures == [capture]

    # A sweep finding the captured listing again keeps its source and its captures; a capture of a swept listing
    # is recorded without changing where that lead came from; replaying a capture adds nothing.
    store.upsert(listing(2, fetched_at="2026-11-04T09:00:00Z"), detection())
    again = {**capture, "at": "2026-11-05T10:00:00Z", "by": "bob", "note": ""}
    for _ in range(2):
        store.upsert(listing(1, source="capture", capture=again, fetched_at="2026-11-05T10:00:00Z"),
                     detection(("impersonation",)))
    store.flush()
    assert store.get(captured.id).source == "capture"
    assert store.get(captured.id).captures == [capture]
    assert store.get(swept.id).source == "sweep"
    assert store.get(swept.id).captures == [again]


def test_counts_and_filters_by_source_read_documents_without_one_as_sweeps(store: LeadStore) -> None:
    store.upsert(listing(1), detection(("impersonation",)))
    store.upsert(listing(2, source="capture", capture={"by": "alice"}), detection())
    store.upsert(listing(3, source="complaint", capture={"by": "alice", "complaint": 4}), detection())
    old = listing(4)
    store.upsert(old, detection(("insider_channel",)))
    # A document written before leads had a source (replaced whole, as an older version stored it).
    doc = store._load(old["id"])
    assert doc is not None
    del doc["source"], doc["captures"]
    store._save_many([doc])
    store.flush()

    assert "source" not in store.get(old["id"]).document()
    assert store.counts(by="source") == {"sweep": 2, "capture": 1, "complaint": 1}
    assert {lead.id for lead in store.iter_leads(LeadQuery(sources=["sweep"]))} == {
        listing(1)["id"], old["id"]}
    assert store.count(LeadQuery(sources=["capture", "complaint"])) == 2
    with pytest.raises(ValueError, match="unknown source"):
        LeadQuery(sources=["rumour"])
