"""The places the demo district ships: Bao'an's street offices, the communities its incidents
cluster in, its main roads and a few landmarks.

No open data on Bao'an's communities, roads or landmarks is reachable offline, so these are
drawn by hand, approximately, in WGS-84 (README, "The demo district"): street offices at the
station centres, each community (城中村) at the centre the demo generator clusters its
incidents around (:func:`data.demo.scenario.village_centres`), the roads as a few straight
segments along their real course, landmarks as points. Good enough to find one's way on the
demo map; a real installation loads its own with ``python app.py places``.
"""

from __future__ import annotations

from shapely.geometry import LineString, Point

from data.demo.baoan import STATIONS, STREETS
from data.demo.scenario import village_centres
from geo.places import Place

#: The source name the demo's places are stored under.
SOURCE = "demo"

#: Main roads: (Chinese name, English name, points (lng, lat)), approximate.
ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    (
        "宝安大道",
        "Bao'an Avenue",
        (
            (113.905, 22.552),
            (113.868, 22.600),
            (113.838, 22.655),
            (113.815, 22.715),
            (113.820, 22.790),
        ),
    ),
    (
        "广深公路",
        "Guangshen Highway",
        (
            (113.915, 22.565),
            (113.880, 22.610),
            (113.852, 22.665),
            (113.838, 22.720),
            (113.850, 22.800),
        ),
    ),
    (
        "沿江高速",
        "Yanjiang Expressway",
        (
            (113.880, 22.535),
            (113.845, 22.585),
            (113.800, 22.660),
            (113.785, 22.720),
            (113.790, 22.770),
        ),
    ),
    (
        "新安六路",
        "Xin'an 6th Road",
        ((113.880, 22.548), (113.893, 22.575)),
    ),
    (
        "石岩大道",
        "Shiyan Avenue",
        ((113.915, 22.655), (113.935, 22.680), (113.948, 22.700)),
    ),
)

#: Landmarks: (Chinese name, English name, (lng, lat)), approximate.
LANDMARKS: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("深圳宝安国际机场", "Shenzhen Bao'an International Airport", (113.811, 22.639)),
    ("宝安中心区", "Bao'an Central District", (113.885, 22.553)),
    ("石岩水库", "Shiyan Reservoir", (113.925, 22.660)),
    ("宝安体育馆", "Bao'an Stadium", (113.878, 22.566)),
)


def demo_places() -> list[Place]:
    """The demo district's places."""
    places = [
        Place(
            f"{STREETS[code]}街道",
            "street",
            Point(*centre),
            name_en=name_en.replace(" Station", " Subdistrict"),
            station_code=code,
        )
        for code, _, name_en, centre in STATIONS
    ]
    places += [
        Place(f"{v.name}社区", "urban_village", Point(lng, lat), station_code=v.station_code)
        for v, lng, lat in village_centres()
    ]
    places += [Place(zh, "road", LineString(points), name_en=en) for zh, en, points in ROADS]
    places += [Place(zh, "landmark", Point(*xy), name_en=en) for zh, en, xy in LANDMARKS]
    return places
