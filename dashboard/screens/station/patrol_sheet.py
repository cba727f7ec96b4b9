"""The printable patrol sheet of a station: map, cells and addresses on one A4 page.

``GET /station/<code>/patrol-sheet?lang=zh|en[&shift=HH-HH]`` answers a plain HTML page (no
script) that prints on one A4 sheet (``@page { size: A4 }`` in ``assets/station.css``):

* a map drawn on the server as inline SVG from the geometry: the station's boundary and name,
  the patrol plan's H3 cells numbered by rank, the repeat addresses (those inside the plan's
  cells stand out), a scale bar and a north arrow;
* the table of the cells in rank order: the addresses in each, written out whole (repeat
  addresses, then early-warning entries), the incidents of the plan's training window, and
  why the cell is on the plan;
* the station's name, the date, the shift, the method and who printed it.

With ``shift`` (one of the configured patrol shifts, ``ANNING_PATROL_SHIFTS``, default
``08-16,16-24,00-08``) the plan is made from the incidents reported in the shift's hours only,
so the late shift patrols where the evenings' incidents are; the sheet says what share of the
station's incidents fell in that shift. Without it, the plan of the whole day.

Everything is read through :class:`~data.access.CaseAccess` for the caller's scope:
addresses are in full for a station chief and masked for the other roles. Each sheet served
is written to the audit trail (``export``), as it carries addresses off the screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

import polars as pl
import shapely
from flask import Flask, Response, request
from shapely.geometry.base import BaseGeometry

from dashboard.parts.i18n import label, normalise_language, t
from dashboard.parts.services import Services, services
from dashboard.screens.station.access import station_of
from dashboard.screens.station.panels import (
    format_int,
    panel_data,
    plan_cells,
    shift_label,
    shift_text,
    training_incidents,
)
from dashboard.screens.station.sheet_page import notice, page, refusal
from dashboard.web.scope import current_scope
from data import audit
from data.access import IncidentFilter
from data.settings import patrol_shifts, shift_hours
from geo.h3cells import cell_to_boundary_lnglat, cell_to_latlng, latlng_to_cells
from layers import patrol_plan

#: The sheet's map, in SVG user units (its aspect ratio is kept when printed).
MAP_WIDTH = 1000
MAP_HEIGHT = 560
MAP_MARGIN = 24
#: Most cells the table lists (more would not fit the page; the count says so).
MAX_ROWS = 34
#: Tables of at most this many cells leave room for a larger map.
SHORT_TABLE = 16
#: Tables of more than this many cells leave room for a smaller map only.
LONG_TABLE = 24
#: The map shows the plan's cells and this much around them (metres), not the whole
#: station: a large station's cells would be specks with overlapping numbers.
MAP_PAD_M = 700
#: Addresses named per cell in the table (each written out whole; more are counted).
ADDRESSES_PER_CELL = 3
#: Colour-blind-safe colours (Okabe-Ito): plan cells, addresses in them, other addresses.
CELL_FILL, CELL_EDGE = "#E69F00", "#8a5d00"
ADDRESS_IN_PLAN, ADDRESS_ELSEWHERE = "#0072B2", "#9aa5b1"


@dataclass(frozen=True)
class SheetCell:
    """One cell of the plan as the sheet prints it."""

    rank: int
    cell: int
    incidents: int
    nearby: int
    addresses: tuple[str, ...]
    repeat_addresses: int
    warnings: int
    #: Where the cell is, by its places (``西乡街道 · 固戍社区 · 近宝安大道``); "" if unnamed.
    place: str = ""


@dataclass(frozen=True)
class SheetModel:
    """What one patrol sheet shows."""

    code: str
    station_name: str
    boundary: BaseGeometry
    cells: tuple[SheetCell, ...]
    points: tuple[tuple[float, float, bool], ...]  # lat, lng, inside a plan cell
    method: str
    train_weeks: int
    printed_at: datetime
    printed_by: str
    #: The shift the plan is for (``(start, end)`` hours), None for the whole day.
    shift: tuple[int, int] | None = None
    #: The station's incidents of the training window, and how many fell in the shift.
    window_incidents: int = 0
    shift_incidents: int = 0


def parse_shift(value: str | None) -> tuple[int, int] | None:
    """The configured shift written ``HH-HH`` in ``value``; None for none given.

    Raises ``ValueError`` for a value that is not one of :func:`data.settings.patrol_shifts`.
    """
    if not value:
        return None
    for shift in patrol_shifts():
        if value.strip() == shift_text(shift):
            return shift
    raise ValueError(value)


# -- the data -------------------------------------------------------------------------------
def sheet_model(
    svc: Services,
    code: str,
    lang: str,
    now: datetime | None = None,
    shift: tuple[int, int] | None = None,
) -> SheetModel:
    """The sheet of station ``code`` for the current request's scope (checked by the caller);
    for ``shift``, the plan made from the incidents of the shift's hours."""
    scope = current_scope()
    station = station_of(svc.access, scope, code)
    if station is None:
        raise PermissionError(code)
    now = now or datetime.now(UTC)
    data = panel_data(svc, scope, code, now)
    train_weeks = patrol_plan.TRAIN_WEEKS
    everything = training_incidents(svc, scope, code, now, train_weeks)
    incidents, plan = everything, data.plan
    if shift is not None:
        hours = shift_hours(shift)
        incidents = training_incidents(svc, scope, code, now, train_weeks, hours)
        plan = svc.layer(scope, IncidentFilter(stations=(code,), hours=hours), "patrol_plan")
    table = plan_cells(plan, data.repeats, data.warnings, incidents)
    addresses = _addresses_by_cell(data.repeats, data.warnings)
    places = svc.cell_names(table["cell"].to_list(), lang)
    cells = tuple(
        SheetCell(
            rank=int(r["rank"]),
            cell=int(r["cell"]),
            incidents=int(r["incidents"]),
            nearby=int(r["nearby"]),
            addresses=tuple(addresses.get(int(r["cell"]), ())),
            repeat_addresses=int(r["repeat_addresses"]),
            warnings=int(r["warnings"]),
            place=places.get(int(r["cell"]), ""),
        )
        for r in table.iter_rows(named=True)
    )
    planned = {c.cell for c in cells}
    points = tuple((lat, lng, int(cell) in planned) for lat, lng, cell in _located(data.repeats))
    return SheetModel(
        code=code,
        station_name=station.name_en if lang == "en" else station.name_zh,
        boundary=station.boundary,
        cells=cells,
        points=points,
        method=patrol_plan.DEFAULT_METHOD,
        train_weeks=train_weeks,
        printed_at=now,
        printed_by=scope.user,
        shift=shift,
        window_incidents=everything.height,
        shift_incidents=incidents.height,
    )


