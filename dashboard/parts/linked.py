"""The case page's "linked incidents" section: other incidents at the same address or with
the same victim (:meth:`data.access.CaseAccess.linked_incidents`, scoped and masked there).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode

import polars as pl
from dash import dcc, html

from dashboard.parts.i18n import label, t
from dashboard.parts.tables import station_label

#: Id of the section (and the prefix of its parts).
LINKED = "station-linked"
#: Rows listed (the count says how many there are).
MAX_LINKED = 30


def linked_section(
    frame: pl.DataFrame, lang: str, search: str, names: Mapping[str, str]
) -> html.Section:
    """The section: count, then one row per linked incident (a link to its case page)."""
    head = html.Div(
        [
            html.H2(t("station.linked_title", lang), className="card-title"),
            html.Span(
                t("station.linked_count", lang, n=f"{frame.height:,}"), className="card-hint"
            ),
        ],
        className="card-head",
    )
    hint = html.P(t("station.linked_hint", lang), className="card-hint")
    if frame.is_empty():
        body = html.P(t("station.linked_empty", lang), id=f"{LINKED}-empty", className="muted")
        return html.Section([head, hint, body], id=LINKED, className="card case-linked")
    columns = ("incident_no", "reported_at", "category", "risk_level", "status", "address_raw")
    headers = [t("station.linked_link", lang), *(t(f"field.{c}", lang) for c in columns)]
    if frame["station_code"].n_unique() > 1:
        headers.append(t("field.station_code", lang))
    rows = []
    for r in frame.head(MAX_LINKED).iter_rows(named=True):
        cells = [
            html.Td(t(f"station.link.{r['link']}", lang), className=f"link-{r['link']}"),
            html.Td(dcc.Link(r["incident_no"], href=f"/case/{r['id']}{search}")),
            html.Td(r["reported_at"]),
            html.Td(label("category", r["category"], lang)),
            html.Td(label("risk", r["risk_level"], lang), className=f"risk-{r['risk_level']}"),
            html.Td(label("status", r["status"], lang)),
            html.Td(r["address_raw"] or ""),
        ]
        if len(headers) > len(columns) + 1:
            cells.append(html.Td(station_label(r["station_code"], names, lang)))
        rows.append(html.Tr(cells))
    table = html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in headers])), html.Tbody(rows)],
        id=f"{LINKED}-table",
        className="simple-table",
    )
    return html.Section([head, hint, table], id=LINKED, className="card case-linked")


#: Query key that tells the case page it was opened from a station's workspace.
FROM_KEY = "from"
_FROM_PREFIX = "station-"


def from_station(search: str | None, code: str) -> str:
    """``search`` marked as coming from station ``code`` (for the case page's back link)."""
    text = search.lstrip("?") if isinstance(search, str) else ""
    pairs = [(k, v) for k, v in parse_qsl(text) if k != FROM_KEY]
    pairs.append((FROM_KEY, _FROM_PREFIX + code))
    return "?" + urlencode(pairs, safe=",")


def back_target(search: str | None) -> tuple[str, str] | None:
    """Where the case page's back link goes when it was opened from a station: the
    workspace with its query (without the mark), and the link's string key; else None."""
    pairs = parse_qsl(search.lstrip("?") if isinstance(search, str) else "")
    marks = [v for k, v in pairs if k == FROM_KEY and v.startswith(_FROM_PREFIX)]
    code = marks[0][len(_FROM_PREFIX) :] if marks else ""
    if not code or not code.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return None
    rest = [(k, v) for k, v in pairs if k != FROM_KEY]
    return f"/station/{quote(code)}" + ("?" + urlencode(rest, safe=",") if rest else ""), (
        "station.back"
    )
