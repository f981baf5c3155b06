"""`services`: a service marketplace (猪八戒网-like) whose pages are all encoded in GBK."""
from __future__ import annotations

import math

from aiohttp import web

from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, listing_or_404, page_number, realism_middleware

PAGE_SIZE = 15
ENCODING = "gbk"


def build_services(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "services")])

    def page(template: str, **context: object) -> web.Response:
        return html(site.render(template, **context), encoding=ENCODING)

    def pages(total: int) -> int:
        return max(1, math.ceil(total / PAGE_SIZE))

    async def home(request: web.Request) -> web.Response:
        return page("services/home.html", keywords=world.keywords)

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("kw", "").strip()
        number = page_number(request)
        found = world.search("services", query) if query else []
        chunk = found[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        return page("services/search.html", query=query, total=len(found), page=number, pages=pages(len(found)),
                    listings=[world.listing(i) for i in chunk])

    async def service(request: web.Request) -> web.Response:
        listing = listing_or_404(site, request.match_info["id"], "services")
        if listing.status == "removed":
            return page("services/removed.html")
        return page("services/service.html", listing=listing, canonical=site.url(listing))

    async def service_short(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/service/{request.match_info['id']}.html")

    async def shop(request: web.Request) -> web.Response:
        try:
            number = world.seller_number(request.match_info["sid"])
        except KeyError as exc:
            raise web.HTTPNotFound(text="店铺不存在\n") from exc
        current = page_number(request)
        found = world.seller_listings(number, "services")
        chunk = found[(current - 1) * PAGE_SIZE: current * PAGE_SIZE]
        return page("services/shop.html", seller=world.sellers[number], page=current, pages=pages(len(found)),
                    listings=[world.listing(i) for i in chunk])

    async def shop_no_slash(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(f"/shop/{request.match_info['sid']}/")

    async def private(request: web.Request) -> web.Response:
        return page("services/private.html")

    app.router.add_get("/", home)
    app.router.add_get("/search", search)
    app.router.add_get("/service/{id}.html", service)
    app.router.add_get("/service/{id}", service_short)
    app.router.add_get("/shop/{sid}/", shop)
    app.router.add_get("/shop/{sid}", shop_no_slash)
    app.router.add_get("/private/seller-center", private)
    add_shared_routes(app, site, "services")
    return app