def _located(frame: pl.DataFrame) -> list[tuple[float, float, int]]:
    """``(lat, lng, cell)`` of a layer's rows that have coordinates."""
    if frame.is_empty() or "lat" not in frame.columns:
        return []
    rows = frame.filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null())
    cells = latlng_to_cells(rows["lat"].to_numpy(), rows["lng"].to_numpy())
    return [
        (float(lat), float(lng), int(c))
        for lat, lng, c in zip(rows["lat"], rows["lng"], cells, strict=True)
        if c >= 0
    ]


def _addresses_by_cell(repeats: pl.DataFrame, warnings: pl.DataFrame) -> dict[int, list[str]]:
    """Cell → the addresses in it: repeat addresses (most incidents first), then the
    addresses of early-warning entries not named yet."""
    found: dict[int, list[str]] = {}
    seen: set[str] = set()  # address keys named already (a warning often names a repeat)
    for frame, column in ((repeats, "address_raw"), (warnings, "address_key")):
        if frame.is_empty() or column not in frame.columns or "address_key" not in frame.columns:
            continue
        rows = frame.filter(pl.col("lat").is_not_null() & pl.col(column).is_not_null())
        cells = latlng_to_cells(rows["lat"].to_numpy(), rows["lng"].to_numpy())
        for text, key, cell in zip(
            rows[column].to_list(), rows["address_key"].to_list(), cells, strict=True
        ):
            names = found.setdefault(int(cell), [])
            if key in seen or text in names:
                continue
            seen.add(key)
            names.append(text)
    return found


# -- the map ----------------------------------------------------------------------------------
class _Frame:
    """Longitude/latitude → SVG units: equirectangular at the station's mean latitude, so a
    station of a few kilometres keeps its shape, fitted into the map box."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        west, south, east, north = bounds
        self.kx = math.cos(math.radians((south + north) / 2))
        width = max((east - west) * self.kx, 1e-9)
        height = max(north - south, 1e-9)
        inner_w, inner_h = MAP_WIDTH - 2 * MAP_MARGIN, MAP_HEIGHT - 2 * MAP_MARGIN
        self.scale = min(inner_w / width, inner_h / height)
        self.x0 = west - (inner_w / self.scale - width) / 2 / self.kx
        self.y0 = north + (inner_h / self.scale - height) / 2

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point."""
        return (
            MAP_MARGIN + (lng - self.x0) * self.kx * self.scale,
            MAP_MARGIN + (self.y0 - lat) * self.scale,
        )


