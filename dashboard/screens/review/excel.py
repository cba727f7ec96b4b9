"""The review as an Excel workbook (openpyxl): a cover sheet, then one sheet per table.

Sheets: the cover (period, comparison, scope, who made it and when, each measure with its
value, change and definition), the station league table, the trends by category and by
source, and the hour × weekday counts. Numbers are stored as numbers with Excel number
formats (``#,##0``, ``0.0%``, signed changes), headers are frozen and columns sized.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.parts.i18n import label, t
from dashboard.parts.loop_view import (
    COMPLIANCE_HEADER_KEYS,
    DEPARTMENT_HEADER_KEYS,
    UNIT_HEADER_KEYS,
)
from dashboard.screens.review.loop import LoopFigures
from dashboard.screens.review.report import (
    COUNT_MEASURES,
    SHARE_MEASURES,
    Report,
    coverage_notes,
    target_words,
)
from dashboard.screens.review.report import station_label as _station
from measures.review import LEAGUE_COLUMNS, MEASURES
from measures.targets import judge

#: Excel number formats per kind of value.
FORMAT_COUNT = "#,##0"
FORMAT_SHARE = "0.0%"
FORMAT_DAYS = "0.0"
FORMAT_CHANGE = "+#,##0;-#,##0;0"
FORMAT_CHANGE_PCT = "+0.0%;-0.0%;0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DCE4F2")
HEADER_FONT = Font(bold=True)
#: A value against its target, by meaning (as on the screen): met, missed.
TONE_FILLS = {
    "good": PatternFill("solid", fgColor="E3F4E6"),
    "bad": PatternFill("solid", fgColor="FBE3E3"),
}
TONE_FONTS = {"good": Font(color="1B7F3B"), "bad": Font(color="B10026", bold=True)}
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def number_format(column: str) -> str:
    """The Excel number format of a league-table column or measure."""
    if column == "change":
        return FORMAT_CHANGE
    if column == "change_pct":
        return FORMAT_CHANGE_PCT
    if column in COUNT_MEASURES:
        return FORMAT_COUNT
    if column in SHARE_MEASURES:
        return FORMAT_SHARE
    return FORMAT_DAYS


def _tone(cell, measure: str, value, targets: Mapping[str, float]) -> None:
    """Colour ``cell`` by whether ``value`` meets ``measure``'s target (no target: as is)."""
    verdict = judge(measure, value, targets)
    if verdict:
        cell.fill, cell.font = TONE_FILLS[verdict], TONE_FONTS[verdict]


def _header(sheet: Worksheet, names: list[str], widths: list[int]) -> None:
    sheet.append(names)
    for i, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "B2"


