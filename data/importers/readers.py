"""Reading incident files into a frame of text, row numbers as the user sees them.

Every cell is read as text (``String``) so that nothing is coerced silently: a leading zero, an
18-digit ID number or a time stays exactly as written, and the profile decides what it means.
Column names and cells have stray whitespace stripped; empty cells are null.

Row numbers count as a spreadsheet shows the file: the header is row 1 (or ``header_row``), the
first record row 2. Blank lines keep their numbers and are reported, not read as incidents.
Parquet and GeoJSON records are numbered the same way (the first record is row 2).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

#: Name of the column that carries each record's row number in the file (a name no export
#: uses, so that a rejects file, which has a ``row_number`` column, can be imported again).
ROW_NUMBER = "__row_number__"
#: Added only when some rows have more cells than the header: why, and the cells beyond it.
MALFORMED = "__malformed__"
MALFORMED_CELLS = "__malformed_cells__"
#: Columns added to GeoJSON records from a Point geometry (WGS-84 or the profile's datum).
GEOMETRY_LNG = "geometry_lng"
GEOMETRY_LAT = "geometry_lat"
#: File suffixes each reader handles.
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
GEOJSON_SUFFIXES = (".geojson", ".json")
#: Encodings tried in order; GB18030 is a superset of GBK and GB2312.
ENCODINGS = ("utf-8", "gb18030")
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = (",", "\t", ";", "|")
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")


class ReadError(ValueError):
    """A file cannot be read as a table; the message names the file and the problem."""


@dataclass(frozen=True)
class RawTable:
    """A file read as text.

    Attributes
    ----------
    frame : polars.DataFrame
        One ``String`` column per source column plus :data:`ROW_NUMBER` (``Int64``); blank
        lines are removed from it.
    columns : list of str
        The source columns in file order (without :data:`ROW_NUMBER`).
    blank_rows : list of int
        Row numbers of blank lines (every cell empty), skipped.
    encoding : str or None
        Text encoding detected (``utf-8``, ``utf-8-sig``, ``gb18030``); None for binary formats.
    repeated : dict of str -> list of str
        Column names the header repeats, each with the names its copies were given in file
        order (``{"X": ["X", "X#2"]}``); empty when every name is unique.
    """

    frame: pl.DataFrame
    columns: list[str]
    blank_rows: list[int] = field(default_factory=list)
    encoding: str | None = None
    repeated: dict[str, list[str]] = field(default_factory=dict)


def read_table(path: Path | str, header_row: int = 1, sheet: str | None = None) -> RawTable:
    """Read a CSV, Excel, Parquet or GeoJSON file into a :class:`RawTable` of text.

    Parameters
    ----------
    path : path-like
        The file; its suffix chooses the reader (``.csv``/``.txt``/``.tsv``, ``.xlsx``,
        ``.parquet``, ``.geojson``/``.json``).
    header_row : int
        Row holding the column names (1 = first row); rows above it are titles and skipped.
        CSV and Excel only.
    sheet : str, optional
        Excel sheet name; default the first sheet.

    Returns
    -------
    RawTable

    Raises
    ------
    ReadError
        If the file is missing, of an unknown kind, not decodable as UTF-8 or GB18030, or has
        no header.
    """
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    if header_row < 1:
        raise ReadError(f"{path}: header_row should be >= 1, got {header_row}")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, header_row)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, header_row, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in GEOJSON_SUFFIXES:
        return _read_geojson(path)
    kinds = ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + GEOJSON_SUFFIXES)
    raise ReadError(f"{path}: cannot read '{suffix or path.name}' files; expected one of {kinds}")


def frame_from_records(records: list[dict], first_row: int = 1) -> RawTable:
    """A :class:`RawTable` from records (dicts), as a push API receives them.

    Parameters
    ----------
    records : list of dict
        One dict per incident, keys are source column names; values become text
        (``True``/``False`` for booleans, numbers as written by ``str``).
    first_row : int
        Number given to the first record (the API numbers items from 1).

    Returns
    -------
    RawTable
    """
    columns: list[str] = []
    for rec in records:
        columns.extend(k for k in rec if k not in columns)
    data = {c: [_cell_text(rec.get(c)) for rec in records] for c in columns}
    frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))
    return _finish(frame, columns, first_row, encoding=None)


def decode(data: bytes, path: Path | str = "<bytes>") -> tuple[str, str]:
    """Decode file bytes: UTF-16 or UTF-8 by their BOM, else strict UTF-8, then GB18030.

    Parameters
    ----------
    data : bytes
        The file's content.
    path : path-like
        Named in the error message.

    Returns
    -------
    (str, str)
        The text and the encoding used (``utf-16``, ``utf-8-sig``, ``utf-8``, ``gb18030``).

    Raises
    ------
    ReadError
        If the bytes are neither UTF-8 nor GB18030, naming the line of the first bad byte.
    """
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode text" export
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _decode_error(path, data, exc, "UTF-16 (it starts with a UTF-16 BOM)") from exc
    if data.startswith(_BOM):
        try:
            return data[len(_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _decode_error(path, data, exc, "UTF-8 (it starts with a UTF-8 BOM)") from exc
    first_error: UnicodeDecodeError | None = None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise _decode_error(path, data, first_error, "UTF-8 or GB18030/GBK")


def _decode_error(path, data: bytes, exc: UnicodeDecodeError, tried: str) -> ReadError:
    line = data.count(b"\n", 0, exc.start) + 1
    return ReadError(
        f"{path}: row {line}: byte 0x{data[exc.start]:02x} is not valid {tried}; "
        "save the file as UTF-8 or GB18030"
    )


def _read_csv(path: Path, header_row: int) -> RawTable:
    raw = path.read_bytes()
    text, encoding = decode(raw, path)
    data = text.encode("utf-8") if encoding in ("gb18030", "utf-16") else raw
    if encoding == "utf-8-sig":
        data = data[len(_BOM) :]
    # The CSV parser skips blank lines before the header: count them so row numbers stay true.
    lead = _LEADING_BLANK_LINES.match(data)
    skipped = data[: lead.end()].count(b"\n") if lead else 0
    data = data[lead.end() :] if lead else data
    title_rows = max(0, header_row - 1 - skipped)
    header_line = _nth_line(data, title_rows)
    if not header_line.strip():
        raise ReadError(f"{path}: row {header_row}: no column names (the header row is empty)")
    separator = _sniff_delimiter(header_line)
    first_row = skipped + title_rows + 2
    try:
        frame = pl.read_csv(
            io.BytesIO(data), separator=separator, infer_schema=False, skip_rows=title_rows
        )
    except pl.exceptions.ComputeError as exc:
        if "more fields" not in str(exc):
            raise ReadError(f"{path}: not a readable CSV file: {_first_line(exc)}") from exc
        return _read_ragged_csv(path, data, separator, title_rows, first_row, encoding)
    except pl.exceptions.PolarsError as exc:
        raise ReadError(f"{path}: not a readable CSV file: {_first_line(exc)}") from exc
    # The parser renames a repeated column name; read the header as written to catch it.
    written = next(csv.reader([header_line.rstrip("\r\n")], delimiter=separator), [])
    names = written if len(written) == frame.width else frame.columns
    columns = _clean_names(names, path)
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    return _finish(frame, columns, first_row, encoding, written=names)


def _read_ragged_csv(
    path: Path, data: bytes, separator: str, title_rows: int, first_row: int, encoding: str
) -> RawTable:
    """The slow path for a file with rows longer than its header (an unquoted separator in a
    cell, usually): every row is read, and the long ones are marked for rejection."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=separator)
    for _ in range(title_rows):
        next(reader, None)
    names = next(reader, [])
    columns = _clean_names(names, path)
    width = len(columns)
    body, reasons, extras = [], [], []
    for record in reader:
        body.append((record + [None] * width)[:width])
        long = len(record) > width
        reasons.append(
            f"{len(record)} cells for {width} columns (a {separator!r} inside an unquoted cell?)"
            if long
            else None
        )
        extras.append(separator.join(record[width:]) if long else None)
    frame = pl.DataFrame(body, schema=dict.fromkeys(columns, pl.String), orient="row")
    frame = frame.with_columns(
        pl.Series(MALFORMED, reasons, dtype=pl.String),
        pl.Series(MALFORMED_CELLS, extras, dtype=pl.String),
    )
    return _finish(frame, columns, first_row, encoding, written=names)


