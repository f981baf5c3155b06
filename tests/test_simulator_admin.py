"""Change over time: the admin API removes, restores, edits and adds listings, and pages and ground truth follow."""
from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from parsel import Selector

from simulator import SimulatorServer


@pytest.fixture
def sim(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    return simulator_factory(listings=200)


def search_ids(base: str, keyword: str) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        selector = Selector(text=httpx.get(f"{base}/search", params={"q": keyword, "page": page}).text)
        ids += selector.css("div.item-card::attr(data-id)").getall()
        if not selector.css("a.next-page"):
            return ids
        page += 1


def test_remove_as_delisted_then_404_then_restore(sim: SimulatorServer) -> None:
    base = sim.endpoints["market"]
    record = next(r for r in sim.ground_truth() if r["platform"] == "market" and "商标注册" in r["keywords"])
    assert record["id"] in search_ids(base, "商标注册")

    removed = httpx.post(f"{base}/__admin/remove", params={"id": record["id"], "mode": "delisted"})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    page = httpx.get(record["url"])
    assert page.status_code == 200
    assert Selector(text=page.text).css("div.removed-notice::text").get() == "该商品已下架"
    assert record["title"] not in page.text
    assert record["id"] not in search_ids(base, "商标注册")
    truth = {r["id"]: r for r in sim.ground_truth()}
    assert (truth[record["id"]]["status"], truth[record["id"]]["removed_as"]) == ("removed", "delisted")

    sim.remove(record["id"], mode="404")
    assert httpx.get(record["url"]).status_code == 404

    sim.restore(record["id"])
    assert Selector(text=httpx.get(record["url"]).text).css("h1.item-title::text").get() == record["title"]
    assert record["id"] in search_ids(base, "商标注册")


def test_removal_on_every_platform(sim: SimulatorServer) -> None:
    truth = sim.ground_truth()
    notices = {"search": "该推广已失效", "agencies": "该服务已下架", "services": "该服务已下架"}
    for platform, notice in notices.items():
        record = next(r for r in truth if r["platform"] == platform)
        sim.remove(record["id"])
        body = httpx.get(record["url"]).content.decode("gbk" if platform == "services" else "utf-8")
        assert Selector(text=body).css("div.removed-notice::text").get() == notice
    goods = next(r for r in truth if r["platform"] == "app")
    sim.remove(goods["id"])
    assert '"notice": "该商品已下架"' in httpx.get(goods["url"]).text
    note = next(r for r in truth if r["platform"] == "feed")
    sim.remove(note["id"])
    api = httpx.get(f"{sim.endpoints['feed']}/api/note/{note['id']}")
    assert api.status_code == 404 and api.json() == {"error": "removed", "message": "该内容已被删除"}


def test_edit_changes_the_page_and_the_ground_truth(sim: SimulatorServer) -> None:
    record = next(r for r in sim.ground_truth() if r["platform"] == "services" and r["labels"])
    response = httpx.post(f"{sim.endpoints['feed']}/__admin/edit",
                          json={"id": record["id"], "title": "商标注册代理", "text": "依法代理商标注册。\n欢迎咨询。",
                                "labels": [], "kind": "lawful_ad"})
    assert response.status_code == 200
    edited = response.json()
    assert (edited["version"], edited["labels"], edited["kind"]) == (2, [], "lawful_ad")
    detail = Selector(text=httpx.get(record["url"]).content.decode("gbk"))
    assert detail.css("h1.service-name::text").get() == "商标注册代理"
    assert detail.css("div.service-detail p::text").getall() == ["依法代理商标注册。", "欢迎咨询。"]


def test_add_publishes_a_listing_that_search_finds(sim: SimulatorServer) -> None:
    base = sim.endpoints["market"]
    added = httpx.post(f"{base}/__admin/add", json={
        "platform": "market", "title": "国知局内部渠道 商标包过", "text": "内部渠道，30天下证。",
        "labels": ["impersonation", "insider_channel"], "keywords": ["商标注册"], "price": "999.00"}).json()
    assert added["id"] == "L000200" and added["url"] == f"{base}/item.htm?id=L000200"
    assert added["id"] in search_ids(base, "商标注册")
    detail = Selector(text=httpx.get(added["url"]).text)
    assert detail.css("h1.item-title::text").get() == "国知局内部渠道 商标包过"
    generated = sim.add("feed")
    assert generated["platform"] == "feed" and generated["id"] == "L000201"
    assert httpx.get(f"{sim.endpoints['feed']}/api/note/L000201").json()["title"] == generated["title"]
    ids = [r["id"] for r in sim.ground_truth()]
    assert ids[-2:] == ["L000200", "L000201"] and len(ids) == 202


def test_admin_rejects_bad_requests(sim: SimulatorServer) -> None:
    base = sim.endpoints["search"]
    assert httpx.post(f"{base}/__admin/remove", params={"id": "L999999"}).status_code == 404
    assert httpx.post(f"{base}/__admin/remove", params={"id": "L000001", "mode": "gone"}).status_code == 400
    assert httpx.post(f"{base}/__admin/edit", json={"id": "L000001", "colour": "red"}).status_code == 400
    assert httpx.post(f"{base}/__admin/add", json={"platform": "tv"}).status_code == 400
    bad = httpx.post(f"{base}/__admin/edit", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
