"""The basemap's tiles when ``ANNING_BASEMAP`` names a local MBTiles file.

``GET /basemap/<z>/<x>/<y>`` answers the raster tile at zoom ``z``, column ``x`` and row ``y``
(XYZ numbering, as every web map asks; MBTiles stores rows bottom-up, TMS) from the file,
read-only, with a day's caching; 404 when the file has no such tile. Nothing is served when
the basemap is a tile server of the police network, or when there is none (the default).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from flask import Flask, Response, abort

from data.settings import basemap

#: Image types by the MBTiles ``format`` metadata.
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
#: Seconds a browser may keep a tile.
TILE_MAX_AGE = 86_400
MAX_ZOOM = 24

_local = threading.local()


def _connection(path: Path) -> sqlite3.Connection:
    """One read-only connection per thread (sqlite3 connections are not shared)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        _local.conn = conn
    return conn


def tile(path: Path, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """The tile ``z/x/y`` (XYZ) of the MBTiles file ``path`` and its media type, or None."""
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        return None
    conn = _connection(path)
    row = conn.execute(
        "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
        (z, x, 2**z - 1 - y),
    ).fetchone()
    if row is None:
        return None
    fmt = conn.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    return bytes(row[0]), MEDIA_TYPES.get((fmt[0] if fmt else "png").lower(), "image/png")


def register(server: Flask) -> None:
    """Serve the MBTiles basemap under ``/basemap/`` when one is configured."""
    config = basemap()
    if config is None or config.mbtiles is None:
        return
    path = config.mbtiles

    @server.get("/basemap/<int:z>/<int:x>/<int:y>")
    def basemap_tile(z: int, x: int, y: int) -> Response:
        found = tile(path, z, x, y)
        if found is None:
            abort(404)
        response = Response(found[0], mimetype=found[1])
        response.cache_control.private = True
        response.cache_control.max_age = TILE_MAX_AGE
        return response
