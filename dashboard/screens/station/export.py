"""Export of a station's filtered case list as CSV or Excel.

``GET /station/<code>/cases.csv`` and ``GET /station/<code>/cases.xlsx`` take the query of
the station page (``q``, ``status``, ``risk``, ``cat``, ``sort``, ``lang``; see
:mod:`dashboard.screens.station.grid`) and answer every case of that list, in that order, with the
grid's columns and the instruments issued, in the words of ``lang``. The scope decides as on
the page: another station's code is a 403, addresses are masked unless the scope sees
personal details, and every export is written to the audit trail (``export``, with the
query and the row count).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import replace

import polars as pl
from flask import Flask, Response, jsonify, request
from openpyxl import Workbook
from openpyxl.styles import Font

from dashboard.parts.i18n import normalise_language, t
from dashboard.parts.services import services
from dashboard.parts.tables import defused
from dashboard.screens.station.access import FORBIDDEN, OK, station_access
from dashboard.screens.station.grid import (
    EXPORT_COLUMNS,
    GridState,
    from_query,
    grid_rows,
    to_query,
)
from dashboard.web.scope import current_scope
from data import audit
from data.access import IncidentFilter

#: Export formats and their media types.
FORMATS: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Most rows one export holds (a station's list is far shorter).
MAX_EXPORT_ROWS = 100_000


#: Characters that make a spreadsheet read a cell as a formula.
def export_href(code: str, state: GridState, lang: str, fmt: str) -> str:
    """The export link for the list ``state`` shows (sort and filters; not the page)."""
    return f"/station/{code}/cases.{fmt}{to_query(replace(state, page=1), lang)}"


def table(page: pl.DataFrame, lang: str, names: Mapping[str, str]) -> tuple[list[str], list[list]]:
    """Headers in ``lang`` and rows of the grid's columns, formulas defused."""
    headers = [t(f"field.{c}", lang) for c in EXPORT_COLUMNS]
    rows = [[defused(row[c]) for c in EXPORT_COLUMNS] for row in grid_rows(page, lang, names)]
    return headers, rows


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 CSV with a byte-order mark (spreadsheet programs then read the Chinese text)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(headers: list[str], rows: list[list], sheet_title: str) -> bytes:
    """An Excel workbook of one sheet: bold headers, frozen header row."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (18, 17, 14, 8, 10, 14, 44, 10, 10), strict=False):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def register(server: Flask) -> None:
    """Add ``GET /station/<code>/cases.<csv|xlsx>`` to ``server``."""

    @server.get("/station/<code>/cases.<fmt>")
    def station_cases_export(code: str, fmt: str) -> Response | tuple[Response, int]:
        lang = normalise_language(request.args.get("lang"))
        if fmt not in FORMATS:
            return jsonify(error=f"format must be one of {', '.join(FORMATS)}"), 404
        svc, scope = services(), current_scope()
        verdict = station_access(svc.access, scope, code)
        if verdict != OK:
            status = 403 if verdict == FORBIDDEN else 404
            key = "page.forbidden" if verdict == FORBIDDEN else "station.not_found"
            return jsonify(error=t(key, lang)), status
        query = request.query_string.decode("utf-8", "replace")
        state = from_query(query)
        frame, total = svc.access.case_export(
            scope,
            IncidentFilter(stations=(code,), risk_levels=state.risks, categories=state.categories),
            state.sort,
            state.descending,
            state.address,
            state.statuses,
            MAX_EXPORT_ROWS,
        )
        headers, rows = table(frame, lang, svc.station_names(scope, lang))
        audit.record(
            svc.access.engine,
            scope.user,
            "export",
            target=f"cases:{code}",
            detail=f"format={fmt} rows={len(rows)} of={total} query={query}"[:500],
            remote_addr=scope.remote_addr,
        )
        if fmt == "csv":
            body = csv_bytes(headers, rows)
        else:
            body = xlsx_bytes(headers, rows, t("station.export_sheet", lang))
        response = Response(body, mimetype=FORMATS[fmt])
        name = f"cases-{code}.{fmt}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response
