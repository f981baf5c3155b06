"""`hostile`: a marketplace whose sellers attack the crawler, served only with `--hostile` (`SimulatorConfig.hostile`).

Each listing is one attack, at `/item/<attack>` (`ATTACKS`), with the market's selectors (`simulator/hostile.yaml` is
its platform config); every search lists them all. They are not in the world, so not in the ground truth: what a
crawl must do with each is the test's (`tests/test_hostile_pages.py`). Links meant never to be followed point at
the market platform's origin, under `/hostile-canary/` (another port on this machine, as an internal service
would be), where the simulator's request statistics show whether anyone came.
"""
from __future__ import annotations

import asyncio
import socket
import zlib
from functools import cache

from aiohttp import web

from simulator.web.shared import add_shared_routes
from simulator.web.site import Site, html, realism_middleware

AD = "国家知识产权局指定代理，内部渠道，包授权，三天下证，联系微信 abc123。"
ATTACKS: dict[str, str] = {
    "hangs": "a script that never yields once the page has loaded (holds a browser tab for ever)",
    "paragraph": "one wrapped paragraph of 5 MB of Chinese (Chromium lays it out for tens of seconds)",
    "bomb": "a gzip body of 80 KB that inflates past DOWNLOAD_MAXSIZE (a decompression bomb)",
    "redirects": "an endless chain of 302 redirects",
    "refresh": "an endless chain of <meta http-equiv=refresh> pages",
    "title": "a title of 1 MB",
    "internal": "images, seller link, stylesheet and script fetches pointing at internal addresses (SSRF)",
    "popups": "a script that opens popups and dialogs without end",
    "nested": "the ad under 100,000 nested elements",
    "moved": "a listing that redirects to an internal address (as a re-checked one might once its seller moves it)",
    "pixels": "a picture of 40,000 × 40,000 pixels in a PNG of a few hundred KB (a decompression bomb for OCR)",
    "stream": "a page that never ends: its body streams for ever, 1 MB at a time",
    "seller-hangs": "a listing whose seller's shop page runs a script that never yields once loaded (the cards of a "
                    "rendered seller page that hangs)",
    "cloaked": "a script that shows an automated browser (navigator.webdriver) a clean listing (cloaking the evidence)",
    "cloaked-server": "a server that sends a browser (its Sec-Fetch-* headers) a clean listing (cloaking the evidence)",
}
CLEAN_TITLE = "商标注册 正规服务"
CLEAN_AD = "商标注册咨询，依法代理，不承诺注册结果，详情请咨询客服。"
"""What a cloaking seller shows the browser in place of the title and the ad."""
CANARY = "/hostile-canary/"
"""The path, on the market platform's origin, of every link a hostile page wants followed where it must not be."""
PARAGRAPH_BYTES = 5 * 1024 * 1024
BOMB_BYTES = 80 * 1024 * 1024
NESTING = 100_000
PIXELS = 40_000


