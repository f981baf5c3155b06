"""`app`: a JSON-API app (闲鱼/抖音 app-like). Search is a JSON API; a listing's page and a seller's page are shells
that carry their data as embedded JSON (`window.__INITIAL_STATE__ = {…}`, as server-rendered apps ship it) and draw
it with a script. Without JavaScript nothing is shown, but nothing needs a browser to be read."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from aiohttp import web

from simulator.listing import Listing
from simulator.web.shared import add_shared_routes
from simulator.web.site import STATIC, Site, html, listing_or_404, page_number, paged, realism_middleware, seller_or_404

PAGE_SIZE = 20
REMOVED_NOTICE = "该商品已下架"


def embedded_json(state: dict) -> str:
    """JSON safe inside a <script>: no `</script>`, comment or line-separator can end or break it, whatever the
    listing says."""
    text = json.dumps(state, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def build_app(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "app")])

    def seller_of(listing: Listing) -> dict:
        seller = listing.seller
        return {"id": seller.id, "name": seller.name, "city": seller.location, "link": f"/user/{seller.id}"}

    def card(listing: Listing) -> dict:
        return {"id": listing.id, "title": listing.title, "price": listing.price, "link": f"/goods/{listing.id}",
                "cover": f"/img/{listing.id}/0.png", "seller": seller_of(listing)}

    def page_of(found: list[int], page: int, next_url: str) -> dict:
        shown = paged(found, page, PAGE_SIZE)
        return {"items": [card(world.listing(i)) for i in shown.numbers], "page": page, "pages": shown.pages,
                "next": next_url.format(page=page + 1) if page < shown.pages else None}

    def shell(view: str, title: str, state: dict, status: int = 200) -> web.Response:
        return html(site.render("app/shell.html", view=view, title=title, state=embedded_json(state)),
                    status=status)

    async def home(request: web.Request) -> web.Response:
        return html(site.render("app/home.html", keywords=world.keywords))

    async def api_search(request: web.Request) -> web.Response:
        keyword = request.query.get("keyword", "").strip()
        page = page_number(request)
        found = world.search("app", keyword) if keyword else []
        query = urlencode({"keyword": keyword})
        return web.json_response({"code": 0, "data": page_of(found, page, f"/api/search?{query}&page={{page}}")})

    async def goods(request: web.Request) -> web.Response:
        listing = listing_or_404(site, request.match_info["id"], "app")
        if listing.status == "removed":
            return shell("goods", REMOVED_NOTICE, {"goods": None, "notice": REMOVED_NOTICE})
        return shell("goods", listing.title, {"goods": {
            "id": listing.id, "title": listing.title, "desc": listing.text, "price": listing.price,
            "images": [f"/img/{listing.id}/{n}.png" for n in range(listing.image_count)],
            "published_at": listing.published_at, "likes": listing.likes, "seller": seller_of(listing),
        }})

    async def user(request: web.Request) -> web.Response:
        number = seller_or_404(site, request.match_info["uid"], "用户不存在")
        seller = world.sellers[number]
        page = page_number(request)
        found = world.seller_listings(number, "app")
        state = {"user": {"id": seller.id, "name": seller.name, "city": seller.location},
                 **page_of(found, page, f"/user/{seller.id}?page={{page}}")}
        return shell("user", seller.name, state)

    async def private(request: web.Request) -> web.Response:
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>卖家中心</title></head>"
                    "<body><h1>卖家中心</h1><p>请先登录。</p></body></html>")

    app.router.add_get("/", home)
    app.router.add_get("/api/search", api_search)
    app.router.add_get("/goods/{id}", goods)
    app.router.add_get("/user/{uid}", user)
    app.router.add_get("/private/seller-center", private)
    app.router.add_static("/static/", STATIC)
    add_shared_routes(app, site, "app")
    return app
