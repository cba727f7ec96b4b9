"""The basemap setting, its content security policy and the MBTiles tiles Anning serves."""

from __future__ import annotations

import io
import sqlite3

import pytest
from PIL import Image

from data.settings import BASEMAP_ROUTE, SettingsError, basemap
from tests.dashboard.signed_in import signed_in_client


def _png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


def _mbtiles(path, tiles: dict[tuple[int, int, int], bytes]) -> None:
    """An MBTiles file holding ``tiles`` keyed by XYZ ``(z, x, y)`` (stored TMS, rows flipped)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("name", "t")])
    conn.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, 2**z - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    conn.commit()
    conn.close()


def test_no_basemap_by_default_and_templates_are_read(monkeypatch, tmp_path):
    monkeypatch.delenv("ANNING_BASEMAP", raising=False)
    assert basemap() is None
    monkeypatch.setenv("ANNING_BASEMAP", "https://tiles.police.local:8443/osm/{z}/{x}/{y}.png")
    config = basemap()
    assert config.origin == "https://tiles.police.local:8443" and config.mbtiles is None
    wmts = "http://gis.local/wmts/base/default/g/{TileMatrix}/{TileRow}/{TileCol}.png"
    monkeypatch.setenv("ANNING_BASEMAP", wmts)
    assert basemap().url == "http://gis.local/wmts/base/default/g/{z}/{y}/{x}.png"
    path = tmp_path / "base.mbtiles"
    _mbtiles(path, {})
    monkeypatch.setenv("ANNING_BASEMAP", str(path))
    assert basemap().url == BASEMAP_ROUTE and basemap().origin is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ftp://tiles.local/{z}/{x}/{y}.png", "http(s)"),
        ("https://tiles.local/{z}/{x}.png", "lacks {y}"),
        ("https://{s}.tiles.local/{z}/{x}/{y}.png", "fixed host"),
        ("/nowhere/base.mbtiles", "does not exist"),
        ("/data/base.pmtiles", "pmtiles convert"),
    ],
)
def test_a_bad_basemap_is_refused_with_what_is_wrong(monkeypatch, value, words):
    monkeypatch.setenv("ANNING_BASEMAP", value)
    with pytest.raises(SettingsError, match="ANNING_BASEMAP") as err:
        basemap()
    assert words in str(err.value)


def test_the_policy_allows_the_tile_server_and_nothing_else(monkeypatch, fixture_engine):
    from dashboard import create_app

    monkeypatch.setenv("ANNING_BASEMAP", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    app = create_app(fixture_engine)
    policy = app.server.test_client().get("/login").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == "'self' data: blob: http://127.0.0.1:9"
    assert "127.0.0.1:9" not in policy.replace(directives["img-src"], "")  # images only


def test_an_mbtiles_basemap_is_served_tile_by_tile(monkeypatch, tmp_path, fixture_engine):
    from dashboard import create_app

    red, blue = _png("red"), _png("blue")
    path = tmp_path / "base.mbtiles"
    _mbtiles(path, {(12, 3337, 1786): red, (12, 3337, 1787): blue})
    monkeypatch.setenv("ANNING_BASEMAP", str(path))
    app = create_app(fixture_engine)
    client = signed_in_client(app, fixture_engine, "t-tiles", "analyst")
    first = client.get("/basemap/12/3337/1786")
    assert first.status_code == 200 and first.mimetype == "image/png" and first.data == red
    assert client.get("/basemap/12/3337/1787").data == blue  # rows are not mixed up
    assert "max-age=86400" in first.headers["Cache-Control"]
    assert client.get("/basemap/12/3337/1788").status_code == 404  # not in the file
    assert client.get("/basemap/2/9/0").status_code == 404  # no such tile at zoom 2
    assert app.server.test_client().get("/basemap/12/3337/1786").status_code in (302, 401)
