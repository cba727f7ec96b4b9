"""Places people find their way by, and the names of map cells built from them.

A police officer does not know where ``89411cac34fffff`` is; they know 西乡街道 · 固戍社区 ·
近宝安大道. :class:`PlaceIndex` names any point (a hexagon's centre, an address) from the
stored places (:class:`data.models.Place`, loaded with ``python app.py places``):

* the *street* (街道): the street area holding the point, else the nearest street centre
  within :data:`STREET_RADIUS_M`;
* the *area*: the smallest community, compound or urban-village polygon holding the point,
  else the nearest such point place within :data:`AREA_RADIUS_M`;
* *near*: the nearest road within :data:`ROAD_RADIUS_M`, else the nearest landmark within
  :data:`LANDMARK_RADIUS_M`.

Parts that are not found are left out (a name may be just "西乡街道", or nothing at all, in
which case callers show the cell id). Distances are in metres on a local equirectangular
projection at the places' mean latitude (errors well under 1 % within a city).

English names: the place's own, else its Chinese name in pinyin (``pypinyin``), with the kind
word translated (街道 → Subdistrict, 社区 → Community).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from pypinyin import lazy_pinyin
from shapely.geometry.base import BaseGeometry

#: Kinds of place, and which role each plays in a name.
KINDS: tuple[str, ...] = ("street", "community", "urban_village", "compound", "landmark", "road")
AREA_KINDS: tuple[str, ...] = ("community", "urban_village", "compound")
#: How far (metres) a point place may be from what it names.
STREET_RADIUS_M = 5_000.0
AREA_RADIUS_M = 1_200.0
ROAD_RADIUS_M = 400.0
LANDMARK_RADIUS_M = 800.0
#: Words users write for each kind (imports accept these as well as the kind itself).
KIND_WORDS: dict[str, str] = {
    "街道": "street",
    "社区": "community",
    "城中村": "urban_village",
    "小区": "compound",
    "地标": "landmark",
    "道路": "road",
    "路": "road",
}
_METRES_PER_DEGREE = 111_320.0
#: Chinese endings of names and their English words, longest first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("街道", "Subdistrict"),
    ("社区", "Community"),
    ("新村", "New Village"),
    ("大道", "Avenue"),
    ("公路", "Highway"),
    ("高速", "Expressway"),
    ("机场", "Airport"),
    ("水库", "Reservoir"),
    ("公园", "Park"),
    ("小区", "Estate"),
    ("路", "Road"),
    ("街", "Street"),
    ("村", "Village"),
)


def kind_of(text: str | None) -> str | None:
    """The kind a user wrote (``社区``, ``community`` …), or None if it is not one."""
    if text is None:
        return None
    word = text.strip().lower().replace(" ", "_")
    if word in KINDS:
        return word
    return KIND_WORDS.get(text.strip())


def english_name(name_zh: str) -> str:
    """An English name for a Chinese place name: pinyin, with the kind word translated
    (``固戍社区`` → ``Gushu Community``); text without Chinese is returned as it is."""
    if not re.search(r"[\u4e00-\u9fff]", name_zh):
        return name_zh
    for suffix, word in _SUFFIXES:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            return f"{_pinyin(name_zh[: -len(suffix)])} {word}"
    return _pinyin(name_zh)


def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text)).capitalize()


@dataclass(frozen=True)
class Place:
    """One place: its names, kind and geometry (WGS-84, lng/lat)."""

    name_zh: str
    kind: str
    geometry: BaseGeometry
    name_en: str | None = None
    station_code: str | None = None

    def name(self, lang: str) -> str:
        """The place's name in ``lang`` (English: its own, else pinyin)."""
        if lang == "en":
            return self.name_en or english_name(self.name_zh)
        return self.name_zh


@dataclass(frozen=True)
class PlaceName:
    """What a point is named by: each part a place, or None where none was found."""

    street: Place | None = None
    area: Place | None = None
    near: Place | None = None

    def text(self, lang: str, street: bool = True) -> str:
        """``西乡街道 · 固戍社区 · 近宝安大道`` / ``Xixiang Subdistrict · Gushu Community ·
        near Bao'an Avenue``; empty when nothing was found. ``street=False`` leaves the street
        out (on a screen of one station, where it is always the same)."""
        kept = (self.street, self.area) if street else (self.area,)
        parts = [p.name(lang) for p in kept if p is not None]
        if self.near is not None:
            near = self.near.name(lang)
            parts.append(f"near {near}" if lang == "en" else f"近{near}")
        return " · ".join(parts)


@dataclass
class PlaceIndex:
    """Every stored place, indexed for naming points and for search."""

    places: Sequence[Place]
    _lat0: float = field(init=False)
    _by_kind: dict[str, tuple[list[Place], shapely.STRtree | None, list[BaseGeometry]]] = field(
        init=False
    )

    def __post_init__(self) -> None:
        lats = [p.geometry.centroid.y for p in self.places if not p.geometry.is_empty]
        self._lat0 = float(np.mean(lats)) if lats else 0.0
        self._by_kind = {}
        for kind in KINDS:
            chosen = [p for p in self.places if p.kind == kind and not p.geometry.is_empty]
            local = [self._local(p.geometry) for p in chosen]
            tree = shapely.STRtree(local) if local else None
            self._by_kind[kind] = (chosen, tree, local)

    def __len__(self) -> int:
        return len(self.places)

    def _local(self, geometry: BaseGeometry) -> BaseGeometry:
        """``geometry`` in metres (equirectangular at the places' mean latitude)."""
        kx = _METRES_PER_DEGREE * math.cos(math.radians(self._lat0))
        return shapely.transform(geometry, lambda xy: xy * np.array([kx, _METRES_PER_DEGREE]))

    def _nearest(
        self, kinds: Iterable[str], point: BaseGeometry, radius: float
    ) -> tuple[Place | None, float]:
        best, best_key = None, (math.inf, math.inf)
        for kind in kinds:
            chosen, tree, local = self._by_kind[kind]
            if tree is None:
                continue
            hits = tree.query(point, predicate="dwithin", distance=radius)
            for i in hits:
                # Inside several polygons (a compound in a community): the smallest names it.
                key = (float(point.distance(local[int(i)])), local[int(i)].area)
                if key < best_key:
                    best, best_key = chosen[int(i)], key
        return best, best_key[0]

    def name_point(self, lng: float, lat: float) -> PlaceName:
        """The name of the point ``(lng, lat)`` (WGS-84)."""
        if not self.places:
            return PlaceName()
        point = self._local(shapely.Point(lng, lat))
        street, _ = self._nearest(("street",), point, STREET_RADIUS_M)
        area, _ = self._nearest(AREA_KINDS, point, AREA_RADIUS_M)
        near, _ = self._nearest(("road",), point, ROAD_RADIUS_M)
        if near is None:
            near, _ = self._nearest(("landmark",), point, LANDMARK_RADIUS_M)
        return PlaceName(street, area, near)

    def search(self, text: str, lang: str, limit: int = 10) -> list[Place]:
        """Places whose name (in either language) contains ``text``, shortest name first."""
        needle = text.strip().lower()
        if not needle:
            return []
        found = [
            p for p in self.places if needle in p.name_zh.lower() or needle in p.name("en").lower()
        ]
        found.sort(key=lambda p: (len(p.name(lang)), p.name(lang)))
        return found[:limit]