def _nth_line(data: bytes, n: int) -> str:
    """Line ``n`` (0-based) of the data, without copying the rest of a large file."""
    start = 0
    for _ in range(n):
        newline = data.find(b"\n", start)
        if newline < 0:
            return ""
        start = newline + 1
    end = data.find(b"\n", start)
    return data[start : end if end >= 0 else len(data)].decode("utf-8", "replace")


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _read_excel(path: Path, header_row: int, sheet: str | None) -> RawTable:
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ReadError(f"{path}: reading Excel files needs the 'openpyxl' package") from exc
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ReadError(f"{path}: not a readable .xlsx workbook: {_first_line(exc)}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ReadError(f"{path}: no sheet {sheet!r}; the workbook has {book.sheetnames}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(min_row=header_row, values_only=True)
        header = next(rows, None)
        if header is None or all(_cell_text(v) is None for v in header):
            raise ReadError(f"{path}: row {header_row}: no column names (the header row is empty)")
        width = max(i + 1 for i, v in enumerate(header) if _cell_text(v) is not None)
        names = [_cell_text(v) or f"column_{i + 1}" for i, v in enumerate(header[:width])]
        body = [[_cell_text(v) for v in (*row, *([None] * width))[:width]] for row in rows]
    finally:
        book.close()
    columns = _clean_names(names, path)
    frame = pl.DataFrame(body, schema=dict.fromkeys(columns, pl.String), orient="row")
    return _finish(frame, columns, header_row + 1, encoding=None, written=names)


def _read_parquet(path: Path) -> RawTable:
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ReadError(f"{path}: not a readable Parquet file: {_first_line(exc)}") from exc
    columns = _clean_names(frame.columns, path)
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    frame = frame.with_columns(_as_text(frame[c]) for c in columns)
    return _finish(frame, columns, 2, encoding=None)


def _as_text(col: pl.Series) -> pl.Series:
    if isinstance(col.dtype, pl.Datetime):
        naive = col.dt.replace_time_zone(None) if col.dtype.time_zone else col
        return naive.dt.strftime("%Y-%m-%d %H:%M:%S")
    if col.dtype == pl.Boolean:
        return col.replace_strict({True: "True", False: "False"}, return_dtype=pl.String)
    return col.cast(pl.String)


def _read_geojson(path: Path) -> RawTable:
    raw = path.read_bytes()
    text, encoding = decode(raw, path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"{path}: row {exc.lineno}: not valid JSON: {exc.msg}") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise ReadError(f"{path}: not a GeoJSON FeatureCollection (no 'features' list)")
    records = []
    for feature in features:
        props = dict((feature or {}).get("properties") or {})
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") == "Point" and len(geometry.get("coordinates") or []) >= 2:
            props[GEOMETRY_LNG], props[GEOMETRY_LAT] = geometry["coordinates"][:2]
        records.append(props)
    table = frame_from_records(records, first_row=2)
    return RawTable(table.frame, table.columns, table.blank_rows, encoding, table.repeated)


def _cell_text(value) -> str | None:
    """Text of one cell as a spreadsheet shows it; None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text or None


#: Joins a repeated column name and its copy number: the second ``X`` is read as ``X#2``.
REPEAT_MARK = "#"


def _clean_names(names: list[str], path: Path) -> list[str]:
    """Stripped column names, unique: a name the header repeats is numbered by position
    (``X``, ``X#2``, ``X#3`` …; see :func:`repeated_names`)."""
    cleaned = [(n or "").strip().lstrip("\ufeff").strip() for n in names]
    cleaned = [n or f"column_{i + 1}" for i, n in enumerate(cleaned)]
    taken = set(cleaned)
    copies: dict[str, int] = {}
    out: list[str] = []
    for name in cleaned:
        copies[name] = copies.get(name, 0) + 1
        if copies[name] == 1:
            out.append(name)
            continue
        number = copies[name]
        while f"{name}{REPEAT_MARK}{number}" in taken:  # a header that already has 'X#2'
            number += 1
        renamed = f"{name}{REPEAT_MARK}{number}"
        taken.add(renamed)
        out.append(renamed)
    return out


def repeated_names(names: list[str], columns: list[str]) -> dict[str, list[str]]:
    """Which written names repeat, and what each copy was called (``{"X": ["X", "X#2"]}``)."""
    cleaned = [(n or "").strip().lstrip("\ufeff").strip() for n in names]
    groups: dict[str, list[str]] = {}
    for written, column in zip(cleaned, columns, strict=False):
        if written:
            groups.setdefault(written, []).append(column)
    return {name: cols for name, cols in groups.items() if len(cols) > 1}


def _finish(
    frame: pl.DataFrame,
    columns: list[str],
    first_row: int,
    encoding,
    written: list[str] | None = None,
) -> RawTable:
    """Strip cells, number the rows, and take out blank lines; ``written`` are the header's
    names as in the file, to say which repeat."""
    repeated = repeated_names(written, columns) if written is not None else {}
    stripped = {c: pl.col(c).str.strip_chars() for c in columns}
    frame = frame.with_columns(
        pl.when(e.str.len_bytes() > 0).then(e).alias(c) for c, e in stripped.items()
    ).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).add(first_row).alias(ROW_NUMBER))
    if not columns:
        return RawTable(frame, columns, [], encoding, repeated)
    blank = pl.all_horizontal(pl.col(c).is_null() for c in columns)
    if MALFORMED in frame.columns:
        blank = blank & pl.col(MALFORMED).is_null()
    blank_rows = frame.filter(blank)[ROW_NUMBER].to_list()
    return RawTable(frame.filter(~blank), columns, blank_rows, encoding, repeated)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
