"""Colours and legends of the map layers, generated from the layer registry.

Each :class:`~layers.registry.LayerSpec` names a legend type; this module turns a layer's
result into the numbers plotly colours by (:func:`colour_scale`) and into the legend the
page shows beside the map (:func:`build_legend`, drawn by :func:`legend_component`), so the
two always agree. Everything here is pure: frames in, values and components out.

Palettes
--------
All colours come from :mod:`dashboard.parts.palettes` (checked there for colour-blind readers):

* ``sequential``: :data:`~dashboard.parts.palettes.SEQUENTIAL` (YlOrBr), darkest at the 98th
  percentile of the values (:func:`dashboard.parts.figures.colour_top`); ranks are drawn the other
  way round (rank 1 darkest).
* ``diverging``: :data:`~dashboard.parts.palettes.DIVERGING`, 7 classes, for the Gi* labels hot
  99 % … cold 99 %: hot orange, cold blue, "not significant" light grey; between hot 90 % and
  "not significant" the halo (:data:`~dashboard.parts.palettes.HALO`, pale orange): cells hot
  only through their neighbours, which hold too few incidents of their own to patrol.
* ``categorical``: the 17 emerging hot spot patterns (:data:`~dashboard.parts.palettes.EMERGING`),
  hot ones in warm hues, cold ones in cool hues. Only the patterns present are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from dash import html

from dashboard.parts import palettes
from dashboard.parts.figures import SEQUENTIAL_SCALE, LayerColours, colour_top
from dashboard.parts.i18n import label, t
from layers import emerging_hotspot, hotspot
from layers.registry import LayerSpec

#: Hot (3) to cold (-3), orange–grey–blue (:data:`dashboard.parts.palettes.DIVERGING`).
DIVERGING_COLOURS: tuple[str, ...] = palettes.DIVERGING
#: Colour of each emerging hot spot pattern (:data:`dashboard.parts.palettes.EMERGING`).
EMERGING_COLOURS: dict[str, str] = palettes.EMERGING
#: Value columns drawn darkest at their smallest value (rank 1 is the first to patrol).
REVERSED_COLUMNS: frozenset[str] = frozenset({"rank"})


@dataclass(frozen=True)
class Classes:
    """The discrete classes of a layer's value column, in legend order.

    ``values`` are the column's values, ``codes`` their vocabulary codes (labels come from
    :func:`dashboard.parts.i18n.label` with ``vocabulary``) and ``colours`` their colours.
    """

    vocabulary: str
    values: tuple[object, ...]
    codes: tuple[str, ...]
    colours: tuple[str, ...]


#: Classes of every layer whose legend is ``diverging`` or ``categorical``.
CLASSES: dict[str, Classes] = {
    hotspot.LAYER_ID: Classes(
        "gi_class",
        hotspot.LABELS,
        hotspot.LABELS,
        (*DIVERGING_COLOURS[:3], palettes.HALO, *DIVERGING_COLOURS[3:]),
    ),
    emerging_hotspot.LAYER_ID: Classes(
        "emerging",
        emerging_hotspot.CATEGORIES,
        emerging_hotspot.CATEGORIES,
        tuple(EMERGING_COLOURS[c] for c in emerging_hotspot.CATEGORIES),
    ),
}


@dataclass(frozen=True)
class LegendEntry:
    """One class of a legend: its colour, its words and how many rows fall in it."""

    colour: str
    label: str
    count: int | None = None


@dataclass(frozen=True)
class Legend:
    """A legend as the page draws it.

    ``kind`` is the spec's legend type. Discrete legends list ``entries``; a sequential one
    is a colour ramp (``entries`` are its stops, unlabelled) with ``ticks`` under it.
    """

    kind: str
    title: str
    entries: tuple[LegendEntry, ...] = ()
    ticks: tuple[str, ...] = ()
    note: str | None = None


def classes_of(spec: LayerSpec) -> Classes:
    """The classes of a discrete-legend layer; ``KeyError`` naming the layer otherwise."""
    try:
        return CLASSES[spec.id]
    except KeyError:
        raise KeyError(f"layer {spec.id!r} has a {spec.legend} legend but no classes") from None


def _stepped(colours: Sequence[str]) -> list[list]:
    """A plotly colour scale of flat steps, one per colour, over ``[0, 1]``."""
    n = len(colours)
    scale: list[list] = []
    for i, colour in enumerate(colours):
        scale.append([i / n, colour])
        scale.append([(i + 1) / n, colour])
    return scale


def _class_index(values: pl.Series, classes: Classes) -> np.ndarray:
    """Position of each value in ``classes.values`` (-1 where it is not a class)."""
    index = {v: i for i, v in enumerate(classes.values)}
    return np.array([index.get(v, -1) for v in values.to_list()], dtype=np.float64)


def colour_scale(spec: LayerSpec, frame: pl.DataFrame, top: float | None = None) -> LayerColours:
    """The numbers plotly colours ``frame``'s rows by, for the spec's legend type; ``top``
    fixes a sequential scale's darkest value (playback: one scale for every frame)."""
    values = frame[spec.value_column] if frame.height else pl.Series([], dtype=pl.Float64)
    if spec.legend in ("diverging", "categorical"):
        classes = classes_of(spec)
        n = len(classes.values)
        return LayerColours(_class_index(values, classes), -0.5, n - 0.5, _stepped(classes.colours))
    z = values.cast(pl.Float64).fill_null(0).to_numpy()
    ramp = palettes.ramp(SEQUENTIAL_SCALE)
    if spec.value_column in REVERSED_COLUMNS:
        low = 1.0
        high = float(max(z.max(), 2.0)) if z.size else 2.0
        ramp = [[1 - stop, colour] for stop, colour in reversed(ramp)]
        return LayerColours(z, low, high, ramp)
    return LayerColours(z, 0.0, float(top if top is not None else colour_top(z)), ramp)


