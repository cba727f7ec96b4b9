"""The pieces of the command-centre wall, as Dash components: tiles, the map key, the newest
incidents and the alert ticker.

Pure builders: the numbers and frames of :mod:`measures.wall` and the page's
language
in, components out (no database, no request). Every change shows an arrow and a sign besides
its colour; every empty list says why it is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.parts import case_links
from dashboard.parts.i18n import label, t
from dashboard.screens.command import map as wall_map
from layers import hotspot
from measures import cases
from measures import wall as wall_data

#: The hot spots are those of the last this many days (local), at this resolution (~0.7 km²).
HOT_DAYS = 30
HOT_RES = 8
#: The arrow beside a change (with its sign and words: never colour alone).
ARROWS = {"up": "▲", "down": "▼", "same": "＝"}


def tile_id(key: str) -> str:
    """The id of the number of tile ``key`` (tests read it)."""
    return f"command-tile-{key}"


def tile_placeholder(key: str, lang: str) -> html.Div:
    """A tile before the first refresh: its label and a loading mark."""
    return html.Div(
        [
            html.Div(t(f"command.tile.{key}", lang), className="wall-tile-label"),
            html.Div("…", id=tile_id(key), className="wall-tile-value is-loading"),
            html.Div(t("command.loading", lang), className="wall-tile-compare"),
        ],
        className="wall-tile",
    )


def legend(lang: str, newest: int, now: datetime | None = None, tz: str | None = None):
    """The map's key: the three hot-spot classes and the pulsing newest incidents, each a
    link to its cases (plain text until the first refresh gives ``now``)."""
    items: list[Component] = []
    today = now.astimezone(ZoneInfo(tz)).date() if now is not None and tz else None
    for k in (3, 2, 1):
        body = [
            html.Span(className="wall-swatch", style={"background": wall_map.HOT_COLOURS[k]}),
            label("gi_class", hotspot.CLASS_LABELS[k], lang),
        ]
        if today is None:
            items.append(html.Span(body, className="wall-key"))
            continue
        spec = cases.CaseSpec(
            measure="hotspot",
            start=today - timedelta(days=HOT_DAYS - 1),
            end=today,
            hot_class=k,
            res=HOT_RES,
            now=now,
        )
        items.append(
            dcc.Link(body, href=case_links.href(spec, lang), className=f"wall-key wall-key-{k}")
        )
    body = [
        html.Span(className="wall-swatch wall-dot"),
        t("command.map.newest", lang, hours=wall_data.PULSE_HOURS, n=f"{newest:,}"),
    ]
    if now is None:
        items.append(html.Span(body, className="wall-key"))
    else:
        href = case_links.href(cases.CaseSpec(measure="pulse", now=now), lang)
        items.append(dcc.Link(body, href=href, className="wall-key wall-key-pulse"))
    return items


def tile_href(key: str, lang: str, now: datetime | None) -> str:
    """The case list of tile ``key``, judged at ``now`` (the tile's own moment)."""
    return case_links.href(cases.spec_for(f"tile.{key}", now=now), lang)


def tile_components(
    tiles: Sequence[wall_data.Tile], lang: str, now: datetime | None = None
) -> list[dcc.Link]:
    """The tiles as links to their cases: label, number, and the change with arrow, sign and
    words; the hover text is the tile's definition."""
    out = []
    for tile in tiles:
        lines: list[Component] = []
        if tile.previous is not None:
            moved = wall_data.change(tile.value, tile.previous)
            shown = " ".join(
                p for p in (moved.difference, moved.percent and f"({moved.percent})") if p
            )
            vs_key = {"today": "today_vs", "week": "week_vs"}.get(tile.key, "month_vs")
            lines.append(
                html.Span(
                    [
                        html.Span(ARROWS[moved.direction], **{"aria-hidden": "true"}),
                        html.Span(
                            t(f"command.change.{moved.direction}", lang),
                            className="visually-hidden",
                        ),
                        " "
                        + (shown if moved.direction != "same" else t("command.change.same", lang)),
                    ],
                    className=f"wall-change change-{moved.direction}",
                )
            )
            lines.append(
                html.Span(
                    t(f"command.tile.{vs_key}", lang, n=f"{tile.previous:,}"), className="wall-vs"
                )
            )
        if tile.note is not None:
            lines.append(
                html.Span(
                    t(f"command.tile.{tile.key}_note", lang, n=f"{tile.note:,}"),
                    className="wall-vs",
                )
            )
        tone = (
            " tone-alert" if tile.key in ("high_risk_open", "sla_breached") and tile.value else ""
        )
        out.append(
            dcc.Link(
                [
                    html.Div(t(f"command.tile.{tile.key}", lang), className="wall-tile-label"),
                    html.Div(f"{tile.value:,}", id=tile_id(tile.key), className="wall-tile-value"),
                    html.Div(lines, className="wall-tile-compare"),
                ],
                href=tile_href(tile.key, lang, now),
                className=f"wall-tile{tone}",
                title=tile_definition(tile, lang),
            )
        )
    return out


def tile_definition(tile: wall_data.Tile, lang: str) -> str:
    """The tile's definition (its hover text), with the split by service level where it has one."""
    parts = {k: f"{v:,}" for k, v in (tile.parts or {}).items()}
    return t(f"command.def.{tile.key}", lang, **parts)


def local_time(moment: datetime, tz: str, now: datetime) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    if local.date() == now.astimezone(ZoneInfo(tz)).date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def newest_items(
    frame: pl.DataFrame, lang: str, names: Mapping[str, str], tz: str, now: datetime, why: str
) -> list[html.Li]:
    """The newest incidents as list items linking to their cases (``why`` when none)."""
    if frame.is_empty():
        return [html.Li(why, className="wall-empty")]
    items = []
    for row in frame.iter_rows(named=True):
        unit, n = wall_data.age_parts(row["reported_at"], now)
        risk = row["risk_level"]
        items.append(
            html.Li(
                dcc.Link(
                    [
                        html.Span(local_time(row["reported_at"], tz, now), className="wall-time"),
                        html.Span(t(f"command.age.{unit}", lang, n=n), className="wall-age"),
                        html.Span(label("category", row["category"], lang), className="wall-cat"),
                        html.Span(
                            t("command.newest.risk", lang, risk=label("risk", risk, lang)),
                            className=f"wall-risk risk-{risk}",
                        ),
                        html.Span(
                            names.get(row["station_code"], row["station_code"] or "—"),
                            className="wall-station",
                        ),
                    ],
                    href=f"/case/{int(row['id'])}?lang={lang}",
                    className="wall-newest-link",
                ),
                className="wall-newest-item",
            )
        )
    return items


def alert_href(entry: Mapping[str, object], lang: str, now: datetime | None = None) -> str | None:
    """Where an alert opens: the case list of the incidents it rests on (None: it has none)."""
    nos = [str(i) for i in entry.get("incident_nos") or []]  # type: ignore[union-attr]
    if not nos:
        return None
    return case_links.href(cases.spec_for("warning", nos=nos, now=now), lang)


def alert_text(entry: Mapping[str, object], lang: str, names: Mapping[str, str]) -> str:
    """An alert in words: kind, the household or place (masked as the layer gave it), station,
    community, how many incidents and why."""
    sep = "、" if lang == "zh" else ", "
    station = names.get(str(entry["station_code"]), str(entry["station_code"] or "—"))
    reasons = sep.join(label("reason", r, lang) for r in entry["reasons"])  # type: ignore[union-attr]
    place = entry.get("address") or None
    community = entry.get("community") or None
    bits = [label("ew_kind", str(entry["kind"]), lang)]
    bits += [str(b) for b in (place, station, community) if b]
    bits.append(t("command.ticker.incidents", lang, n=entry.get("incidents") or 0))
    bits.append(reasons)
    return " · ".join(b for b in bits if b)


def ticker_content(
    entries: Sequence[Mapping[str, object]],
    lang: str,
    names: Mapping[str, str],
    now: datetime | None = None,
) -> Component:
    """The alert ticker: the entries twice in a row, scrolling (one static line when none).

    Each item names the household or place, its station and community and opens the cases
    behind it; two items that would still read alike are numbered apart.
    """
    if not entries:
        return html.Div(t("command.ticker.empty", lang), className="wall-ticker-static")
    items = []
    seen: dict[str, int] = {}
    for entry in entries:
        words = alert_text(entry, lang, names)
        seen[words] = seen.get(words, 0) + 1
        if seen[words] > 1:
            words = f"{words} ({seen[words]})"
        text = [html.B(f"{entry['rank']}. "), words]
        href = alert_href(entry, lang, now)
        body = dcc.Link(text, href=href) if href else html.Span(text)
        items.append(html.Span(body, className="wall-alert", **{"data-rank": str(entry["rank"])}))
    seconds = max(30, 7 * len(entries))
    return html.Div(
        [
            html.Div(items, className="wall-ticker-run"),
            html.Div(items, className="wall-ticker-run", **{"aria-hidden": "true"}),
        ],
        className="wall-ticker-track",
        style={"animationDuration": f"{seconds}s"},
    )


def overview_query(
    lang: str,
    sel: str,
    today: date,
    res: int | None = HOT_RES,
    layer: str | None = hotspot.LAYER_ID,
) -> str:
    """The overview's query string showing the cases of ``sel`` over the hot-spot window."""
    params = {
        "lang": lang,
        "start": (today - timedelta(days=HOT_DAYS - 1)).isoformat(),
        "end": today.isoformat(),
    }
    if res is not None:
        params["res"] = str(res)
    params["sel"] = sel
    if layer is not None:
        params["layer"] = layer
    return "?" + urlencode(params, safe=",:")
