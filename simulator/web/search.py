"""`search`: a search engine (百度推广-like): sponsored ads on top, organic results pointing to other sites."""
from __future__ import annotations

import heapq
from urllib.parse import urlparse

from aiohttp import web

from simulator.listing import Listing, canonical_path
from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, listing_or_404, page_number, realism_middleware

PAGE_SIZE = 10
ADS_PER_PAGE = 3


def build_search(site: Site) -> web.Application:
    world = site.world
    app = web.Application(middlewares=[realism_middleware(site, "search")])

    def landing(listing: Listing) -> str | None:
        slug = listing.seller.slug
        return f"{site.endpoints['agencies']}/site/{slug}/" if slug else None

    def display_url(listing: Listing) -> str:
        target = landing(listing)
        return urlparse(target).netloc + urlparse(target).path if target else "www.souyisou.local/ad"

    async def home(request: web.Request) -> web.Response:
        return html(site.render("search/home.html", keywords=world.keywords))

    async def results(request: web.Request) -> web.Response:
        query = request.query.get("wd", "").strip()
        pn = page_number(request, "pn", 0)
        page = pn // PAGE_SIZE
        ads_found = world.search("search", query) if query else []
        organic_found = list(heapq.merge(world.search("agencies", query), world.search("market", query))) \
            if query else []
        ads = [{"listing": listing, "display_url": display_url(listing)}
               for listing in map(world.listing, ads_found[page * ADS_PER_PAGE: (page + 1) * ADS_PER_PAGE])]
        organic = []
        for index in organic_found[page * PAGE_SIZE: (page + 1) * PAGE_SIZE]:
            listing = world.listing(index)
            organic.append({
                "title": listing.title,
                "abstract": listing.text[:90],
                "url": site.endpoints[listing.platform] + canonical_path(listing),
            })
        has_next = (page + 1) * PAGE_SIZE < len(organic_found) or (page + 1) * ADS_PER_PAGE < len(ads_found)
        return html(site.render("search/results.html", query=query, pn=page * PAGE_SIZE, ads=ads,
                                organic=organic, has_next=has_next, total=len(organic_found) + len(ads_found)))

    async def ad_click(request: web.Request) -> web.Response:
        listing_id = request.query.get("ad", "")
        listing_or_404(site, listing_id, "search")
        raise web.HTTPFound(f"/ad/{listing_id}")

    async def ad(request: web.Request) -> web.Response:
        listing = listing_or_404(site, request.match_info["id"], "search")
        if listing.status == "removed":
            return html(site.render("search/removed.html"))
        return html(site.render("search/ad.html", listing=listing, canonical=site.url(listing),
                                landing=landing(listing)))

    async def link(request: web.Request) -> web.Response:
        target = request.query.get("url", "")
        if not target.startswith(tuple(site.endpoints.values())):
            raise web.HTTPBadRequest(text="bad link target\n")
        raise web.HTTPFound(target)

    async def private(request: web.Request) -> web.Response:
        return html("<!DOCTYPE html><html><head><meta charset='utf-8'><title>推广中心</title></head>"
                    "<body><h1>推广中心</h1><p>请登录推广账户。</p></body></html>")

    app.router.add_get("/", home)
    app.router.add_get("/s", results)
    app.router.add_get("/aclk", ad_click)
    app.router.add_get("/ad/{id}", ad)
    app.router.add_get("/link", link)
    app.router.add_get("/private/advertiser", private)
    add_shared_routes(app, site, "search")
    return app
