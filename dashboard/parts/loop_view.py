"""Pieces the loop's screens share (support requests, department tasks, warning visits): the
clock texts, durations, local times and the small tables, all pure functions of their rows."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import polars as pl
from dash import html

from dashboard.parts.i18n import MISSING, label, t

#: What the support screen's list shows (``/support?show=…``): open requests, those past their
#: response time (unanswered), or all.
SUPPORT_SHOWS: tuple[str, ...] = ("open", "late", "all")


def support_href(lang: str, show: str = "open", unit: str | None = None) -> str:
    """The support screen's list of ``show`` requests (of ``unit`` only, when given)."""
    query = {"show": show, **({"unit": unit} if unit else {}), "lang": lang}
    return "/support?" + urlencode(query)


def support_filter(search: str | None) -> tuple[str, str | None]:
    """``(show, unit)`` from a support-screen URL query; an unknown ``show`` reads as "open"."""
    query = parse_qs((search or "").lstrip("?"))
    show = (query.get("show") or ["open"])[0]
    unit = (query.get("unit") or [None])[0]
    return (show if show in SUPPORT_SHOWS else "open"), (unit or None)


def now_utc() -> datetime:
    """Now, as the naive UTC value the loop's tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


def local(value: datetime | None, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    """A naive UTC time in the installation's zone (:data:`MISSING` for None)."""
    if value is None:
        return MISSING
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime(fmt)


def duration(minutes: float | None, lang: str) -> str:
    """Minutes as ``45 分钟`` / ``3.5 小时`` / ``2.1 天`` (English alike)."""
    if minutes is None:
        return MISSING
    minutes = abs(float(minutes))
    if minutes < 90:
        return t("loop.minutes", lang, m=round(minutes))
    hours = minutes / 60
    if hours < 48:
        return t("loop.hours", lang, h=f"{hours:.1f}".rstrip("0").rstrip("."))
    days = hours / 24
    return f"{days:.1f} 天" if lang == "zh" else f"{days:.1f} d"


def share(value: float | None) -> str:
    """A share as a whole percentage (``83%``)."""
    return MISSING if value is None else f"{value * 100:.0f}%"


def request_clock(row: dict, now: datetime, lang: str) -> tuple[str, str]:
    """The response clock of a request row as (text, CSS class): time left, overdue, or how
    long the answer took."""
    started, due, answered = row["clock_started_at"], row["response_due_at"], row["responded_at"]
    if answered is not None:
        took = (answered - started).total_seconds() / 60
        if answered > due:
            return t("support.clock.answered_late", lang, t=duration(took, lang)), "clock-late"
        return t("support.clock.answered", lang, t=duration(took, lang)), "clock-ok"
    left = (due - now).total_seconds() / 60
    if left < 0:
        return t("support.clock.late", lang, t=duration(-left, lang)), "clock-late"
    return t("support.clock.left", lang, t=duration(left, lang)), "clock-running"


def reasons_text(codes: str | None, lang: str) -> str:
    """Comma-separated reason codes as words."""
    sep = "；" if lang == "zh" else "; "
    return sep.join(label("support_reason", c, lang) for c in (codes or "").split(",") if c)


def simple_table(headers: list[str], rows: list[list[object]], table_id: str) -> html.Table:
    """A compact table with a header row."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        id=table_id,
        className="simple-table loop-table",
    )


def unit_rows(table: pl.DataFrame, names: dict[str, str], lang: str) -> list[list[object]]:
    """Rows of the per-unit table (the 通报): unit, requests, median time to respond, share
    answered in time, share closed with feedback, open, past due."""
    return [
        [
            names.get(r["unit_code"], r["unit_code"]),
            r["requests"],
            duration(r["median_response_minutes"], lang),
            share(r["answered_in_time"]),
            share(r["closed_with_feedback"]),
            r["open"],
            r["past_due"],
        ]
        for r in table.iter_rows(named=True)
    ]


UNIT_HEADER_KEYS = (
    "loop.col.unit",
    "loop.col.requests",
    "loop.col.median",
    "loop.col.in_time",
    "loop.col.feedback",
    "loop.col.open",
    "loop.col.late",
)
DEPARTMENT_HEADER_KEYS = (
    "task.col.department",
    "task.col.open",
    "task.col.open_late",
    "task.col.done",
    "task.col.median",
    "task.col.in_time",
)
COMPLIANCE_HEADER_KEYS = (
    "loop.col.station",
    "loop.col.warned",
    "loop.col.active",
    "loop.col.overdue",
    "loop.col.kept",
    "loop.col.compliance",
)


def department_rows(table: pl.DataFrame, lang: str) -> list[list[object]]:
    """Rows of the per-department task table."""
    return [
        [
            label("department", r["department"], lang),
            r["open"],
            r["open_past_due"],
            r["done"],
            duration(
                None if r["median_handling_hours"] is None else r["median_handling_hours"] * 60,
                lang,
            ),
            share(r["done_in_time"]),
        ]
        for r in table.iter_rows(named=True)
    ]


def compliance_rows(table: pl.DataFrame, names: dict[str, str]) -> list[list[object]]:
    """Rows of the per-station warning-visit compliance table."""
    return [
        [
            names.get(r["station_code"], r["station_code"]),
            r["warned"],
            r["active"],
            r["overdue"],
            r["kept"],
            share(r["compliance"]),
        ]
        for r in table.iter_rows(named=True)
    ]