def _path(frame: _Frame, ring: list[tuple[float, float]] | list[list[float]]) -> str:
    points = [frame.xy(lng, lat) for lng, lat in ring]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


def _rings(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    rings = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        rings.append(list(polygon.exterior.coords))
        rings.extend(list(hole.coords) for hole in polygon.interiors)
    return rings


def _extent(model: SheetModel) -> tuple[float, float, float, float]:
    """West, south, east, north of the map: the plan's cells padded by :data:`MAP_PAD_M`,
    within the station's own bounds (the whole station when there is no plan)."""
    station = shapely.bounds(model.boundary).tolist()
    if not model.cells:
        return station
    points = [p for c in model.cells for p in cell_to_boundary_lnglat(c.cell)]
    lngs, lats = [p[0] for p in points], [p[1] for p in points]
    pad_lat = MAP_PAD_M / 111_320
    pad_lng = pad_lat / max(math.cos(math.radians(sum(lats) / len(lats))), 0.1)
    west, south = min(lngs) - pad_lng, min(lats) - pad_lat
    east, north = max(lngs) + pad_lng, max(lats) + pad_lat
    return (
        max(west, station[0]),
        max(south, station[1]),
        min(east, station[2]),
        min(north, station[3]),
    )


def map_svg(model: SheetModel, lang: str) -> str:
    """The sheet's map as an inline SVG element (station, numbered cells, addresses)."""
    frame = _Frame(_extent(model))
    parts = [
        f'<svg class="sheet-map-svg" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(t("station.sheet_map", lang))}">',
        f'<rect width="{MAP_WIDTH}" height="{MAP_HEIGHT}" fill="#e8ecef"/>',
        '<path class="sheet-boundary" fill="#f4f6f8" stroke="#37474f" stroke-width="2.5" '
        f'fill-rule="evenodd" d="{"".join(_path(frame, r) for r in _rings(model.boundary))}"/>',
    ]
    for cell in model.cells:
        d = _path(frame, cell_to_boundary_lnglat(cell.cell)[:-1])
        parts.append(
            f'<path class="sheet-cell" fill="{CELL_FILL}" fill-opacity="0.55" '
            f'stroke="{CELL_EDGE}" stroke-width="1.5" d="{d}"/>'
        )
    for lat, lng, inside in model.points:
        x, y = frame.xy(lng, lat)
        colour, radius = (ADDRESS_IN_PLAN, 5.5) if inside else (ADDRESS_ELSEWHERE, 4)
        parts.append(
            f'<circle class="sheet-address" cx="{x:.1f}" cy="{y:.1f}" r="{radius}" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1.2"/>'
        )
    for cell in model.cells:
        lat, lng = cell_to_latlng(cell.cell)
        x, y = frame.xy(lng, lat)
        parts.append(
            f'<text class="sheet-cell-no" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
            'dominant-baseline="central" font-size="15" font-weight="700" fill="#1a1a1a" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{cell.rank}</text>'
        )
    parts.append(_station_label(frame, model))
    parts.append(_scale_bar(frame, lang))
    parts.append(_north_arrow())
    parts.append("</svg>")
    return "".join(parts)


#: Lengths a scale bar may take (metres): the longest that fits a quarter of the map width.
_SCALE_STEPS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000)


def _scale_bar(frame: _Frame, lang: str) -> str:
    """A scale bar in the lower left: the longest round length within a quarter of the map."""
    metres_per_unit = 111_320 / frame.scale  # one SVG unit, north-south, in metres
    fits = [m for m in _SCALE_STEPS_M if m / metres_per_unit <= MAP_WIDTH / 4]
    length_m = fits[-1] if fits else _SCALE_STEPS_M[0]
    width = length_m / metres_per_unit
    x, y = MAP_MARGIN, MAP_HEIGHT - MAP_MARGIN / 2
    if length_m >= 1000:
        text = f"{length_m // 1000} {'公里' if lang == 'zh' else 'km'}"
    else:
        text = f"{length_m} {'米' if lang == 'zh' else 'm'}"
    return (
        f'<g class="sheet-scale"><rect x="{x - 4}" y="{y - 22}" width="{width + 8:.1f}" '
        'height="26" fill="#ffffff" fill-opacity="0.8"/>'
        f'<path d="M{x},{y - 8}V{y}H{x + width:.1f}V{y - 8}" fill="none" stroke="#1a1a1a" '
        'stroke-width="2"/>'
        f'<text x="{x + width / 2:.1f}" y="{y - 11}" text-anchor="middle" font-size="14" '
        f'fill="#1a1a1a">{escape(text)}</text></g>'
    )


