"""Paints for :mod:`dashboard.parts.leaflet_map`: what a map shows, as small JSON.

A paint is the server's answer to a filter change: per hexagon cell the index of its colour
in a palette and its tooltip (HTML, every value from the data escaped), the selection to
outline, and why the map is empty when it is. The browser restyles the shapes it already
drew (``assets/leaflet_map.js``). Pure functions: frames and parameters in, dicts out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
from plotly.colors import hex_to_rgb

#: Colour classes a continuous scale is cut into (the eye tells fewer apart on a map).
PALETTE_STEPS = 24
#: Opacity of painted cells, so the station borders beneath stay legible.
CELL_OPACITY = 0.8
#: Outline of the cells of an overlay (:func:`outline_overlay`): a blue that stands out on
#: every fill palette (sequential, diverging, emerging), e.g. the station map's patrol cells.
OVERLAY_OUTLINE = "#1450c8"


def palette_of(colorscale: list[list], steps: int = PALETTE_STEPS) -> list[str]:
    """``steps`` colours sampled evenly along a plotly colour scale, as ``#rrggbb``.

    Colours between two stops are mixed linearly (as plotly does); a scale with repeated
    stops (a stepped, class-per-colour scale) keeps its steps.
    """
    stops = [float(stop) for stop, _ in colorscale]
    rgb = [_rgb(colour) for _, colour in colorscale]
    out = []
    for i in range(steps):
        x = i / (steps - 1)
        j = max(k for k, stop in enumerate(stops) if stop <= x) if x >= stops[0] else 0
        if j + 1 < len(stops) and stops[j + 1] > stops[j]:
            f = (x - stops[j]) / (stops[j + 1] - stops[j])
            mixed = [a + (b - a) * f for a, b in zip(rgb[j], rgb[j + 1], strict=True)]
        else:
            mixed = list(rgb[j])
        out.append("#" + "".join(f"{round(c):02x}" for c in mixed))
    return out


def _rgb(colour: str) -> tuple[float, float, float]:
    if colour.startswith("#"):
        r, g, b = hex_to_rgb(colour)
        return float(r), float(g), float(b)
    parts = colour[colour.index("(") + 1 : colour.index(")")].split(",")
    r, g, b = (float(p) for p in parts[:3])
    return r, g, b


def colour_classes(z: np.ndarray, zmin: float, zmax: float, steps: int = PALETTE_STEPS) -> list:
    """The palette index of each value: ``zmin`` → 0, ``zmax`` and above → ``steps - 1``."""
    z = np.asarray(z, dtype=np.float64)
    if not z.size:
        return []
    span = max(zmax - zmin, 1e-12)
    index = np.rint((np.clip(z, zmin, zmax) - zmin) / span * (steps - 1))
    return index.astype(np.int32).tolist()


def tooltip(title: str, lines: Sequence[tuple[str, str]], lang: str) -> str:
    """A tooltip's HTML: the bold ``title``, then ``label: value`` lines (all escaped)."""
    sep = "：" if lang == "zh" else ": "
    parts = [f"<b>{html.escape(title)}</b>"]
    parts += [f"{html.escape(k)}{sep}{html.escape(v)}" for k, v in lines]
    return "<br>".join(parts)


def place_lines(places: Mapping[int, str], cell: int, label: str) -> list[tuple[str, str]]:
    """The tooltip line naming the place ``cell`` lies in (``places``: cell → name, from
    :meth:`dashboard.parts.services.Services.cell_names`); none when no place names it."""
    name = places.get(int(cell))
    return [(label, name)] if name else []


