"""`agencies`: the websites of agencies (licensed or not), all on one origin under `/site/<slug>/`."""
from __future__ import annotations

from xml.sax.saxutils import escape

from aiohttp import web

from simulator.sellers import Seller
from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, listing_or_404, page_number, paged, realism_middleware

PAGE_SIZE = 20
SITE_PAGES = ("", "about", "services", "contact")


def about_text(seller: Seller) -> str:
    if seller.in_registry:
        return (f"{seller.name}是依法设立的知识产权代理机构，位于上海市{seller.district}，"
                "拥有多名持证专利代理师，为客户提供专利、商标申请及维权服务。")
    return (f"{seller.name}成立多年，专注于为中小企业提供一站式知识产权服务，"
            "业务涵盖商标注册、专利申请、版权登记、高企认定咨询。")


def xml(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/xml")


def build_agencies(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "agencies")])
    agencies = [seller for seller in world.sellers if seller.slug]

    def seller_of(request: web.Request) -> tuple[int, Seller]:
        number = world.slug_to_seller.get(request.match_info["slug"])
        if number is None:
            raise web.HTTPNotFound(text="站点不存在\n")
        return number, world.sellers[number]

    def services_of(number: int) -> list:
        return [world.listing(i) for i in world.seller_listings(number, "agencies")]

    async def index(request: web.Request) -> web.Response:
        return html(site.render("agencies/index.html", sellers=agencies, keywords=world.keywords))

    async def search(request: web.Request) -> web.Response:
        query = request.query.get("q", "").strip()
        found = paged(world.search("agencies", query) if query else [], page_number(request), PAGE_SIZE)
        return html(site.render("agencies/search.html", query=query, total=found.total, page=found.page,
                                pages=found.pages, listings=[world.listing(i) for i in found.numbers]))

    async def sitemap_index(request: web.Request) -> web.Response:
        base = site.endpoints["agencies"]
        entries = "".join(f"<sitemap><loc>{base}/site/{s.slug}/sitemap.xml</loc></sitemap>" for s in agencies)
        return xml('<?xml version="1.0" encoding="UTF-8"?>\n'
                   f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>\n')

    async def site_sitemap(request: web.Request) -> web.Response:
        number, seller = seller_of(request)
        base = f"{site.endpoints['agencies']}/site/{seller.slug}/"
        urls = [(base + page, None) for page in SITE_PAGES]
        urls += [(f"{base}services/{listing.id}.html", listing.published_at[:10]) for listing in services_of(number)]
        entries = "".join(
            f"<url><loc>{escape(url)}</loc>{f'<lastmod>{date}</lastmod>' if date else ''}</url>" for url, date in urls
        )
        return xml('<?xml version="1.0" encoding="UTF-8"?>\n'
                   f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n')

    async def no_slash(request: web.Request) -> web.Response:
        seller_of(request)
        raise web.HTTPMovedPermanently(f"/site/{request.match_info['slug']}/")

    async def home(request: web.Request) -> web.Response:
        number, seller = seller_of(request)
        return html(site.render("agencies/site_home.html", seller=seller, listings=services_of(number)))

    async def about(request: web.Request) -> web.Response:
        _, seller = seller_of(request)
        return html(site.render("agencies/about.html", seller=seller, about=about_text(seller)))

    async def services(request: web.Request) -> web.Response:
        number, seller = seller_of(request)
        return html(site.render("agencies/services.html", seller=seller, listings=services_of(number)))

    async def service(request: web.Request) -> web.Response:
        number, seller = seller_of(request)
        listing = listing_or_404(site, request.match_info["id"], "agencies")
        if listing.seller.id != seller.id:
            raise web.HTTPNotFound(text="页面不存在\n")
        if listing.status == "removed":
            return html(site.render("agencies/removed.html", seller=seller))
        return html(site.render("agencies/service.html", seller=seller, listing=listing, canonical=site.url(listing)))

    async def contact(request: web.Request) -> web.Response:
        _, seller = seller_of(request)
        return html(site.render("agencies/contact.html", seller=seller))

    async def private(request: web.Request) -> web.Response:
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>会员专区</title></head>"
                    "<body><h1>会员专区</h1><p>请先登录。</p></body></html>")

    app.router.add_get("/", index)
    app.router.add_get("/search", search)
    app.router.add_get("/sitemap.xml", sitemap_index)
    app.router.add_get("/site/{slug}", no_slash)
    app.router.add_get("/site/{slug}/", home)
    app.router.add_get("/site/{slug}/about", about)
    app.router.add_get("/site/{slug}/services", services)
    app.router.add_get("/site/{slug}/services/{id}.html", service)
    app.router.add_get("/site/{slug}/contact", contact)
    app.router.add_get("/site/{slug}/sitemap.xml", site_sitemap)
    app.router.add_get("/private/members", private)

    def sitemaps() -> list[str]:
        return [f"{site.endpoints['agencies']}/sitemap.xml"]

    add_shared_routes(app, site, "agencies", sitemaps=sitemaps)
    return app
