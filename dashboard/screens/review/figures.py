"""Figures of the review screen (plotly) and the chart configuration that saves them as PNG.

Pure functions: frames in, figures out. Colours are the Okabe–Ito palette for categories and
sources and the sequential ramp for the heatmap, all from :mod:`dashboard.parts.palettes` (checked
there for the common colour-vision deficiencies). Bars carry ``customdata``
``[code, first day, last day]`` so a click can open the overview on those cases.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboard.parts import palettes
from dashboard.parts.figures import FONT_COLOUR, FONT_FAMILY
from dashboard.parts.i18n import label, t
from data.vocab import CATEGORIES, SOURCES

#: What a trend groups by: its vocabulary kind, code order and colours.
DIMENSIONS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "category": ("category", CATEGORIES, palettes.CATEGORY),
    "source": ("source", SOURCES, palettes.SOURCE),
}
CHART_HEIGHT = 340
HEATMAP_HEIGHT = 300
#: Modebar buttons removed: the PNG download and the axis reset stay.
_REMOVED_BUTTONS = [
    "zoom2d",
    "pan2d",
    "select2d",
    "lasso2d",
    "zoomIn2d",
    "zoomOut2d",
    "autoScale2d",
    "sendDataToCloud",  # "Share chart": the plotly cloud, unreachable and not wanted here
]


def graph_config(filename: str) -> dict:
    """``dcc.Graph`` config: the modebar's "download as PNG" (offline, in the browser) at
    twice the size, named ``filename``; no plotly logo or link."""
    return {
        "displaylogo": False,
        "displayModeBar": True,
        # nothing that would send a chart out of the air-gapped network
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "modeBarButtonsToRemove": _REMOVED_BUTTONS,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def _layout(lang: str, height: int) -> dict:
    return {
        "height": height,
        "margin": {"l": 52, "r": 12, "t": 8, "b": 44},
        "font": {"family": FONT_FAMILY, "color": FONT_COLOUR, "size": 12},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        # upright at the right edge: a legend of two rows keeps the top
        "modebar": {"orientation": "v"},
        "meta": {"lang": lang},
    }


def message_figure(text: str, lang: str, height: int = CHART_HEIGHT) -> go.Figure:
    """An empty chart that says why it is empty."""
    layout = _layout(lang, height)
    layout.update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": text,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 14, "color": "#3e4c59"},
            }
        ],
        meta={"lang": lang, "empty": True},
    )
    return go.Figure(layout=layout)


#: How each comparison line is drawn: thinner than the bars' weight, dashed, in greys that
#: stay apart from the categorical colours.
COMPARISON_STYLE: dict[str, dict] = {
    "previous": {"color": "#3e4c59", "width": 1.5, "dash": "dash"},
    "last_year": {"color": "#9aa5b1", "width": 1.5, "dash": "dot"},
}


def comparison_traces(lines: dict[str, pl.DataFrame], every: str, lang: str) -> list[go.Scatter]:
    """The comparison lines (:func:`measures.review.comparison_trend` by comparison): all
    incidents of the previous period and of the same period last year, step by step, each
    with its legend entry; the hover names the compared day or week."""
    traces = []
    for compare, frame in lines.items():
        if frame.is_empty():
            continue
        name = t(f"review.line.{compare}", lang)
        traces.append(
            go.Scatter(
                name=name,
                x=[d.isoformat() for d in frame["period"].to_list()],
                y=frame["count"].to_list(),
                mode="lines",
                line={**COMPARISON_STYLE[compare], "shape": "hvh" if every == "1d" else "linear"},
                customdata=[d.isoformat() for d in frame["compared"].to_list()],
                hovertemplate=t("review.line_hover", lang, name=name),
                meta={"comparison": compare},
            )
        )
    return traces


def trend_figure(
    trend: pl.DataFrame,
    dimension: str,
    every: str,
    lang: str,
    lines: dict[str, pl.DataFrame] | None = None,
) -> go.Figure:
    """Stacked bars of incidents per day or week (``every``) by category or source, with the
    comparison ``lines`` (all incidents of the previous period, of the same period last
    year) over them.

    ``trend`` is :func:`measures.review.trend` (``period``, ``code``, ``count``).
    """
    kind, order, colours = DIMENSIONS[dimension]
    present = set(trend["code"].unique().to_list())
    codes = [c for c in order if c in present] + sorted(present - set(order))
    step = timedelta(days=6 if every == "1w" else 0)
    traces = []
    for code in codes:
        rows = trend.filter(pl.col("code") == code).sort("period")
        name = label(kind, code, lang)
        days = rows["period"].to_list()
        traces.append(
            go.Bar(
                name=name,
                x=[d.isoformat() for d in days],
                y=rows["count"].to_list(),
                marker={"color": colours.get(code, palettes.FALLBACK)},
                customdata=[[code, d.isoformat(), (d + step).isoformat()] for d in days],
                hovertemplate=t("review.bar_hover", lang, name=name),
            )
        )
    extra = comparison_traces(lines or {}, every, lang)
    traces.extend(extra)
    layout = _layout(lang, CHART_HEIGHT)
    top = int(trend.group_by("period").agg(pl.col("count").sum())["count"].max() or 0)
    top = max([top, *(max(tr.y, default=0) for tr in extra)])
    layout.update(
        barmode="stack",
        bargap=0.15,
        hovermode="x unified",
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
            "font": {"size": 11},
        },
        xaxis={
            "title": {"text": t("review.axis_week" if every == "1w" else "review.axis_day", lang)},
            "type": "date",
            "tickformat": t("review.tickformat", lang),
            "showgrid": False,
        },
        yaxis={
            "title": {"text": t("review.axis_count", lang)},
            "rangemode": "tozero",
            "gridcolor": "#e4e7eb",
            **({"dtick": 1} if top <= 6 else {}),
        },
        margin={"l": 52, "r": 34, "t": 48, "b": 44},
        meta={"lang": lang, "dimension": dimension, "every": every},
    )
    return go.Figure(data=traces, layout=layout)


def heatmap_figure(grid: np.ndarray, lang: str) -> go.Figure:
    """Incidents by weekday (rows, Monday at the top) and hour of the day (columns)."""
    days = [t(f"review.weekday.{d}", lang) for d in range(7)]
    scale = palettes.ramp(palettes.SEQUENTIAL)
    trace = go.Heatmap(
        z=grid.tolist(),
        x=list(range(24)),
        y=days,
        colorscale=[[0.0, "#ffffff"], *scale[1:]] if grid.max() > 0 else scale,
        zmin=0,
        xgap=1,
        ygap=1,
        colorbar={
            "thickness": 12,
            "len": 0.9,
            "tickformat": ",d",
            "x": 1.0,
            **({"dtick": 1} if grid.max() <= 6 else {}),  # no repeated whole-number ticks
        },
        hovertemplate=t("review.heat_hover", lang),
    )
    layout = _layout(lang, HEATMAP_HEIGHT)
    layout.update(
        margin={"l": 52, "r": 80, "t": 8, "b": 44},
        xaxis={"title": {"text": t("review.axis_hour", lang)}, "dtick": 2, "showgrid": False},
        yaxis={"autorange": "reversed", "showgrid": False},
        meta={"lang": lang, "heatmap": True},
    )
    return go.Figure(data=[trace], layout=layout)