def build_legend(
    spec: LayerSpec, frame: pl.DataFrame, lang: str, top: float | None = None
) -> Legend:
    """The legend of ``spec``'s result ``frame`` in ``lang`` (``top``: as :func:`colour_scale`).

    Diverging legends list every class (a reader must see that cold spots exist even when
    there are none), categorical ones only the classes present; both say how many rows fall
    in each. Sequential legends give the ramp's ends (``≥`` when values go beyond the top).
    """
    title = t(f"legend.{spec.id}", lang)
    if spec.legend in ("diverging", "categorical"):
        classes = classes_of(spec)
        counts: dict[object, int] = {}
        if frame.height:
            for value, n in frame.group_by(spec.value_column).agg(pl.len()).iter_rows():
                counts[value] = int(n)
        entries = tuple(
            LegendEntry(colour, label(classes.vocabulary, code, lang), counts.get(value, 0))
            for value, code, colour in zip(
                classes.values, classes.codes, classes.colours, strict=True
            )
            if spec.legend == "diverging" or counts.get(value)
        )
        if not entries:
            return Legend(spec.legend, title, note=t("legend.empty", lang))
        return Legend(spec.legend, title, entries)
    if spec.legend != "sequential":
        return Legend(spec.legend, title)
    stops = tuple(LegendEntry(c, "") for c in SEQUENTIAL_SCALE)
    note = t("legend.size_note", lang) if spec.geometry == "points" else None
    if not frame.height:
        return Legend("sequential", title, stops, note=t("legend.empty", lang))
    scale = colour_scale(spec, frame, top)
    if spec.value_column in REVERSED_COLUMNS:
        ticks = (
            t("legend.rank_first", lang, rank=int(scale.zmin)),
            t("legend.rank_first", lang, rank=int(scale.zmax)),
        )
        return Legend("sequential", title, tuple(reversed(stops)), ticks, note)
    top = int(scale.zmax)
    clipped = bool(scale.z.size) and float(scale.z.max()) > top
    ticks = ("0", f"≥{top}" if clipped else str(top))
    return Legend("sequential", title, stops, ticks, note)


def legend_component(legend: Legend) -> html.Div:
    """The legend as HTML, one strip: swatches with labels and counts, or a ramp between its
    ends."""
    children: list = [html.Div(legend.title, className="legend-title")]
    if legend.kind in ("diverging", "categorical"):
        children.append(
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(className="legend-swatch", style={"background": e.colour}),
                            html.Span(e.label, className="legend-label"),
                            html.Span(
                                "" if e.count is None else f"{e.count:,}",
                                className="legend-count",
                            ),
                        ],
                        className="legend-entry",
                    )
                    for e in legend.entries
                ],
                className="legend-entries",
            )
        )
    elif legend.kind == "sequential" and legend.entries:
        ramp = ", ".join(e.colour for e in legend.entries)
        low, high = legend.ticks if len(legend.ticks) == 2 else ("", "")
        children += [
            html.Span(low, className="legend-tick"),
            html.Div(
                className="legend-ramp",
                style={"background": f"linear-gradient(to right, {ramp})"},
            ),
            html.Span(high, className="legend-tick"),
        ]
    if legend.note:
        children.append(html.Div(legend.note, className="legend-note"))
    return html.Div(children, className=f"map-legend legend-{legend.kind}")


def accuracy_note(panel: pl.DataFrame, lang: str) -> html.Div:
    """The patrol plan's track record to read beside its legend: pooled hit rate and PAI of
    the plan over the last weeks, each week predicted from the weeks before it, and the
    incident counts and area that figure rests on."""
    pai = panel["pai_pooled"][0] if panel.height else None
    if pai is None:
        return html.Div(t("accuracy.none", lang), className="legend-accuracy")
    text = t("accuracy.summary", lang).format(
        weeks=panel.height, rate=100 * panel["hit_rate_pooled"][0], pai=pai
    )
    if "area_km2_mean" in panel.columns:
        text += " " + t("accuracy.basis", lang).format(
            tested=f"{panel['test_incidents_pooled'][0]:,}",
            trained=f"{panel['train_incidents_pooled'][0]:,}",
            area=panel["area_km2_mean"][0],
        )
    return html.Div(text, className="legend-accuracy")
