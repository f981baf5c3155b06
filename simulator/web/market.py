"""`market`: a server-rendered marketplace (淘宝/闲鱼-like) with search, detail pages and shops."""
from __future__ import annotations

import io
import zipfile
from random import Random

from aiohttp import web

from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, listing_or_404, page_number, paged, realism_middleware, seller_or_404

PAGE_SIZE = 20
HUGE_REVIEWS = 12000
REVIEW_TEXTS = ("东西不错，和描述一致，物流很快。", "客服态度很好，回复及时。", "第二次购买了，质量稳定。",
                "包装完好，性价比高，推荐。", "一般般吧，凑合用。", "卖家很耐心，解答了很多问题。")


def promo_zip() -> bytes:
    """The binary behind `/promo/rules.html`: a real ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rules.txt", "活动规则：满300减30。\n" * 50)
        archive.writestr("banner.bin", bytes(range(256)) * 64)
    return buffer.getvalue()


def malform(page: str) -> str:
    """Break a page the way hand-edited templates break: unclosed tags, a stray </html>, a dangling attribute."""
    broken = page.replace("</span>", "", 3).replace("</p>", "", 2)
    marker = '<div class="item-desc">'
    broken = broken.replace(marker, '</body></html>\n<div class="item-desc" <b>', 1)
    return broken.replace("</footer>", '<div class="ad" data-x="unterminated>', 1)


def build_market(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "market")])
    zipped = promo_zip()

    async def home(request: web.Request) -> web.Response:
        return html(site.render("market/home.html", keywords=world.keywords))

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        found = paged(world.search("market", query) if query else [], page_number(request), PAGE_SIZE)
        return html(site.render("market/search.html", query=query, listings=[world.listing(i) for i in found.numbers],
                                page=found.page, pages=found.pages, total=found.total))

    async def item(request: web.Request) -> web.Response:
        listing_id = request.query.get("id", "")
        if set(request.query) != {"id"}:
            raise web.HTTPMovedPermanently(f"/item.htm?id={listing_id}")
        listing = listing_or_404(site, listing_id, "market")
        if listing.status == "removed":
            return html(site.render("market/removed.html"))
        reviews: list[tuple[str, str]] = []
        if listing.quirk == "huge":
            rng = Random(listing.id)
            reviews = [(f"买家{rng.randrange(10**6):06d}", rng.choice(REVIEW_TEXTS) * rng.randrange(1, 6))
                       for _ in range(HUGE_REVIEWS)]
        page = site.render("market/item.html", listing=listing, canonical=site.url(listing), reviews=reviews)
        return html(malform(page) if listing.quirk == "malformed" else page)

    async def legacy_item(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(f"/item.htm?id={request.match_info['id']}")

    async def shop(request: web.Request) -> web.Response:
        number = seller_or_404(site, request.match_info["sid"], "店铺不存在")
        found = paged(world.seller_listings(number, "market"), page_number(request), PAGE_SIZE)
        return html(site.render("market/shop.html", seller=world.sellers[number],
                                listings=[world.listing(i) for i in found.numbers], page=found.page,
                                pages=found.pages))

    async def private(request: web.Request) -> web.Response:
        return html(site.render("market/private.html"))

    async def promo(request: web.Request) -> web.Response:
        return web.Response(body=zipped, content_type="application/zip")

    app.router.add_get("/", home)
    app.router.add_get("/search", search)
    app.router.add_get("/item.htm", item)
    app.router.add_get("/item/{id}", legacy_item)
    app.router.add_get("/shop/{sid}", shop)
    app.router.add_get("/private/merchant-center", private)
    app.router.add_get("/promo/rules.html", promo)
    add_shared_routes(app, site, "market")
    return app
