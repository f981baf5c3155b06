"""The detector reads a listing's images from local files: an image on the web reaches it only through a crawl
(Scrapy's files pipeline, with the platform's politeness and evidence), never by a download of its own."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from detector.detector import Detector
from detector.ocr import ImageError, ImageTextReader
from tests.fixtures.servers import local_http_server

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CLAIM = "商标包过"


@dataclass
class PictureServer:
    """A web server with one picture at `url`, counting the requests it is sent."""

    png: bytes
    url: str = ""
    requests: list[str] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """A request handler serving the picture and recording each request in `requests`."""
        picture = self

        class PictureHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                picture.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(picture.png)))
                self.end_headers()
                self.wfile.write(picture.png)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return PictureHandler


@pytest.fixture
def claim_png(tmp_path: Path) -> Path:
    image = Image.new("RGB", (360, 120), (250, 240, 230))
    ImageDraw.Draw(image).text((30, 30), CLAIM, font=ImageFont.truetype(FONT, 48), fill=(20, 20, 20))
    path = tmp_path / "claim.png"
    image.save(path)
    return path


@pytest.fixture
def picture_server(claim_png: Path) -> Iterator[PictureServer]:
    server = PictureServer(claim_png.read_bytes())
    with local_http_server(server.handler()) as base:
        server.url = f"{base}/claim.png"
        yield server


def test_a_local_picture_is_read_but_the_same_picture_on_the_web_is_not_fetched(
        claim_png: Path, picture_server: PictureServer) -> None:
    reader = ImageTextReader()
    assert reader.read(claim_png) == CLAIM
    assert reader.read(f"file://{claim_png}") == CLAIM
    with pytest.raises(ImageError, match="not fetched"):
        reader.read(picture_server.url)
    with pytest.raises(ImageError, match="not fetched"):
        reader.read(picture_server.url.replace("http://", "HTTPS://"))
    assert picture_server.requests == []


def test_the_detector_run_alone_reports_a_web_image_as_unread_without_a_request(
        rules_detector: Detector, claim_png: Path, picture_server: PictureServer) -> None:
    result = rules_detector.detect({"id": "x", "title": "商标注册 详情见图",
                                    "images": [picture_server.url, str(claim_png)]})
    assert result.image_text == CLAIM
    assert len(result.image_errors) == 1 and picture_server.url in result.image_errors[0]
    assert picture_server.requests == []