def _north_arrow() -> str:
    """A north arrow in the upper right (the map is drawn north up)."""
    x, y = MAP_WIDTH - MAP_MARGIN - 14, MAP_MARGIN + 6
    return (
        f'<g class="sheet-north"><path d="M{x},{y}L{x + 9},{y + 28}L{x},{y + 21}L{x - 9},'
        f'{y + 28}Z" fill="#1a1a1a"/><text x="{x}" y="{y + 46}" text-anchor="middle" '
        'font-size="15" font-weight="700" fill="#1a1a1a">N</text></g>'
    )


def _station_label(frame: _Frame, model: SheetModel) -> str:
    """The station's name inside its area, where the map shows it (else the map's top left)."""
    box = shapely.box(*_extent(model))
    inside = model.boundary.intersection(box)
    if inside.is_empty:
        x, y = MAP_MARGIN + 8, MAP_MARGIN + 18
    else:
        spot = shapely.point_on_surface(inside)
        x, y = frame.xy(spot.x, spot.y)
    return (
        f'<text class="sheet-station-name" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
        'font-size="22" font-weight="700" fill="#37474f" fill-opacity="0.75" stroke="#ffffff" '
        f'stroke-width="4" paint-order="stroke">{escape(model.station_name)}</text>'
    )


# -- the page ---------------------------------------------------------------------------------
def _reason(cell: SheetCell, lang: str, train_weeks: int) -> str:
    """Why the cell is on the plan, shortest first: what lies in it, else its neighbourhood.

    The rank is the cell's number and the counts have their own column, so the reason only
    says what the numbers do not: repeat addresses, warnings, or a dense neighbourhood.
    """
    parts = []
    if cell.repeat_addresses:
        parts.append(t("station.sheet_reason_repeats", lang, n=cell.repeat_addresses))
    if cell.warnings:
        parts.append(t("station.sheet_reason_warnings", lang, n=cell.warnings))
    if cell.incidents:
        parts.append(t("station.sheet_reason_here", lang, n=cell.incidents, weeks=train_weeks))
    else:
        parts.append(t("station.sheet_reason_near", lang, n=cell.nearby, weeks=train_weeks))
    return ("；" if lang == "zh" else "; ").join(parts)


def _addresses(cell: SheetCell, lang: str) -> str:
    if not cell.addresses:
        return t("station.sheet_no_address", lang)
    named = ("；" if lang == "zh" else "; ").join(cell.addresses[:ADDRESSES_PER_CELL])
    rest = len(cell.addresses) - ADDRESSES_PER_CELL
    return named + (t("station.sheet_more_addresses", lang, n=rest) if rest > 0 else "")


