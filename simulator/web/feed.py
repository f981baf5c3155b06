"""`feed`: a JavaScript-rendered feed (小红书/抖音-like). Pages are shells; content comes from the JSON API."""
from __future__ import annotations

from aiohttp import web

from simulator.listing import Listing
from simulator.web.shared import add_shared_routes
from simulator.web.site import STATIC, Site, html, listing_or_404, realism_middleware, seller_or_404

MAX_LIMIT = 50
REMOVED = {"error": "removed", "message": "该内容已被删除"}


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f'{{"error": "{name} must be a number"}}', content_type="application/json") \
            from exc
    return max(low, min(high, value))


def build_feed(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "feed")])

    def author(listing: Listing) -> dict:
        return {"id": listing.seller.id, "name": listing.seller.name, "url": f"/user/{listing.seller.id}"}

    def card(listing: Listing) -> dict:
        return {
            "id": listing.id,
            "title": listing.title,
            "excerpt": listing.paragraphs[0][:40] if listing.paragraphs else "",
            "url": f"/explore/{listing.id}",
            "cover": f"/img/{listing.id}/0.png",
            "likes": listing.likes,
            "author": author(listing),
        }

    def page_of(request: web.Request, found: list[int]) -> dict:
        cursor = _int(request, "cursor", 0, 0, len(found))
        limit = _int(request, "limit", 20, 1, MAX_LIMIT)
        chunk = found[cursor: cursor + limit]
        return {
            "items": [card(world.listing(i)) for i in chunk],
            "cursor": cursor + len(chunk),
            "has_more": cursor + len(chunk) < len(found),
        }

    def shell(view: str, key: str, title: str, status: int = 200) -> web.Response:
        return html(site.render("feed/shell.html", view=view, key=key, title=title), status=status)

    async def home(request: web.Request) -> web.Response:
        return html(site.render("feed/home.html", keywords=world.keywords))

    async def search_page(request: web.Request) -> web.Response:
        keyword = request.query.get("keyword", "").strip()
        return shell("search", keyword, f"{keyword} 相关笔记")

    async def note_page(request: web.Request) -> web.Response:
        listing_or_404(site, request.match_info["id"], "feed")
        return shell("note", request.match_info["id"], "笔记详情")

    async def user_page(request: web.Request) -> web.Response:
        seller_or_404(site, request.match_info["uid"], "用户不存在")
        return shell("user", request.match_info["uid"], "用户主页")

    async def api_feed(request: web.Request) -> web.Response:
        keyword = request.query.get("keyword", "").strip() or None
        return web.json_response(page_of(request, world.search("feed", keyword)))

    async def api_note(request: web.Request) -> web.Response:
        try:
            listing = world.by_id(request.match_info["id"])
        except KeyError:
            return web.json_response({"error": "not_found", "message": "笔记不存在"}, status=404)
        if listing.platform != "feed":
            return web.json_response({"error": "not_found", "message": "笔记不存在"}, status=404)
        if listing.status == "removed":
            return web.json_response(REMOVED, status=404)
        return web.json_response({
            "id": listing.id,
            "title": listing.title,
            "text": listing.text,
            "url": f"/explore/{listing.id}",
            "author": author(listing),
            "location": listing.seller.location,
            "images": [f"/img/{listing.id}/{n}.png" for n in range(listing.image_count)],
            "published_at": listing.published_at,
            "tags": list(listing.tags),
        })

    async def api_user(request: web.Request) -> web.Response:
        try:
            number = world.seller_number(request.match_info["uid"])
        except KeyError:
            return web.json_response({"error": "not_found", "message": "用户不存在"}, status=404)
        seller = world.sellers[number]
        body = page_of(request, world.seller_listings(number, "feed"))
        body["user"] = {"id": seller.id, "name": seller.name, "location": seller.location}
        return web.json_response(body)

    async def private(request: web.Request) -> web.Response:
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>创作中心</title></head>"
                    "<body><h1>创作中心</h1><p>请先登录。</p></body></html>")

    app.router.add_get("/", home)
    app.router.add_get("/search_result", search_page)
    app.router.add_get("/explore/{id}", note_page)
    app.router.add_get("/user/{uid}", user_page)
    app.router.add_get("/api/feed", api_feed)
    app.router.add_get("/api/note/{id}", api_note)
    app.router.add_get("/api/user/{uid}/notes", api_user)
    app.router.add_get("/private/creator", private)
    app.router.add_static("/static/", STATIC)
    add_shared_routes(app, site, "feed")
    return app