def cell_paint(
    key: str,
    cells: Sequence[str],
    z: np.ndarray,
    zmin: float,
    zmax: float,
    colorscale: list[list],
    tips: Sequence[str],
    *,
    cells_url: str,
    selection: Mapping[str, str] | None = None,
    empty: tuple[str, str] | None = None,
    meta: Mapping[str, object] | None = None,
    opacity: float = CELL_OPACITY,
) -> dict:
    """The paint of a cell layer: ``cells`` (hex ids) coloured by ``z`` on ``colorscale``.

    Each cell becomes ``[colour index, tooltip, value]``. ``tips`` holds one tooltip (HTML,
    see :func:`tooltip`) per cell; ``cells_url`` the cell
    GeoJSON the cells are in; ``selection`` ``{"kind": "cell"|"station", "id"}`` to outline;
    ``empty`` (title, hint) says why there is nothing to draw; ``meta`` travels along
    (resolution, layer id) for tests and readers of the page.
    """
    return class_paint(
        key,
        cells,
        colour_classes(z, zmin, zmax),
        palette_of(colorscale),
        tips,
        z,
        cells_url=cells_url,
        selection=selection,
        empty=empty,
        meta=meta,
        opacity=opacity,
    )


def class_paint(
    key: str,
    cells: Sequence[str],
    classes: Sequence[int],
    palette: Sequence[str],
    tips: Sequence[str],
    z: np.ndarray | Sequence[float],
    *,
    cells_url: str,
    selection: Mapping[str, str] | None = None,
    empty: tuple[str, str] | None = None,
    meta: Mapping[str, object] | None = None,
    opacity: float = CELL_OPACITY,
) -> dict:
    """The paint of cells already sorted into colour ``classes`` (indexes into ``palette``),
    e.g. the wall's three hot-spot classes; otherwise as :func:`cell_paint`."""
    return {
        "key": key,
        "cellsUrl": cells_url,
        "palette": list(palette),
        "opacity": opacity,
        "cells": {
            h: [c, tip, _number(v)]
            for h, c, tip, v in zip(
                cells, classes, tips, np.asarray(z, dtype=np.float64).tolist(), strict=True
            )
            if h is not None
        },
        "selected": dict(selection) if selection else None,
        "empty": {"title": empty[0], "hint": empty[1]} if empty else None,
        "meta": dict(meta or {}),
    }


def outline_overlay(
    cells: Mapping[str, tuple[int, str]], palette: Sequence[str], opacity: float = 1.0
) -> dict:
    """A paint's ``overlay``: cells outlined over the paint's own fill, each in its colour.

    ``cells`` maps a hex id to its colour index in ``palette`` and the tooltip lines the
    overlay adds (HTML, see :func:`tooltip`; ``""`` for none). A cell the paint itself leaves
    empty is still outlined, over a faint fill. The station map outlines its patrol cells so;
    the overview a second layer's findings (:func:`dashboard.screens.overview.map.with_overlay`).
    """
    return {
        "palette": list(palette),
        "opacity": opacity,
        "cells": {h: [int(c), tip] for h, (c, tip) in cells.items()},
    }


def _number(value: float) -> float | int | None:
    """A value as compact JSON: whole numbers without a decimal point, None for NaN."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else round(value, 4)


def point_features(
    lat: np.ndarray,
    lng: np.ndarray,
    radii: np.ndarray,
    colours: Sequence[str],
    tips: Sequence[str],
    selectors: Sequence[Mapping[str, str] | None],
    selected: Mapping[str, str] | None = None,
) -> dict:
    """GeoJSON of a point layer: each point's radius (px), colour, tooltip and what a click
    on it selects (``{"kind", "id"}``, e.g. its resolution-9 cell)."""
    features = []
    for i, (y, x) in enumerate(zip(lat, lng, strict=True)):
        choose = selectors[i]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
                "properties": {
                    "r": float(radii[i]),
                    "colour": colours[i],
                    "tip": tips[i],
                    "kind": choose.get("kind") if choose else None,
                    "id": choose.get("id") if choose else None,
                    "selected": bool(choose and selected and dict(choose) == dict(selected)),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def colours_of(z: np.ndarray, zmin: float, zmax: float, colorscale: list[list]) -> list[str]:
    """The colour of each value, as :func:`cell_paint` would paint it."""
    palette = palette_of(colorscale)
    return [palette[i] for i in colour_classes(z, zmin, zmax)]