def render_sheet(model: SheetModel, lang: str, tz: str) -> str:
    """The whole HTML page of the sheet (pure: no request, no database)."""
    when = model.printed_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    title = t("station.sheet_title", lang, station=model.station_name)
    if model.shift is not None:
        title += " · " + shift_label(model.shift, lang)
    rows = []
    for cell in model.cells[:MAX_ROWS]:
        addresses = _addresses(cell, lang)
        place = f'<b class="sheet-place">{escape(cell.place)}</b><br>' if cell.place else ""
        rows.append(
            "<tr>"
            f'<td class="sheet-no">{cell.rank}</td>'
            f'<td class="sheet-addr">{place}{escape(addresses)}</td>'
            f'<td class="sheet-num">{format_int(cell.incidents, lang)} / '
            f"{format_int(cell.nearby, lang)}</td>"
            f'<td class="sheet-reason">{escape(_reason(cell, lang, model.train_weeks))}</td>'
            "</tr>"
        )
    hidden = len(model.cells) - MAX_ROWS
    more = (
        f'<p class="sheet-more">{escape(t("station.sheet_more_cells", lang, n=hidden))}</p>'
        if hidden > 0
        else ""
    )
    empty = (
        f'<p class="sheet-empty">{escape(t("station.empty.plan", lang))}</p>'
        if not model.cells
        else ""
    )
    headers = "".join(
        f"<th>{escape(t(key, lang))}</th>"
        for key in (
            "station.cell_no",
            "station.sheet_addresses",
            "station.incidents_12w",
            "station.reason",
        )
    )
    meta = t(
        "station.sheet_meta",
        lang,
        date=when,
        method=label("patrol_method", model.method, lang),
        cells=len(model.cells),
        weeks=model.train_weeks,
        user=model.printed_by,
    )
    if model.shift is not None:
        share = model.shift_incidents / model.window_incidents if model.window_incidents else 0
        meta += " · " + t(
            "station.sheet_shift_share",
            lang,
            n=format_int(model.shift_incidents, lang),
            total=format_int(model.window_incidents, lang),
            share=f"{share:.0%}",
        )
    legend = (
        f'<span class="sheet-key"><i style="background:{CELL_FILL}"></i>'
        f"{escape(t('station.sheet_key_cell', lang))}</span>"
        f'<span class="sheet-key"><i class="dot" style="background:{ADDRESS_IN_PLAN}"></i>'
        f"{escape(t('station.sheet_key_address', lang))}</span>"
        f'<span class="sheet-key"><i class="dot" style="background:{ADDRESS_ELSEWHERE}"></i>'
        f"{escape(t('station.sheet_key_other', lang))}</span>"
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    # A short table leaves room for a larger map on the same page.
    rows_shown = min(len(model.cells), MAX_ROWS)
    size = " sheet-short" if rows_shown <= SHORT_TABLE else ""
    size = " sheet-long" if rows_shown > LONG_TABLE else size
    sheet_class = "patrol-sheet" + size
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/assets/station.css"></head>'
        f'<body class="patrol-sheet-body"><main class="{sheet_class}" id="patrol-sheet">'
        f'<header class="sheet-head"><h1>{escape(title)}</h1>'
        f'<p class="sheet-meta">{escape(meta)}</p>'
        f'<p class="sheet-hint">{escape(t("station.sheet_print_hint", lang))} '
        f"{_shift_links(model, lang)}</p></header>"
        f'<section class="sheet-map">{map_svg(model, lang)}'
        f'<div class="sheet-legend">{legend}</div></section>'
        f'<table class="sheet-table"><colgroup><col class="c-no"><col class="c-addr">'
        f'<col class="c-num"><col class="c-reason"></colgroup>'
        f"<thead><tr>{headers}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{empty}{more}"
        f'<footer class="sheet-foot">{escape(t("station.sheet_footer", lang))}</footer>'
        "</main></body></html>"
    )


def _shift_links(model: SheetModel, lang: str) -> str:
    """Links to the sheet of the whole day and of each shift (on screen only, not printed)."""
    base = f"/station/{escape(model.code)}/patrol-sheet?lang={lang}"
    links = [
        f'<a href="{base}"{" aria-current=page" if model.shift is None else ""}>'
        f"{escape(t('station.whole_day', lang))}</a>"
    ]
    for shift in patrol_shifts():
        current = " aria-current=page" if shift == model.shift else ""
        links.append(
            f'<a href="{base}&amp;shift={shift_text(shift)}"{current}>'
            f"{escape(shift_label(shift, lang))}</a>"
        )
    heading = escape(t("station.by_shift", lang))
    return f'<span class="sheet-shifts">{heading} {" · ".join(links)}</span>'


def register(server: Flask) -> None:
    """Add ``GET /station/<code>/patrol-sheet`` to ``server``."""

    @server.get("/station/<code>/patrol-sheet")
    def patrol_sheet(code: str) -> Response:
        lang = normalise_language(request.args.get("lang"))
        svc, scope = services(), current_scope()
        refused = refusal(svc, scope, code, lang)
        if refused is not None:
            return refused
        try:
            shift = parse_shift(request.args.get("shift"))
        except ValueError:
            return notice(lang, "station.bad_shift", 400)
        model = sheet_model(svc, code, lang, shift=shift)
        audit.record(
            svc.access.engine,
            scope.user,
            "export",
            target=f"patrol_sheet:{code}",
            detail=f"cells={len(model.cells)}" + (f" shift={shift_text(shift)}" if shift else ""),
            remote_addr=scope.remote_addr,
        )
        return page(render_sheet(model, lang, svc.access.tz), 200)
