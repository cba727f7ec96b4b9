"""Mapping profiles: small TOML files that say how a source's columns and values become incidents.

A profile names the source system, maps source columns to canonical fields, translates source
values to canonical codes (``家庭暴力`` → ``domestic_violence``), and gives the time formats and
zone, the datum and the rows to keep. ``docs/importing.md`` describes every key; the shipped
profiles live in :data:`PROFILES_DIR`. A *mapping* file has the same form and is laid over a
profile to adapt it to one export (a renamed column, an extra value).

Errors name the file, the key and the problem, e.g.
``cn-110.toml: [values.category] '家暴': 'violence' is not a category; expected one of ...``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from data.vocab import CATEGORIES, DEPARTMENTS, RISK_LEVELS, SOURCES, STATUSES
from geo.datums import DATUMS

#: Where the shipped profiles are.
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
#: Canonical fields a profile may map a source column to.
FIELDS: tuple[str, ...] = (
    "incident_no",
    "reported_at",
    "source_channel",
    "category",
    "risk_level",
    "address",
    "lng",
    "lat",
    "datum",
    "station",
    "community",
    "status",
    "handled_at",
    "closed_at",
    "warning_letter",
    "protection_order",
    "minor_involved",
    "victim_id",
    "offender_id",
    "summary",
    "department",
)
#: Fields every profile must map.
REQUIRED_FIELDS: tuple[str, ...] = ("incident_no", "reported_at")
#: Text fields that may be built from several source columns (joined by :data:`JOIN_SEPARATOR`).
MULTI_COLUMN_FIELDS: tuple[str, ...] = ("address", "summary")
JOIN_SEPARATOR = " / "
#: Yes/no fields; their values table is ``[values.flag]``.
FLAG_FIELDS: tuple[str, ...] = ("warning_letter", "protection_order", "minor_involved")
#: Time fields, parsed with ``[time] formats``; each may also be built from a date column
#: and a time-of-day column (``reported_at = ["报警日期", "报警时间"]``).
TIME_FIELDS: tuple[str, ...] = ("reported_at", "handled_at", "closed_at")
#: Date formats a date column (of a date + time pair) is read with when the profile's
#: ``[time] date_formats`` does not say; an Excel date cell is written ``%Y-%m-%d``.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日")
#: Canonical codes allowed per value table.
CODES: dict[str, tuple[str, ...]] = {
    "source_channel": SOURCES,
    "category": CATEGORIES,
    "risk_level": RISK_LEVELS,
    "status": STATUSES,
    "datum": DATUMS,
    "department": DEPARTMENTS,
}
#: Tried after a profile's own formats: ISO forms, as Excel and Parquet cells are written.
ISO_TIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
)
#: Flags understood without a table (compared case-insensitively).
DEFAULT_FLAG_VALUES: dict[str, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "是": True,
    "否": False,
}
_TABLES = ("profile", "columns", "keep", "time", "coordinates", "defaults", "values", "codes")
#: Value tables whose codes ``[codes]`` normalises (and the station column).
CODED_FIELDS: tuple[str, ...] = ("source_channel", "category", "risk_level", "status", "station")
_PROFILE_KEYS = ("name", "description", "source_system", "header_row", "sheet")
_DEFAULTABLE = ("source_channel", "category", "risk_level", "status", "datum")
_VALUE_TABLES = (*CODES, "flag", "station")
_MAX_SOURCE_SYSTEM = 32


class ProfileError(ValueError):
    """A profile or mapping file is missing or wrong; the message names file, key and problem."""


@dataclass(frozen=True)
class KeepRule:
    """Rows are kept when ``column`` holds one of ``values``, or matches one of ``globs`` or
    ``regex`` (all case-insensitive).

    ``values`` are whole cells (``"True"``); ``globs`` are shell patterns over the whole cell
    (``"04*"`` a prefix, ``"*家暴*"`` anywhere, ``?`` one character); ``regex`` are regular
    expressions that must match the whole cell (``"0?4[0-9]{2}"``).
    """

    column: str
    values: tuple[str, ...]
    globs: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()

    def rules(self) -> list[tuple[str, str, str]]:
        """Each rule as ``(key, as written, regular expression over the whole cell)``."""
        out = [("values", v, f"(?i)^{re.escape(v)}$") for v in self.values]
        out += [("globs", g, f"(?i)^{glob_to_regex(g)}$") for g in self.globs]
        out += [("regex", r, f"(?i)^(?:{r})$") for r in self.regex]
        return out


def glob_to_regex(pattern: str) -> str:
    """A shell pattern (``*`` any text, ``?`` one character) as a regular expression body."""
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)


@dataclass(frozen=True)
class CodeRule:
    """How coded values are normalised before they are matched (``[codes]``).

    Both sides are normalised: the value in the file and the code or table key it is
    matched against, so ``006``, ``06`` and ``6`` all name district ``6``.

    Attributes
    ----------
    strip_zeros : bool
        Leading zeros before a digit are dropped (``'006'`` → ``'6'``, ``'0423'`` →
        ``'423'``; ``'0'`` stays ``'0'``).
    width : int or None
        All-digit values are padded with zeros to this width (after stripping).

    Case never matters: values and codes are always compared in lower case.
    """

    strip_zeros: bool = False
    width: int | None = None

    def expr(self, column: pl.Expr) -> pl.Expr:
        """``column`` (text) normalised by this rule."""
        out = column.str.strip_chars().str.to_lowercase()
        if self.strip_zeros:
            out = out.str.replace(r"^0+(\d)", "$1")
        if self.width:
            padded = out.str.zfill(self.width)
            out = pl.when(out.str.contains(r"^\d+$")).then(padded).otherwise(out)
        return out

    def text(self, value: str) -> str:
        """One value normalised by this rule (the keys of a lookup table)."""
        return pl.select(self.expr(pl.lit(value, dtype=pl.String))).item()


@dataclass(frozen=True)
class Profile:
    """A validated mapping profile.

    Attributes
    ----------
    name, description : str
        How the profile is called and what it is for.
    source_system : str
        Stored with every incident; with the incident number it identifies an incident.
    columns : dict of str -> tuple of str
        Canonical field -> source column(s).
    values : dict of str -> dict of str -> str or bool
        Value tables; keys are source values folded to lower case.
    defaults : dict of str -> str
        Code used when a field is not mapped or the cell is empty.
    time_formats : tuple of str
        Formats tried in order (chrono/strftime syntax), then :data:`ISO_TIME_FORMATS`.
    timezone : str
        IANA zone of the times in the file.
    datum : str
        Datum of the coordinates when no datum column says otherwise.
    keep : KeepRule or None
        Rows kept unless ``--all``.
    date_formats : tuple of str
        Formats of the date column when a time field is built from a date and a time column.
    codes : CodeRule
        How coded values (station, category, source, risk, status) are normalised.
    header_row : int
        Row of the column names in CSV and Excel files.
    sheet : str or None
        Excel sheet to read (default the first).
    files : tuple of pathlib.Path
        The profile file and any mapping laid over it.
    """

    name: str
    description: str
    source_system: str
    columns: dict[str, tuple[str, ...]]
    values: dict[str, dict[str, str | bool]]
    defaults: dict[str, str]
    time_formats: tuple[str, ...]
    timezone: str
    datum: str
    keep: KeepRule | None
    header_row: int = 1
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    codes: CodeRule = CodeRule()
    sheet: str | None = None
    files: tuple[Path, ...] = ()


def available_profiles() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def resolve_profile_path(name: str | Path) -> Path:
    """The file of a shipped profile name, or ``name`` itself when it is a TOML file path.

    Raises
    ------
    ProfileError
        If there is no such profile.
    """
    candidate = Path(name)
    if candidate.suffix.lower() == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise ProfileError(f"{candidate}: no such profile file")
        return candidate
    shipped = PROFILES_DIR / f"{name}.toml"
    if not shipped.is_file():
        raise ProfileError(
            f"no profile {str(name)!r}; shipped profiles: {', '.join(available_profiles())} "
            "(or give the path of a .toml file)"
        )
    return shipped


def load_profile(name: str | Path, mapping: Path | str | None = None) -> Profile:
    """Load, merge and validate a profile (and an optional mapping file laid over it).

    Parameters
    ----------
    name : str or path-like
        A shipped profile name (``cn-110``, ``chicago``) or the path of a ``.toml`` file.
    mapping : path-like, optional
        A file with the same tables; its keys replace the profile's, its value tables extend
        the profile's.

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        Naming the file, the key and the problem.
    """
    path = resolve_profile_path(name)
    doc = _read_toml(path)
    origins = _origins(doc, path)
    files = [path]
    if mapping is not None:
        mpath = Path(mapping)
        if not mpath.is_file():
            raise ProfileError(f"{mpath}: no such mapping file")
        over = _read_toml(mpath)
        _check_tables(over, mpath)
        doc = _merge(doc, over)
        origins.update(_origins(over, mpath))
        files.append(mpath)
    return _build(doc, origins, path, tuple(files))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from exc


def _origins(doc: dict, path: Path, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Path]:
    """Which file set each key (so an error names the right file)."""
    out: dict[tuple[str, ...], Path] = {}
    for key, value in doc.items():
        out[(*prefix, key)] = path
        if isinstance(value, dict):
            out.update(_origins(value, path, (*prefix, key)))
    return out


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Checker:
    """Builds error messages that name the file that set a key."""

    def __init__(self, origins: dict[tuple[str, ...], Path], default: Path) -> None:
        self.origins = origins
        self.default = default

    def fail(self, table: str, key: str | None, problem: str) -> ProfileError:
        parts = tuple(table.split(".")) + ((key,) if key is not None else ())
        path = self.origins.get(parts) or self.origins.get(tuple(table.split("."))) or self.default
        where = f"[{table}]" + (f" {key!r}" if key is not None else "")
        return ProfileError(f"{path.name}: {where}: {problem}")


def _check_tables(doc: dict, path: Path) -> None:
    for table, value in doc.items():
        if table not in _TABLES:
            raise ProfileError(
                f"{path.name}: unknown table [{table}]; expected one of {', '.join(_TABLES)}"
            )
        if not isinstance(value, dict):
            raise ProfileError(f"{path.name}: '{table}' should be a table ([{table}])")


def _build(doc: dict, origins: dict, path: Path, files: tuple[Path, ...]) -> Profile:
    _check_tables(doc, path)
    chk = _Checker(origins, path)
    head = doc.get("profile", {})
    for key in head:
        if key not in _PROFILE_KEYS:
            raise chk.fail(
                "profile", key, f"unknown key; expected one of {', '.join(_PROFILE_KEYS)}"
            )
    source_system = head.get("source_system")
    if not isinstance(source_system, str) or not source_system.strip():
        raise chk.fail("profile", "source_system", "missing: name the system the rows come from")
    if len(source_system) > _MAX_SOURCE_SYSTEM:
        raise chk.fail("profile", "source_system", f"longer than {_MAX_SOURCE_SYSTEM} characters")
    header_row = head.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise chk.fail(
            "profile", "header_row", f"should be a whole number >= 1, got {header_row!r}"
        )
    sheet = head.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise chk.fail("profile", "sheet", "should be a sheet name (text)")
    timezone, formats, date_formats = _time(doc.get("time", {}), chk)
    return Profile(
        name=str(head.get("name", path.stem)),
        description=str(head.get("description", "")),
        source_system=source_system.strip(),
        columns=_columns(doc.get("columns", {}), chk),
        values=_values(doc.get("values", {}), chk),
        defaults=_defaults(doc.get("defaults", {}), chk),
        time_formats=formats,
        timezone=timezone,
        datum=_datum(doc.get("coordinates", {}), chk),
        keep=_keep(doc.get("keep"), chk),
        header_row=header_row,
        sheet=sheet,
        files=files,
        date_formats=date_formats,
        codes=_codes(doc.get("codes", {}), chk),
    )


def _columns(table: dict, chk: _Checker) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for field_name, source in table.items():
        if field_name not in FIELDS:
            raise chk.fail(
                "columns", field_name, f"not a field; expected one of {', '.join(FIELDS)}"
            )
        if isinstance(source, str) and source.strip():
            out[field_name] = (source.strip(),)
        elif (
            isinstance(source, list)
            and source
            and field_name in MULTI_COLUMN_FIELDS
            and all(isinstance(s, str) and s.strip() for s in source)
        ) or (
            isinstance(source, list)
            and len(source) == 2
            and field_name in TIME_FIELDS
            and all(isinstance(s, str) and s.strip() for s in source)
        ):
            out[field_name] = tuple(s.strip() for s in source)
        else:
            allowed = (
                " (or a list of names)"
                if field_name in MULTI_COLUMN_FIELDS
                else " (or [date column, time column])"
                if field_name in TIME_FIELDS
                else ""
            )
            raise chk.fail(
                "columns", field_name, f"should be a column name{allowed}, got {source!r}"
            )
    for field_name in REQUIRED_FIELDS:
        if field_name not in out:
            raise chk.fail("columns", field_name, "missing: every profile maps this field")
    if ("lng" in out) != ("lat" in out):
        missing = "lat" if "lng" in out else "lng"
        raise chk.fail("columns", missing, "missing: map both lng and lat, or neither")
    return out


def _values(table: dict, chk: _Checker) -> dict[str, dict[str, str | bool]]:
    out: dict[str, dict[str, str | bool]] = {}
    for field_name, mapping in table.items():
        name = f"values.{field_name}"
        if field_name not in _VALUE_TABLES:
            raise chk.fail(
                "values",
                field_name,
                f"no such value table; expected one of {', '.join(_VALUE_TABLES)}",
            )
        if not isinstance(mapping, dict):
            raise chk.fail("values", field_name, f"should be a table ([{name}])")
        folded: dict[str, str | bool] = {}
        for source, code in mapping.items():
            if field_name == "flag":
                if not isinstance(code, bool):
                    raise chk.fail(name, source, f"should be true or false, got {code!r}")
            elif field_name == "station":
                if not isinstance(code, str) or not code.strip():
                    raise chk.fail(name, source, f"should be a station code, got {code!r}")
            elif code not in CODES[field_name]:
                raise chk.fail(
                    name,
                    source,
                    f"{code!r} is not a {field_name} code; expected one "
                    f"of {', '.join(CODES[field_name])}",
                )
            folded[source.strip().lower()] = code.strip() if isinstance(code, str) else code
        out[field_name] = folded
    return out


def _defaults(table: dict, chk: _Checker) -> dict[str, str]:
    out: dict[str, str] = {}
    for field_name, code in table.items():
        if field_name not in _DEFAULTABLE:
            raise chk.fail(
                "defaults",
                field_name,
                f"no default for this field; expected one of {', '.join(_DEFAULTABLE)}",
            )
        if code not in CODES[field_name]:
            raise chk.fail(
                "defaults",
                field_name,
                f"{code!r} is not a {field_name} code; "
                f"expected one of {', '.join(CODES[field_name])}",
            )
        out[field_name] = code
    return out


def _time(table: dict, chk: _Checker) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    for key in table:
        if key not in ("formats", "timezone", "date_formats"):
            raise chk.fail("time", key, "unknown key; expected formats, timezone, date_formats")
    timezone = table.get("timezone")
    if not isinstance(timezone, str):
        raise chk.fail(
            "time", "timezone", "missing: the IANA zone of the file's times, e.g. 'Asia/Shanghai'"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise chk.fail("time", "timezone", f"unknown time zone {timezone!r}") from exc
    formats = table.get("formats", [])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not all(isinstance(f, str) and "%" in f for f in formats):
        raise chk.fail("time", "formats", "should be a list of formats such as '%Y-%m-%d %H:%M'")
    dates = table.get("date_formats", [])
    if isinstance(dates, str):
        dates = [dates]
    if not isinstance(dates, list) or not all(isinstance(f, str) and "%" in f for f in dates):
        raise chk.fail("time", "date_formats", "should be a list of formats such as '%Y-%m-%d'")
    return (
        timezone,
        tuple(dict.fromkeys([*formats, *ISO_TIME_FORMATS])),
        tuple(dict.fromkeys([*dates, *DEFAULT_DATE_FORMATS])),
    )


def _codes(table: dict, chk: _Checker) -> CodeRule:
    for key in table:
        if key not in ("strip_zeros", "width"):
            raise chk.fail("codes", key, "unknown key; expected strip_zeros, width")
    strip = table.get("strip_zeros", False)
    if not isinstance(strip, bool):
        raise chk.fail("codes", "strip_zeros", f"should be true or false, got {strip!r}")
    width = table.get("width")
    if width is not None and (
        not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 32
    ):
        raise chk.fail("codes", "width", f"should be a whole number from 1 to 32, got {width!r}")
    return CodeRule(strip_zeros=strip, width=width)


def _datum(table: dict, chk: _Checker) -> str:
    for key in table:
        if key != "datum":
            raise chk.fail("coordinates", key, "unknown key; expected datum")
    datum = table.get("datum", "wgs84")
    if datum not in DATUMS:
        raise chk.fail(
            "coordinates", "datum", f"{datum!r} is not a datum; expected one of {', '.join(DATUMS)}"
        )
    return datum


def _keep(table: dict | None, chk: _Checker) -> KeepRule | None:
    if table is None:
        return None
    column = table.get("column")
    for key in table:
        if key not in ("column", "values", "globs", "regex"):
            raise chk.fail("keep", key, "unknown key; expected column, values, globs, regex")
    if not isinstance(column, str) or not column.strip():
        raise chk.fail("keep", "column", "should be the name of the column that decides")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("values", "globs", "regex"):
        items = table.get(key, [])
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
            raise chk.fail("keep", key, "should be a list of text")
        lists[key] = tuple(v.strip().lower() if key == "values" else v.strip() for v in items)
    if not any(lists.values()):
        raise chk.fail(
            "keep", "values", "should be a list of the values (or globs, regex) whose rows are kept"
        )
    for pattern in lists["regex"]:
        try:
            pl.Series([""], dtype=pl.String).str.contains(pattern)
        except pl.exceptions.ComputeError as exc:
            raise chk.fail(
                "keep", "regex", f"{pattern!r} is not a regular expression: {exc}"
            ) from exc
    return KeepRule(column.strip(), lists["values"], lists["globs"], lists["regex"])
