"""The meeting pack's map page: the period's hot spots over the station areas, named.

Drawn by matplotlib (Agg) on the server, like the pack's charts: every station's boundary with
its name, the Gi* hot cells of the period at resolution :data:`MAP_RESOLUTION` (the wall's)
filled by confidence (halo cells, hot only through their neighbours, paler), a scale bar and a
north arrow. Longitude is scaled by the cosine of the mean latitude, so distances read true
(within a district, to well under 1 %).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import polars as pl
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as PatchPolygon
from shapely.geometry.base import BaseGeometry

from dashboard.parts import palettes
from dashboard.parts.i18n import label, t
from geo.h3cells import cell_to_boundary_lnglat
from layers.hotspot import CLASS_LABELS, HALO_LABEL

#: Resolution of the hot spots on the map page (the command wall's).
MAP_RESOLUTION = 8
#: Gi* classes drawn, hottest first, with their colours.
HOT_CLASSES = {3: palettes.DIVERGING[0], 2: palettes.DIVERGING[1], 1: palettes.DIVERGING[2]}
_SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50)
#: Width / height of the map image.
MAP_SIZE_IN = (10.6, 6.6)
MAP_ASPECT = MAP_SIZE_IN[0] / MAP_SIZE_IN[1]


@dataclass(frozen=True)
class MapPage:
    """What the map page draws: station areas ``(name, boundary)`` and the hot spot layer's
    rows (``cell``, ``gi_class``, ``label``) of the period."""

    stations: list[tuple[str, BaseGeometry]]
    hot: pl.DataFrame


def _rings(geometry: BaseGeometry) -> list[list[tuple[float, float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    return [list(p.exterior.coords) for p in polygons if p.geom_type == "Polygon"]


def map_png(page: MapPage, lang: str, font: str, dpi: int = 200) -> io.BytesIO:
    """The map as a PNG, A4 landscape proportions."""
    fig = Figure(figsize=MAP_SIZE_IN)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    lats = [y for _, g in page.stations for r in _rings(g) for _, y in r] or [0.0]
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    ax.set_aspect(1 / kx)
    ax.set_axis_off()
    for _, boundary in page.stations:
        for ring in _rings(boundary):
            ax.add_patch(
                PatchPolygon(ring, closed=True, facecolor="#f4f6f8", edgecolor="#37474f", lw=0.9)
            )
    hot = page.hot.filter(pl.col("gi_class") > 0) if page.hot.height else page.hot
    for row in hot.iter_rows(named=True):
        colour = HOT_CLASSES.get(int(row["gi_class"]))
        if colour is None:
            continue
        halo = row.get("label") == HALO_LABEL
        ax.add_patch(
            PatchPolygon(
                cell_to_boundary_lnglat(int(row["cell"])),
                closed=True,
                facecolor=palettes.HALO if halo else colour,
                edgecolor="none",
                alpha=0.9,
            )
        )
    halo_effect = [patheffects.withStroke(linewidth=3, foreground="white")]
    for name, boundary in page.stations:
        spot = boundary.representative_point()
        ax.text(
            spot.x, spot.y, name, ha="center", va="center", fontsize=11, family=font,
            color="#263238", path_effects=halo_effect,
        )  # fmt: skip
    ax.autoscale_view()
    west, east = ax.get_xlim()
    south, north = ax.get_ylim()
    _scale_bar(ax, west, east, south, north, kx, lang, font)
    ax.annotate(
        "N", xy=(east - 0.03 * (east - west), north - 0.04 * (north - south)),
        xytext=(east - 0.03 * (east - west), north - 0.14 * (north - south)),
        ha="center", fontsize=12, family=font, arrowprops={"arrowstyle": "-|>", "color": "#1a1a1a"},
    )  # fmt: skip
    handles = [
        PatchPolygon(
            [(0, 0)],
            facecolor=colour,
            edgecolor="none",
            label=label("gi_class", CLASS_LABELS[k], lang),
        )
        for k, colour in HOT_CLASSES.items()
    ]
    handles.append(
        PatchPolygon(
            [(0, 0)],
            facecolor=palettes.HALO,
            edgecolor="none",
            label=label("gi_class", HALO_LABEL, lang),
        )
    )
    ax.legend(handles=handles, loc="upper left", prop={"family": font, "size": 8}, frameon=True)
    out = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    out.seek(0)
    return out


def _scale_bar(ax, west, east, south, north, kx, lang, font) -> None:
    km_per_degree = 111.32 * kx
    width_km = (east - west) * km_per_degree
    length = max((s for s in _SCALE_STEPS_KM if s <= width_km / 5), default=_SCALE_STEPS_KM[0])
    x0 = west + 0.03 * (east - west)
    y0 = south + 0.05 * (north - south)
    x1 = x0 + length / km_per_degree
    ax.plot([x0, x0, x1, x1], [y0 + 0.006, y0, y0, y0 + 0.006], color="#1a1a1a", lw=1.5)
    words = f"{length:g} {'公里' if lang == 'zh' else 'km'}"
    ax.text((x0 + x1) / 2, y0 + 0.008, words, ha="center", va="bottom", fontsize=9, family=font)


def map_caption(page: MapPage, lang: str) -> str:
    """The line under the map: how many hot cells, at which resolution."""
    hot = page.hot.filter(pl.col("gi_class") > 0).height if page.hot.height else 0
    return t("review.pdf.map_caption", lang, n=hot, res=MAP_RESOLUTION)