def build_workbook(
    report: Report,
    lang: str,
    user: str,
    loop: LoopFigures | None = None,
    targets: Mapping[str, float] | None = None,
) -> bytes:
    """The workbook of ``report`` in ``lang``, made by ``user``, as ``.xlsx`` bytes; with
    ``loop``, one sheet per loop table (support per unit, departments, warning visits). With
    ``targets`` (measure → target), the cover names each target and the measures' values on
    the cover and in the league table are coloured as on the screen: green meets the target,
    red misses it."""
    targets = targets or {}
    book = Workbook()
    made = report.now.astimezone(ZoneInfo(report.tz)).replace(tzinfo=None)
    book.properties.creator = user
    book.properties.created = made
    book.properties.modified = made
    _cover(book.active, report, lang, user, made, targets)
    _league(book.create_sheet(t("review.xlsx.league", lang)), report, lang, targets)
    for key, frame, kind in (
        ("review.xlsx.trend_category", report.trend_category, "category"),
        ("review.xlsx.trend_source", report.trend_source, "source"),
    ):
        _trend(book.create_sheet(t(key, lang)), frame, kind, lang)
    _heatmap(book.create_sheet(t("review.xlsx.heatmap", lang)), report, lang)
    if loop is not None:
        _loop_sheets(book, loop, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _loop_sheets(book: Workbook, loop: LoopFigures, lang: str) -> None:
    """The loop's tables, one sheet each; shares as percentages, durations in hours."""
    units = book.create_sheet(t("loop.col.unit", lang))
    _header(units, [t(k, lang) for k in UNIT_HEADER_KEYS], [22, 10, 16, 14, 14, 10, 12])
    for r in loop.units.iter_rows(named=True):
        minutes = r["median_response_minutes"]
        units.append(
            [
                loop.unit_names.get(r["unit_code"], r["unit_code"]),
                r["requests"],
                None if minutes is None else round(minutes / 60, 2),
                r["answered_in_time"],
                r["closed_with_feedback"],
                r["open"],
                r["past_due"],
            ]
        )
        row = units.max_row
        units.cell(row=row, column=3).number_format = "0.00"
        for column in (4, 5):
            units.cell(row=row, column=column).number_format = "0.0%"
    departments = book.create_sheet(t("task.col.department", lang))
    _header(departments, [t(k, lang) for k in DEPARTMENT_HEADER_KEYS], [16, 10, 12, 10, 16, 14])
    for r in loop.departments.iter_rows(named=True):
        departments.append(
            [
                label("department", r["department"], lang),
                r["open"],
                r["open_past_due"],
                r["done"],
                r["median_handling_hours"],
                r["done_in_time"],
            ]
        )
        departments.cell(row=departments.max_row, column=5).number_format = "0.0"
        departments.cell(row=departments.max_row, column=6).number_format = "0.0%"
    visits = book.create_sheet(t("warn.title", lang)[:31])
    _header(visits, [t(k, lang) for k in COMPLIANCE_HEADER_KEYS], [16, 12, 12, 10, 12, 12])
    for r in loop.compliance.iter_rows(named=True):
        visits.append(
            [
                loop.station_names.get(r["station_code"], r["station_code"]),
                r["warned"],
                r["active"],
                r["overdue"],
                r["kept"],
                r["compliance"],
            ]
        )
        visits.cell(row=visits.max_row, column=6).number_format = "0.0%"


def _cover(
    sheet: Worksheet,
    report: Report,
    lang: str,
    user: str,
    made: datetime,
    targets: Mapping[str, float],
) -> None:
    sheet.title = t("review.xlsx.cover", lang)
    sheet.append([t("review.pdf.title", lang)])
    sheet["A1"].font = Font(bold=True, size=14)
    rows = [
        (t("review.xlsx.kind", lang), t(f"review.kind.{report.state.kind}", lang)),
        (t("review.xlsx.period_start", lang), report.period.start),
        (t("review.xlsx.period_end", lang), report.period.end),
        (t("review.xlsx.compare", lang), t(f"review.cmp.{report.state.compare}", lang)),
        (t("review.xlsx.compare_start", lang), report.comparison.start),
        (t("review.xlsx.compare_end", lang), report.comparison.end),
        (t("review.xlsx.scope", lang), _scope_text(report, lang)),
        (t("review.xlsx.made", lang), made.replace(microsecond=0)),
        (t("review.xlsx.user", lang), user),
    ]
    rows += [(t("review.xlsx.note", lang), note) for note in coverage_notes(report, lang)]
    if targets:
        rows.append((t("review.xlsx.colours", lang), t("review.xlsx.colours_text", lang)))
    for name, value in rows:
        sheet.append([name, value])
        cell = sheet.cell(row=sheet.max_row, column=2)
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif hasattr(value, "isoformat"):
            cell.number_format = "yyyy-mm-dd"
        cell.alignment = Alignment(horizontal="left")
    sheet.append([])
    heads = [
        t("review.pdf.measure", lang),
        t("review.pdf.this_period", lang),
        t("review.pdf.comparison", lang),
        t("review.m.change", lang),
        t("review.m.change_pct", lang),
        t("review.xlsx.target", lang),
        t("review.pdf.definitions", lang),
    ]
    sheet.append(heads)
    head_row = sheet.max_row
    for i in range(1, len(heads) + 1):
        cell = sheet.cell(row=head_row, column=i)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for measure in MEASURES:
        ch = report.change(measure)
        pct = None if ch.pct is None or measure in SHARE_MEASURES else ch.pct / 100.0
        sheet.append(
            [
                t(f"review.m.{measure}", lang),
                ch.current,
                ch.previous,
                ch.delta,
                pct,
                target_words(measure, lang, targets) or None,
                t(f"review.def.{measure}", lang),
            ]
        )
        row = sheet.max_row
        _tone(sheet.cell(row=row, column=2), measure, ch.current, targets)
        fmt = number_format(measure)
        sheet.cell(row=row, column=2).number_format = fmt
        sheet.cell(row=row, column=3).number_format = fmt
        sheet.cell(row=row, column=4).number_format = (
            "+0.0%;-0.0%;0.0%"
            if measure in SHARE_MEASURES
            else FORMAT_CHANGE
            if measure in COUNT_MEASURES
            else "+0.0;-0.0;0.0"
        )
        sheet.cell(row=row, column=5).number_format = FORMAT_CHANGE_PCT
        sheet.cell(row=row, column=7).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFG", (22, 16, 16, 12, 12, 16, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def _scope_text(report: Report, lang: str) -> str:
    names = list(report.station_names.values())
    return (
        t("review.xlsx.scope_all", lang) + f" ({len(names)})"
        if len(names) > 1
        else ("、".join(names) if lang == "zh" else ", ".join(names))
    )


def _league(sheet: Worksheet, report: Report, lang: str, targets: Mapping[str, float]) -> None:
    names = [t(f"review.m.{c}", lang) for c in LEAGUE_COLUMNS]
    _header(sheet, names, [14] + [13] * (len(LEAGUE_COLUMNS) - 1))
    for row in report.league.iter_rows(named=True):
        values = []
        for column in LEAGUE_COLUMNS:
            value = row[column]
            if column == "station_code":
                value = _station(report, value)
            elif column == "change_pct" and value is not None:
                value = value / 100.0
            values.append(value)
        sheet.append(values)
        for i, column in enumerate(LEAGUE_COLUMNS[1:], start=2):
            cell = sheet.cell(row=sheet.max_row, column=i)
            cell.number_format = number_format(column)
            _tone(cell, column, row[column], targets)
    # The district's total row: the same measures over every station (and unplaced cases).
    change = report.change("incidents")
    totals = {**report.totals, "change": change.delta, "change_pct": change.pct}
    values = [t("review.total_row", lang)]
    for column in LEAGUE_COLUMNS[1:]:
        value = totals.get(column)
        if column == "change_pct" and value is not None:
            value = value / 100.0
        values.append(value)
    sheet.append(values)
    for i, column in enumerate(LEAGUE_COLUMNS, start=1):
        cell = sheet.cell(row=sheet.max_row, column=i)
        cell.font = Font(bold=True)
        if i > 1:
            cell.number_format = number_format(column)
            _tone(cell, column, totals.get(column), targets)
            cell.font = Font(bold=True, color=cell.font.color)


def _trend(sheet: Worksheet, frame, kind: str, lang: str) -> None:
    codes = sorted(frame["code"].unique().to_list()) if frame.height else []
    names = [t("review.xlsx.period", lang)] + [label(kind, c, lang) for c in codes]
    _header(sheet, names, [12] + [14] * len(codes))
    if not codes:
        return
    wide = frame.pivot(on="code", index="period", values="count").sort("period")
    for row in wide.iter_rows(named=True):
        sheet.append([row["period"], *[row.get(c, 0) for c in codes]])
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
        for i in range(2, len(codes) + 2):
            sheet.cell(row=sheet.max_row, column=i).number_format = FORMAT_COUNT


def _heatmap(sheet: Worksheet, report: Report, lang: str) -> None:
    names = [t("review.xlsx.weekday", lang)] + [str(h) for h in range(24)]
    _header(sheet, names, [10] + [6] * 24)
    for day in range(7):
        sheet.append([t(f"review.weekday.{day}", lang), *report.heatmap[day].tolist()])
