"""Routes every platform has: robots.txt, listing images and the admin API."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from aiohttp import web

from simulator.images import render_product_image, render_text_image
from simulator.listing import UnknownListing, parse_id
from simulator.web.site import IMAGE_PREFIX, Site, robots_txt


@lru_cache(maxsize=512)
def _image(listing_id: str, number: int, version: int, text: str | None, caption: str) -> bytes:
    if number == 0 and text:
        return render_text_image(text, listing_id)
    return render_product_image(caption, number)


def add_shared_routes(app: web.Application, site: Site, platform: str,
                      sitemaps: Callable[[], list[str]] | None = None) -> None:
    async def robots(request: web.Request) -> web.Response:
        text = robots_txt(site.disallowed_prefixes, sitemaps() if sitemaps else None)
        return web.Response(text=text, content_type="text/plain")

    async def image(request: web.Request) -> web.Response:
        try:
            listing = site.world.by_id(request.match_info["id"])
            number = int(request.match_info["n"])
        except (KeyError, ValueError) as exc:
            raise web.HTTPNotFound() from exc
        if listing.platform != platform or not 0 <= number < listing.image_count or listing.removed_as == "404":
            raise web.HTTPNotFound()
        body = _image(listing.id, number, listing.version, listing.image_text, listing.seller.name)
        return web.Response(body=body, content_type="image/png", headers={"Cache-Control": "max-age=86400"})

    app.router.add_get("/robots.txt", robots)
    app.router.add_get(IMAGE_PREFIX + "{id}/{n:\\d+}.png", image)
    add_admin_routes(app, site)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _arguments(request: web.Request) -> dict:
    arguments = dict(request.query)
    if request.can_read_body:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text=json.dumps({"error": "body must be JSON"}),
                                     content_type="application/json") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text=json.dumps({"error": "body must be a JSON object"}),
                                     content_type="application/json")
        arguments.update(body)
    return arguments


def add_admin_routes(app: web.Application, site: Site) -> None:
    """The admin API (README "Admin API"): changes are shared by all platforms of the instance."""
    world = site.world

    def summary(listing) -> dict:
        return world.truth(listing, site.endpoints)

    async def change(request: web.Request, action: str) -> web.Response:
        arguments = await _arguments(request)
        try:
            if action == "add":
                platform = str(arguments.pop("platform", ""))
                return web.json_response(summary(world.add(platform, arguments)))
            index = parse_id(str(arguments.pop("id", "")))
            if action == "remove":
                listing = world.remove(index, str(arguments.get("mode", "delisted")))
            elif action == "restore":
                listing = world.restore(index)
            else:
                listing = world.edit(index, arguments)
        except UnknownListing as exc:
            return _error(404, f"unknown listing id {exc.args[0]!r}")
        except KeyError as exc:
            return _error(404, f"unknown seller id {exc.args[0]!r}")
        except ValueError as exc:
            return _error(400, str(exc))
        return web.json_response(summary(listing))

    async def remove(request: web.Request) -> web.Response:
        return await change(request, "remove")

    async def restore(request: web.Request) -> web.Response:
        return await change(request, "restore")

    async def edit(request: web.Request) -> web.Response:
        return await change(request, "edit")

    async def add(request: web.Request) -> web.Response:
        return await change(request, "add")

    async def listing(request: web.Request) -> web.Response:
        try:
            return web.json_response(summary(world.by_id(request.query.get("id", ""))))
        except KeyError:
            return _error(404, f"unknown listing id {request.query.get('id')!r}")

    async def ground_truth(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
        await response.prepare(request)
        chunk: list[str] = []
        for record in world.ground_truth(site.endpoints):
            chunk.append(json.dumps(record, ensure_ascii=False))
            if len(chunk) >= 500:
                await response.write(("\n".join(chunk) + "\n").encode())
                chunk = []
        if chunk:
            await response.write(("\n".join(chunk) + "\n").encode())
        await response.write_eof()
        return response

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(site.stats.as_dict())

    app.router.add_post("/__admin/remove", remove)
    app.router.add_post("/__admin/restore", restore)
    app.router.add_post("/__admin/edit", edit)
    app.router.add_post("/__admin/add", add)
    app.router.add_get("/__admin/listing", listing)
    app.router.add_get("/__admin/ground_truth", ground_truth)
    app.router.add_get("/__admin/stats", stats)
