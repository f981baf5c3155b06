"""`services`: a service marketplace (猪八戒网-like) whose pages are all encoded in GBK."""
from __future__ import annotations

from aiohttp import web

from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, listing_or_404, page_number, paged, realism_middleware, seller_or_404

PAGE_SIZE = 15
ENCODING = "gbk"


def build_services(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "services")])

    def page(template: str, **context: object) -> web.Response:
        return html(site.render(template, **context), encoding=ENCODING)

    async def home(request: web.Request) -> web.Response:
        return page("services/home.html", keywords=world.keywords)

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("kw", "").strip()
        found = paged(world.search("services", query) if query else [], page_number(request), PAGE_SIZE)
        return page("services/search.html", query=query, total=found.total, page=found.page, pages=found.pages,
                    listings=[world.listing(i) for i in found.numbers])

    async def service(request: web.Request) -> web.Response:
        listing = listing_or_404(site, request.match_info["id"], "services")
        if listing.status == "removed":
            return page("services/removed.html")
        return page("services/service.html", listing=listing, canonical=site.url(listing))

    async def service_short(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/service/{request.match_info['id']}.html")

    async def shop(request: web.Request) -> web.Response:
        number = seller_or_404(site, request.match_info["sid"], "店铺不存在")
        found = paged(world.seller_listings(number, "services"), page_number(request), PAGE_SIZE)
        return page("services/shop.html", seller=world.sellers[number], page=found.page, pages=found.pages,
                    listings=[world.listing(i) for i in found.numbers])

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
