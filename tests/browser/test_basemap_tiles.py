"""A basemap from the police network's tile server: tiles come from that origin and no other.

A tile server of the test's own runs on loopback (every tile a plain PNG, every request
counted); the real server runs with ``ANNING_BASEMAP`` pointing at it.
"""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from browser_helpers import MAP_READY
from conftest import VIEWPORT, log_in, running_server
from PIL import Image

from data.users import DEMO_PASSWORD


def _tile() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), "#c8d7c8").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tile_server():
    """A loopback tile server: ``(origin, paths asked)``."""
    tile, asked = _tile(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()


def test_tiles_come_from_the_configured_origin_only(
    browser, demo_database, tmp_path_factory, tile_server
):
    origin, asked = tile_server
    env = {"ANNING_BASEMAP": f"{origin}/osm/{{z}}/{{x}}/{{y}}.png"}
    with running_server(demo_database, tmp_path_factory.mktemp("var"), extra_env=env) as base:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        seen, refused = [], []
        context.on("request", lambda r: seen.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
        log_in(page, base, "demo-analyst", DEMO_PASSWORD)
        page.goto(f"{base}/")
        page.wait_for_function(MAP_READY)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.map-basemap img')].some(i => i.complete)"
        )
        context.close()
    tiles = [u for u in seen if u.startswith(origin)]
    assert tiles and all(urlsplit(u).path.startswith("/osm/") for u in tiles)
    assert len(asked) >= 1 and all(p.endswith(".png") for p in asked)
    others = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in seen} - {base, origin}
    assert others <= {"data://", "blob://"}, others  # nothing else was asked
    assert refused == []  # the content security policy let the tiles in