@cache
def bomb() -> bytes:
    """A listing page followed by `BOMB_BYTES` of spaces, gzipped: about 80 KB on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1024 * 1024)
    parts = [compressor.compress(f"<html><body><h1 class='item-title'>商标注册 压缩炸弹</h1>"
                                 f"<div class='item-desc'>{AD}</div>".encode())]
    parts += [compressor.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


@cache
def pixel_bomb(side: int = PIXELS) -> bytes:
    """A black-and-white PNG of `side` × `side`, all white: at `PIXELS`, 200 MB of pixels deflated to about
    200 KB."""
    row = b"\x00" + b"\xff" * (side // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, "big") + kind + body
                + zlib.crc32(kind + body).to_bytes(4, "big"))

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def internal_addresses(market: str) -> list[str]:
    """Where a seller points a crawler that would fetch what it is told: the cloud metadata service, this machine's
    other ports under every spelling of loopback and under its host name (a name, public as written, that the
    resolver answers with this machine's address, as a seller's DNS would), and its files."""
    port = market.rsplit(":", 1)[-1]
    return ["http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            f"http://{socket.gethostname()}:{port}{CANARY}hostname.png", f"{market}{CANARY}image.png",
            f"http://localhost:{port}{CANARY}localhost.png", f"http://[::1]:{port}{CANARY}ipv6.png",
            f"http://2130706433:{port}{CANARY}decimal.png", f"http://0x7f.1:{port}{CANARY}hex.png",
            f"http://0.0.0.0:{port}{CANARY}zero.png", "file:///etc/passwd"]


def build_hostile(site: Site) -> web.Application:
    app = web.Application(middlewares=[realism_middleware(site, "hostile")])

    async def home(request: web.Request) -> web.Response:
        return html(site.render("hostile/search.html", query="", attacks=ATTACKS))

    async def search(request: web.Request) -> web.Response:
        """Every attack; `attacks=a,b` lists only those, and `hangs=1` adds a script that never yields from half a
        second after the page has loaded (a rendered results page that hangs while the crawler scrolls it for more
        cards, whose cards are in its HTML)."""
        wanted = [name for name in request.query.get("attacks", "").split(",") if name in ATTACKS]
        return html(site.render("hostile/search.html", query=request.query.get("q", ""),
                                attacks=wanted or list(ATTACKS), hangs=bool(request.query.get("hangs"))))

    def listing(title: str = "商标注册 内部渠道", paragraphs: tuple[str, ...] = (AD,),
                **fields: object) -> web.Response:
        page = {"title": title, "paragraphs": paragraphs, "images": [], "stylesheets": [], "seller": "恶意卖家",
                "seller_url": "/shop/1", "script": "", **fields}
        return html(site.render("hostile/item.html", **page))

    async def item(request: web.Request) -> web.StreamResponse:
        attack = request.match_info["attack"]
        hop = int(request.query.get("hop", "0"))
        market = site.endpoints.get("market", "")
        if attack == "hangs":
            return listing(script="addEventListener('load', () => setTimeout(() => { for (;;) {} }));")
        if attack == "paragraph":
            return listing(paragraphs=(AD, "专利代理包授权" * (PARAGRAPH_BYTES // 21)))
        if attack == "bomb":
            return web.Response(body=bomb(), headers={"Content-Type": "text/html; charset=utf-8",
                                                      "Content-Encoding": "gzip"})
        if attack == "redirects":
            raise web.HTTPFound(f"/item/redirects?hop={hop + 1}")
        if attack == "refresh":
            return html(site.render("hostile/refresh.html", next=f"/item/refresh?hop={hop + 1}"))
        if attack == "title":
            return listing(title="商标注册 " + "标" * (1024 * 1024 // 3))
        if attack == "internal":
            addresses = internal_addresses(market)
            fetches = "".join(f"fetch({address!r}, {{mode: 'no-cors'}}).catch(() => 0);" for address in addresses)
            return listing(images=addresses, stylesheets=[f"{market}{CANARY}style.css"],
                           seller_url=f"{market}{CANARY}shop", script=fetches)
        if attack == "popups":
            return listing(script="setInterval(() => { window.open(location.href, '_blank'); alert('中奖了'); "
                                  "confirm('领奖?'); }, 50);")
        if attack == "moved":
            raise web.HTTPFound(f"{market}{CANARY}moved")
        if attack == "pixels":
            return listing(images=["/pixels.png"])
        if attack == "stream":
            return await stream(request)
        if attack == "cloaked":
            return listing(script="if (navigator.webdriver) {"
                                  f" document.querySelector('h1.item-title').textContent = {CLEAN_TITLE!r};"
                                  f" document.querySelector('div.item-desc').innerHTML = '<p>{CLEAN_AD}</p>'; }}")
        if attack == "cloaked-server":
            if "Sec-Fetch-Dest" in request.headers:
                return listing(title=CLEAN_TITLE, paragraphs=(CLEAN_AD,))
            return listing()
        if attack == "seller-hangs":
            return listing(seller_url="/shop/hangs")
        if attack == "nested":
            return html("<html><body>" + "<div>" * NESTING + f"<h1 class='item-title'>商标注册 嵌套</h1>"
                        f"<div class='item-desc'>{AD}</div>" + "</div>" * NESTING + "</body></html>")
        raise web.HTTPNotFound(text="404 页面不存在\n")

    async def shop(request: web.Request) -> web.Response:
        """A seller's shop: a card for the listing of `internal`; the shop `hangs` adds a script that never yields
        from half a second after the page has loaded (a rendered seller page that hangs, whose card is in its
        HTML)."""
        return html(site.render("hostile/search.html", query="", attacks=["internal"],
                                hangs=request.match_info["shop"] == "hangs"))

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        await response.write(f"<html><body><h1 class='item-title'>商标注册 无尽</h1><div class='item-desc'>{AD}"
                             .encode())
        chunk = ("<p>" + "专利代理包授权" * 50_000 + "</p>").encode()
        try:
            while True:
                await response.write(chunk)
                await asyncio.sleep(0)
        except ConnectionResetError:  # the crawler hung up (aiohttp's own error derives from it)
            return response

    async def pixels(request: web.Request) -> web.Response:
        return web.Response(body=pixel_bomb(), content_type="image/png")

    app.router.add_get("/", home)
    app.router.add_get("/pixels.png", pixels)
    app.router.add_get("/search", search)
    app.router.add_get("/item/{attack}", item)
    app.router.add_get("/shop/{shop}", shop)
    add_shared_routes(app, site, "hostile")
    return app

