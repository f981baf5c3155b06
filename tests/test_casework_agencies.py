"""Entity resolution (shared contacts, codes, aliases, near-identical images) and agency risk classes."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from casework import workflow
from casework.advertisers import alias_key, resolve
from casework.agencies import classify_agencies, refresh
from casework.config import load_risk_config
from core.lead import Detection
from tests.fixtures.casework import detection, listing


def _lead(n, platform="market", seller=None, phone=None, wechat=None, code=None, images=None, labels=None):
    item = listing(n, platform=platform, seller=seller or f"个人卖家{n}号", images=images)
    det = detection(item, labels, phone=phone, wechat=wechat, agency_code=code)
    return item, det


def _picture(path: Path, text: str, shade: int = 0) -> str:
    image = Image.new("RGB", (320, 240), (250 - shade, 250, 250))
    draw = ImageDraw.Draw(image)
    for i in range(len(text)):
        draw.rectangle([20 + i * 30, 40 + (i % 3) * 50, 40 + i * 30, 160], fill=(10 * i % 255, 0, 0))
    image.save(path)
    return str(path)


def test_alias_key_merges_obvious_aliases_only():
    assert alias_key("上海卓越知识产权代理有限公司") == alias_key("卓越知识产权") == "卓越"
    assert alias_key("知识产权局商标注册中心") == ""
    assert alias_key("卓越") != alias_key("远航")


def test_leads_sharing_contacts_link_transitively_across_platforms(store):
    pairs = [
        _lead(1, "market", phone="138-0013-0001"),
        _lead(2, "services", phone="13800130001", wechat="ipfast88"),
        _lead(3, "feed", wechat="IPFAST88"),
        _lead(4, "search", code="31999"),
        _lead(5, "agencies", code="31999"),
        _lead(6, "market", phone="13900000000"),
        _lead(7, "market", seller="上海卓越知识产权代理有限公司"),
        _lead(8, "feed", seller="卓越知识产权"),
    ]
    leads = [store.upsert(item, det) for item, det in pairs]
    groups = {frozenset(a.lead_ids) for a in resolve(leads, use_images=False)}
    ids = [lead.id for lead in leads]
    assert frozenset(ids[0:3]) in groups
    assert frozenset(ids[3:5]) in groups
    assert frozenset([ids[5]]) in groups
    assert frozenset(ids[6:8]) in groups
    linked = next(a for a in resolve(leads, use_images=False) if ids[0] in a.lead_ids)
    assert linked.platforms == ["feed", "market", "services"]
    assert {link["kind"] for link in linked.links} == {"phone", "wechat"}


def test_near_identical_images_link_a_relisting(store, tmp_path):
    original = _picture(tmp_path / "a.png", "国家知识产权局指定")
    recompressed = tmp_path / "b.jpg"
    Image.open(original).save(recompressed, quality=60)
    different = _picture(tmp_path / "c.png", "完全不同的图片内容啊", shade=120)
    leads = [store.upsert(*_lead(1, images=[original])), store.upsert(*_lead(2, "feed", images=[str(recompressed)])),
             store.upsert(*_lead(3, images=[different])), store.upsert(*_lead(4, images=[str(tmp_path / "gone.png")]))]
    groups = {frozenset(a.lead_ids) for a in resolve(leads)}
    assert frozenset([leads[0].id, leads[1].id]) in groups
    assert frozenset([leads[2].id]) in groups and frozenset([leads[3].id]) in groups
    assert len(resolve(leads, use_images=False)) == 4


def test_risk_classes_follow_the_configured_weights(store):
    config = load_risk_config()
    repeat = [store.upsert(*_lead(n, platform, phone="13811112222", labels=labels))
              for n, platform, labels in ((1, "market", ["impersonation", "insider_channel"]),
                                          (2, "services", ["abnormal_filing"]), (3, "feed", ["impersonation"]))]
    for lead in repeat[:2]:
        workflow.set_status(store, lead.id, "reviewing", by="a")
        workflow.set_status(store, lead.id, "confirmed", by="a")
    store.upsert(*_lead(9, labels=["insider_channel"]))
    agencies = classify_agencies(store.iter_leads(), config, use_images=False)
    top, low = agencies[0], agencies[-1]
    assert set(top.lead_ids) == {lead.id for lead in repeat}
    assert top.indicators["leads"] == 2 and top.unreviewed_indicators["leads"] == 1
    assert top.indicators["platforms"] == 2 and top.indicators["labels"] == 3
    assert top.score == sum(row["points"] for row in top.breakdown)
    # Confirmed: 2 leads, 2 platforms, 3 labels, 1 impersonation = 16 + 6 + 12 + 5; the unreviewed lead on feed
    # (1 lead, 1 platform, 1 label, 1 impersonation = 20 points) counts a quarter.
    assert top.score == 44.0
    assert top.risk_level == "C" and top.triggered
    assert low.risk_level in ("A", "B") and not low.triggered


def test_refresh_indexes_agencies_and_marks_superseded_groups(store):
    first = store.upsert(*_lead(1, phone="13700000001"))
    second = store.upsert(*_lead(2, "feed", wechat="shared_wx"))
    config = load_risk_config()
    before = refresh(store, config, use_images=False)
    assert len(before) == 2
    assert {d.id for d in store.search_agencies(limit=10)} == {d.id for d in before}
    store.upsert(*_lead(3, phone="13700000001", wechat="shared_wx"))  # links the two advertisers
    after = refresh(store, config, use_images=False)
    assert len(after) == 1 and set(after[0].lead_ids) >= {first.id, second.id}
    live = [d for d in store.search_agencies(limit=10) if not d.superseded]
    assert [d.id for d in live] == [after[0].id]


def test_entity_values_link_listings_that_write_a_contact_differently(store):
    first, second = listing(1), listing(2, platform="feed")
    det_a = Detection(labels=["insider_channel"], risk=0.7, entities=[
        {"type": "wechat", "text": "V信：IPfast88", "value": "ipfast88", "field": "text", "start": 0, "end": 11}])
    det_b = Detection(labels=["insider_channel"], risk=0.7, entities=[
        {"type": "wechat", "text": "vx ipfast88", "value": "ipfast88", "field": "text", "start": 0, "end": 11},
        {"type": "phone", "text": "138 0013 8000", "value": "13800138000", "field": "text", "start": 0, "end": 13}])
    leads = [store.upsert(first, det_a), store.upsert(second, det_b)]
    (advertiser,) = resolve(leads, use_images=False)
    assert advertiser.contacts["wechat"][0] == "ipfast88" and "13800138000" in advertiser.contacts["phone"]


def test_a_picture_bomb_in_a_listing_is_skipped_and_said_and_the_other_pictures_still_link(store, tmp_path, caplog):
    """A seller's image of 20,000 × 20,000 pixels (Pillow refuses to open it) or 10,000 × 10,000 (Pillow opens it
    with a warning, 100 M pixels to decode) in a PNG of a few KB, stored by the crawl byte for byte: resolving the
    advertisers skips it with a warning naming the file, and the near-identical pictures of two other listings
    still link them (the old resolve stopped at the first with Pillow's DecompressionBombError)."""
    from simulator.web.hostile import pixel_bomb

    bombs = []
    for side in (20_000, 10_000):
        bomb = tmp_path / f"bomb-{side}.png"
        bomb.write_bytes(pixel_bomb(side))
        bombs.append(str(bomb))
    tiff = tmp_path / "tiff.png"  # a TIFF under a web picture's name: not opened (detector.ocr.WEB_IMAGE_FORMATS)
    Image.open(_picture(tmp_path / "t.png", "国家知识产权局指定")).save(tiff, "TIFF")
    bombs.append(str(tiff))
    original = _picture(tmp_path / "a.png", "国家知识产权局指定")
    recompressed = tmp_path / "b.jpg"
    Image.open(original).save(recompressed, quality=60)
    leads = [store.upsert(*_lead(1, images=bombs)), store.upsert(*_lead(2, images=[original])),
             store.upsert(*_lead(3, "feed", images=[str(recompressed), *bombs]))]
    groups = {frozenset(a.lead_ids) for a in resolve(leads)}
    assert groups == {frozenset([leads[0].id]), frozenset([leads[1].id, leads[2].id])}
    said = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert [message for message in said if "bomb-20000.png" in message and "400000000 pixels" in message]
    assert [message for message in said if "bomb-10000.png" in message and "10000×10000 pixels" in message]
