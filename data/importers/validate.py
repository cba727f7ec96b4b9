"""Raw rows (all text) + a profile → canonical incidents, rejects and warnings.

Everything here is vectorised over polars columns. A row is *rejected* (with its row number,
column, value and reason) only when it cannot be an incident: no incident number, or a time
that cannot be read or cannot be true. Everything else is kept and what was done to it is
counted as a warning: unknown values mapped to ``other``, swapped coordinates put back, points
outside every jurisdiction, rows left unlocated, station codes that disagree with the polygon.

ID numbers become keyed pseudonyms here and phone and ID numbers in summaries are masked, so
nothing after this step ever holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from data.frames import INCIDENT_SCHEMA
from data.importers.locate import fill_from_addresses, place_points
from data.importers.masking import mask_numbers
from data.importers.profiles import (
    CODES,
    DEFAULT_FLAG_VALUES,
    FLAG_FIELDS,
    JOIN_SEPARATOR,
    CodeRule,
    Profile,
)
from data.importers.pseudonyms import pseudonymise_columns
from data.importers.readers import (
    GEOMETRY_LAT,
    GEOMETRY_LNG,
    MALFORMED,
    MALFORMED_CELLS,
    ROW_NUMBER,
)
from data.importers.times import parse_date_and_time, parse_local_times
from geo.addresses import normalise_addresses
from geo.jurisdictions import Jurisdiction

#: Times earlier than this are taken as data-entry errors.
EARLIEST_TIME = datetime(1990, 1, 1, tzinfo=UTC)
#: How far in the future a time may lie (clock skew between systems) before it is rejected.
FUTURE_TOLERANCE = timedelta(minutes=15)
#: Longest incident number the store holds.
MAX_INCIDENT_NO = 64
#: Longest address and community the store holds; longer text is cut (with a warning).
MAX_ADDRESS = 300
MAX_COMMUNITY = 100
#: Code an unknown value of each field falls back to unless the profile's [defaults] says.
FALLBACK_CODES: dict[str, str] = {
    "source_channel": "other",
    "category": "other",
    "risk_level": "medium",
    "status": "reported",
}
#: How many distinct unknown values a warning names before it says "and N more".
MAX_VALUES_NAMED = 8
#: Name of the row number in what validation returns.
ROW = "row_number"
#: Columns of the rejects frame, after the source columns.
REJECT_COLUMNS = (ROW, "column", "value", "reason")
#: Canonical columns produced (the store adds id, created_at and updated_at).
OUTPUT_COLUMNS = tuple(c for c in INCIDENT_SCHEMA if c not in ("id", "created_at", "updated_at"))

#: Called with address keys; returns located stored incidents at them (see fill_from_addresses).
AddressLookup = Callable[[list[str]], pl.DataFrame]


class ValidationError(ValueError):
    """The rows as a whole cannot be read with this profile (e.g. a required column is absent)."""


@dataclass(frozen=True)
class RowWarning:
    """Something done to rows that were kept: what, how many, and a sentence for the user."""

    kind: str
    count: int
    message: str


@dataclass(frozen=True)
class Context:
    """What validation needs to know about the installation.

    Attributes
    ----------
    jurisdictions : list of Jurisdiction
        Stored station polygons.
    secret : bytes
        Pseudonym secret.
    now : datetime
        Current time (UTC), for the future-time check.
    lookup_addresses : callable, optional
        Located stored incidents at given address keys.
    """

    jurisdictions: list[Jurisdiction]
    secret: bytes
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    lookup_addresses: AddressLookup | None = None


@dataclass(frozen=True)
class Validated:
    """The outcome of validation.

    Attributes
    ----------
    incidents : polars.DataFrame
        :data:`OUTPUT_COLUMNS` plus :data:`ROW` (the row number in the file), one row per
        accepted row, in file order.
    rejects : polars.DataFrame
        :data:`REJECT_COLUMNS`, one row per rejected row (several problems joined by ``; ``).
    filtered : polars.Series
        Row numbers not kept by the profile's ``[keep]`` rule.
    warnings : list of RowWarning
    """

    incidents: pl.DataFrame
    rejects: pl.DataFrame
    filtered: pl.Series
    warnings: list[RowWarning]


def validate_rows(
    raw: pl.DataFrame, profile: Profile, context: Context, keep_all: bool = False
) -> Validated:
    """Turn raw text rows into canonical incidents, rejects and warnings.

    Parameters
    ----------
    raw : polars.DataFrame
        ``String`` source columns plus the row number (as from :func:`readers.read_table`).
    profile : Profile
        How columns and values map.
    context : Context
        Jurisdictions, pseudonym secret, current time, address lookup.
    keep_all : bool
        Ignore the profile's ``[keep]`` rule (Chicago: keep non-domestic crimes too).

    Returns
    -------
    Validated

    Raises
    ------
    ValidationError
        If a column the profile requires is not in ``raw``.
    """
    warnings: list[RowWarning] = []
    _check_columns(raw, profile, warnings)
    frame, filtered = _keep(raw, profile, keep_all, warnings)
    rejects: list[pl.DataFrame] = []
    if MALFORMED in frame.columns:
        bad = frame[MALFORMED].is_not_null()
        _reject(rejects, frame, bad, "(row)", frame[MALFORMED_CELLS], frame[MALFORMED])
    # Hashing IDs and normalising addresses are bound to the interpreter: they run in
    # threads while the vectorised steps, which release the interpreter lock, go on; their
    # results are joined in at the end. (Helper processes were tried: on two cores they
    # only slowed the vectorised steps down.)
    with ThreadPoolExecutor(max_workers=2) as pool:
        ids = [_text(frame, profile, source) for source in ("victim_id", "offender_id")]
        keys = pool.submit(pseudonymise_columns, ids, context.secret)
        address = _cut(_text(frame, profile, "address"), MAX_ADDRESS, "address", warnings)
        address_key = pool.submit(normalise_addresses, address)
        out = _canonical(frame, profile, context, rejects, warnings, address)
        rejected = _collect_rejects(rejects)
        keep = ~out[ROW].is_in(rejected[ROW].implode())
        out = _place(
            out.filter(keep),
            frame.filter(keep),
            profile,
            context,
            warnings,
            lambda: address_key.result().filter(keep),
        )
        victim_key, offender_key = (k.filter(keep) for k in keys.result())
    out = out.with_columns(victim_key.alias("victim_key"), offender_key.alias("offender_key"))
    out = out.select((*OUTPUT_COLUMNS, ROW)).cast({c: INCIDENT_SCHEMA[c] for c in OUTPUT_COLUMNS})
    return Validated(out, rejected, filtered, warnings)


def _canonical(
    frame: pl.DataFrame,
    profile: Profile,
    context: Context,
    rejects: list[pl.DataFrame],
    warnings: list[RowWarning],
    address: pl.Series,
) -> pl.DataFrame:
    """The canonical columns computed here of every kept row (rejected ones still among them);
    address keys and pseudonyms are joined in later."""
    cols: dict[str, pl.Series] = {ROW: frame[ROW_NUMBER]}
    cols["source_system"] = pl.Series([profile.source_system] * frame.height, dtype=pl.String)
    cols["incident_no"] = _incident_no(frame, profile, rejects)
    cols.update(_times(frame, profile, context, rejects, warnings))
    for name in ("source_channel", "category", "risk_level", "status"):
        cols[name] = _coded(frame, profile, name, warnings)
    _closing_disagreements(cols["status"], cols["closed_at"], warnings)
    for name in FLAG_FIELDS:
        cols[name] = _flag(frame, profile, name, warnings)
    cols["address_raw"] = address
    community = _text(frame, profile, "community")
    cols["community"] = _cut(community, MAX_COMMUNITY, "community", warnings)
    cols["summary"] = mask_numbers(_text(frame, profile, "summary"))
    return pl.DataFrame({k: v.alias(k) for k, v in cols.items()})


def _closing_disagreements(
    status: pl.Series, closed_at: pl.Series, warnings: list[RowWarning]
) -> None:
    """Warn where the status and the closing time disagree. Every screen judges a case open
    by its closing time (``measures.service.open_at``), so such rows are counted by the time:
    the summary says how many, and which way."""
    closed = status == "closed"
    no_time = int((closed & closed_at.is_null()).sum())
    if no_time:
        warnings.append(
            RowWarning(
                "closed_without_time",
                no_time,
                f"status: {no_time} rows are 'closed' without a closing time: counted as open "
                "(and late once 15 days pass) until one is given",
            )
        )
    timed = int((~closed & closed_at.is_not_null()).fill_null(False).sum())
    if timed:
        warnings.append(
            RowWarning(
                "closing_time_not_closed",
                timed,
                f"closed_at: {timed} rows have a closing time but a status other than 'closed': "
                "counted as closed from that time",
            )
        )


# ------------------------------------------------------------------------------ columns, keep


def _check_columns(raw: pl.DataFrame, profile: Profile, warnings: list[RowWarning]) -> None:
    present = set(raw.columns)
    absent: list[str] = []
    for name, sources in profile.columns.items():
        missing = [s for s in sources if s not in _aliases(present, name, s)]
        if not missing:
            continue
        if name in ("incident_no", "reported_at"):
            raise ValidationError(
                f"column {missing[0]!r} ([columns] {name} of profile {profile.name}) is not in "
                f"the file; its columns are: {', '.join(c for c in raw.columns if c != ROW_NUMBER)}"
            )
        absent.extend(f"{s} ({name})" for s in missing)
    if absent:
        message = f"columns of the profile not in the file (left empty): {', '.join(absent)}"
        warnings.append(RowWarning("missing_column", raw.height, message))
    if profile.keep is not None and profile.keep.column not in present:
        raise ValidationError(
            f"column {profile.keep.column!r} ([keep] column of profile {profile.name}) is not in "
            "the file"
        )


def _aliases(present: set[str], name: str, source: str) -> set[str]:
    """GeoJSON points carry their coordinates in the geometry, not in properties."""
    if name in ("lng", "lat") and source not in present:
        alias = GEOMETRY_LNG if name == "lng" else GEOMETRY_LAT
        return {source} if alias in present else present
    return present


#: Warning kind of a [keep] value or pattern that matched no row (the import exits 3).
KEEP_UNMATCHED = "keep_unmatched"


def _keep(
    raw: pl.DataFrame, profile: Profile, keep_all: bool, warnings: list[RowWarning]
) -> tuple[pl.DataFrame, pl.Series]:
    """Rows the [keep] rule keeps, the row numbers it leaves out; a warning names each value
    or pattern that matched no row (a prefix written as an exact value, a typing error)."""
    if profile.keep is None or keep_all:
        return raw, pl.Series(ROW, [], dtype=pl.Int64)
    column = pl.col(profile.keep.column)
    rules = profile.keep.rules()
    matches = raw.select(
        column.str.contains(pattern).fill_null(False).alias(f"_rule{i}")
        for i, (_, _, pattern) in enumerate(rules)
    )
    kept = matches.select(pl.any_horizontal(pl.all())).to_series()
    hits = matches.sum().row(0)
    unmatched = [(key, written) for (key, written, _), n in zip(rules, hits, strict=True) if n == 0]
    if unmatched:
        named = ", ".join(f"{key} {written!r}" for key, written in unmatched)
        hint = (
            " (a value is matched whole: write a prefix as globs = ['04*'])"
            if any(key == "values" and ("*" in w or "?" in w) for key, w in unmatched)
            else ""
        )
        warnings.append(
            RowWarning(
                KEEP_UNMATCHED,
                len(unmatched),
                f"[keep] {named} matched no row of column {profile.keep.column!r}{hint}; "
                f"{int(kept.sum()):,} of {raw.height:,} rows kept",
            )
        )
    return raw.filter(kept), raw.filter(~kept)[ROW_NUMBER].alias(ROW)


def _source(frame: pl.DataFrame, profile: Profile, name: str) -> pl.Series | None:
    """The source column mapped to ``name`` (first of several), or None if absent."""
    for source in profile.columns.get(name, ()):
        if source in frame.columns:
            return frame[source]
        alias = {"lng": GEOMETRY_LNG, "lat": GEOMETRY_LAT}.get(name)
        if alias in frame.columns:
            return frame[alias]
    return None


def _null_text(height: int) -> pl.Series:
    return pl.Series([None] * height, dtype=pl.String)


def _text(frame: pl.DataFrame, profile: Profile, name: str) -> pl.Series:
    """Text of a field; several source columns are joined, skipping empty ones."""
    sources = [s for s in profile.columns.get(name, ()) if s in frame.columns]
    if not sources:
        single = _source(frame, profile, name)
        return single if single is not None else _null_text(frame.height)
    if len(sources) == 1:
        return frame[sources[0]]
    joined = frame.select(
        pl.concat_str([pl.col(s) for s in sources], separator=JOIN_SEPARATOR, ignore_nulls=True)
    ).to_series()
    return pl.select(pl.when(joined.str.len_bytes() > 0).then(joined)).to_series()


def _cut(text: pl.Series, limit: int, name: str, warnings: list[RowWarning]) -> pl.Series:
    too_long = int((text.str.len_chars() > limit).sum())
    if too_long:
        warnings.append(
            RowWarning(
                "truncated",
                too_long,
                f"{name} longer than {limit} characters cut in {too_long} rows",
            )
        )
        return text.str.slice(0, limit)
    return text


# ------------------------------------------------------------------------------ rejects


def _reject(
    rejects: list[pl.DataFrame],
    frame: pl.DataFrame,
    mask: pl.Series,
    column: str,
    values: pl.Series,
    reason: str | pl.Series,
) -> None:
    if not mask.any():
        return
    mask = mask.fill_null(False)
    reasons = reason if isinstance(reason, pl.Series) else pl.Series([reason] * len(mask))
    rejects.append(
        pl.DataFrame(
            {
                ROW: frame[ROW_NUMBER].filter(mask),
                "column": pl.Series([column] * int(mask.sum()), dtype=pl.String),
                "value": values.cast(pl.String).filter(mask),
                "reason": reasons.cast(pl.String).filter(mask),
            }
        )
    )


def _collect_rejects(rejects: list[pl.DataFrame]) -> pl.DataFrame:
    schema = {ROW: pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
    if not rejects:
        return pl.DataFrame(schema=schema)
    return (
        pl.concat(rejects)
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col("column").str.join("; "),
            pl.col("value").fill_null("").str.join("; "),
            pl.col("reason").str.join("; "),
        )
        .sort(ROW)
        .cast(schema)
    )


def _incident_no(frame: pl.DataFrame, profile: Profile, rejects: list) -> pl.Series:
    source = profile.columns["incident_no"][0]
    values = frame[source]
    _reject(rejects, frame, values.is_null(), source, values, "incident number is empty")
    _reject(
        rejects,
        frame,
        values.str.len_chars() > MAX_INCIDENT_NO,
        source,
        values,
        f"incident number longer than {MAX_INCIDENT_NO} characters",
    )
    return values


# ------------------------------------------------------------------------------ times


def _times(
    frame: pl.DataFrame,
    profile: Profile,
    context: Context,
    rejects: list,
    warnings: list[RowWarning],
) -> dict[str, pl.Series]:
    out: dict[str, pl.Series] = {}
    latest = context.now + FUTURE_TOLERANCE
    shifted_total = 0
    for name in ("reported_at", "handled_at", "closed_at"):
        mapped = profile.columns.get(name, ())
        pair = len(mapped) == 2  # a date column and a time-of-day column
        text = _source(frame, profile, name) if mapped and mapped[0] in frame.columns else None
        if text is None:
            out[name] = pl.Series([None] * frame.height, dtype=pl.Datetime("us", "UTC"))
            continue
        source = mapped[0]
        named = pl.Series([False] * frame.height)  # rows already rejected with their reason
        if pair:
            parsed, shifted, text, named = _date_and_time(frame, profile, name, rejects, warnings)
            source = " + ".join(mapped)
        else:
            parsed, shifted = parse_local_times(text, profile.time_formats, profile.timezone)
        formats = ", ".join(profile.time_formats[:3])
        shifted_total += shifted
        if name == "reported_at":
            _reject(rejects, frame, text.is_null(), source, text, "time is empty")
        _reject(
            rejects,
            frame,
            text.is_not_null() & parsed.is_null() & ~named,
            source,
            text,
            f"not a time in {profile.timezone} (expected e.g. {formats})",
        )
        _reject(
            rejects,
            frame,
            parsed < EARLIEST_TIME,
            source,
            text,
            f"time before {EARLIEST_TIME:%Y-%m-%d}",
        )
        _reject(
            rejects,
            frame,
            parsed > latest,
            source,
            text,
            f"time in the future (now is {context.now:%Y-%m-%d %H:%M} UTC)",
        )
        out[name] = parsed
        if name != "reported_at":
            _reject(
                rejects,
                frame,
                parsed < out["reported_at"],
                source,
                text,
                "time before the reported time",
            )
    if shifted_total:
        warnings.append(
            RowWarning(
                "dst_gap",
                shifted_total,
                f"{shifted_total} times fell in the daylight-saving gap of {profile.timezone} "
                "and were read one hour later",
            )
        )
    return out


def _date_and_time(
    frame: pl.DataFrame,
    profile: Profile,
    name: str,
    rejects: list,
    warnings: list[RowWarning],
) -> tuple[pl.Series, int, pl.Series, pl.Series]:
    """A time field built from its date column and its time-of-day column.

    Returns the UTC times, how many fell in a daylight-saving gap, the two cells joined
    (``'2024-03-01 930'``, what a rejects line quotes; null where the date is empty), and
    the rows rejected here: an unreadable date or time of day, naming its own column.
    """
    date_col, time_col = profile.columns[name]
    dates = frame[date_col]
    # A missing time column is named by the missing-column warning: its dates are read at 00:00.
    times = frame[time_col] if time_col in frame.columns else _null_text(frame.height)
    parsed, bad_date, bad_time, shifted = parse_date_and_time(
        dates, times, profile.date_formats, profile.timezone
    )
    _reject(
        rejects,
        frame,
        bad_date,
        date_col,
        dates,
        f"not a date (expected e.g. {', '.join(profile.date_formats[:3])})",
    )
    _reject(
        rejects,
        frame,
        bad_time,
        time_col,
        times,
        "not a time of day (expected HHMM from 0 to 2359, e.g. 930, or HH:MM)",
    )
    no_time = dates.is_not_null() & ~bad_date & times.is_null()
    if no_time.any():
        n = int(no_time.sum())
        warnings.append(
            RowWarning(
                "no_time_of_day",
                n,
                f"{name}: {n} rows have a date in {date_col!r} but no time in {time_col!r}: "
                "read at 00:00",
            )
        )
    joined = pl.select(
        pl.when(dates.is_not_null()).then(
            pl.concat_str([dates, times.fill_null("")], separator=" ").str.strip_chars()
        )
    ).to_series()
    return parsed, shifted, joined, bad_date | bad_time


# ------------------------------------------------------------------------------ coded values


def _lookup(profile: Profile, name: str) -> dict[str, str | bool]:
    table: dict[str, str | bool] = {code.lower(): code for code in CODES.get(name, ())}
    table.update(profile.values.get(name, {}))
    return table


def _map_values(text: pl.Series, table: dict, codes: CodeRule | None = None) -> pl.Series:
    """Look each cell up in ``table`` (keys in lower case); with ``codes`` both the cells and
    the keys are normalised first (``'006'`` finds the key ``'6'``)."""
    if codes is not None and (codes.strip_zeros or codes.width):
        table = {codes.text(k): v for k, v in table.items()}
        text = pl.select(codes.expr(pl.lit(text))).to_series()
    keys = list(table)
    dtype = pl.Boolean if table and isinstance(next(iter(table.values())), bool) else pl.String
    return text.str.to_lowercase().replace_strict(
        keys, [table[k] for k in keys], default=None, return_dtype=dtype
    )


def _unknown_warning(
    kind: str, name: str, text: pl.Series, unknown: pl.Series, fallback: str
) -> RowWarning:
    counts = text.filter(unknown).value_counts(sort=True, name="n")
    named = [f"{v!r} ×{n}" for v, n in counts.head(MAX_VALUES_NAMED).iter_rows()]
    more = counts.height - len(named)
    listing = ", ".join(named) + (f" and {more} more" if more > 0 else "")
    total = int(unknown.sum())
    return RowWarning(kind, total, f"{name}: unknown values {listing} → {fallback}")


def _coded(
    frame: pl.DataFrame, profile: Profile, name: str, warnings: list[RowWarning]
) -> pl.Series:
    default = profile.defaults.get(name, FALLBACK_CODES[name])
    text = _source(frame, profile, name)
    if text is None:
        return pl.Series([default] * frame.height, dtype=pl.String)
    mapped = _map_values(text, _lookup(profile, name), profile.codes)
    unknown = text.is_not_null() & mapped.is_null()
    if unknown.any():
        fallback = FALLBACK_CODES[name] if name in ("category", "source_channel") else default
        warnings.append(_unknown_warning(f"unknown_{name}", name, text, unknown, fallback))
        mapped = pl.select(pl.when(unknown).then(pl.lit(fallback)).otherwise(mapped)).to_series()
    return mapped.fill_null(default)


def _flag(frame: pl.DataFrame, profile: Profile, name: str, warnings: list[RowWarning]):
    text = _source(frame, profile, name)
    if text is None:
        return pl.Series([False] * frame.height, dtype=pl.Boolean)
    table: dict[str, str | bool] = dict(DEFAULT_FLAG_VALUES)
    table.update(profile.values.get("flag", {}))
    mapped = _map_values(text, table)
    unknown = text.is_not_null() & mapped.is_null()
    if unknown.any():
        warnings.append(_unknown_warning(f"unknown_{name}", name, text, unknown, "no"))
    return mapped.fill_null(False)


# ------------------------------------------------------------------------------ placing


def _place(
    out: pl.DataFrame,
    frame: pl.DataFrame,
    profile: Profile,
    context: Context,
    warnings: list[RowWarning],
    address_keys: Callable[[], pl.Series],
) -> pl.DataFrame:
    """Place the rows, then (once ``address_keys()`` are ready) fill from known addresses."""
    height = out.height
    lng_text = _source(frame, profile, "lng")
    lat_text = _source(frame, profile, "lat")
    lng = _number(lng_text, height)
    lat = _number(lat_text, height)
    if lng_text is not None and lat_text is not None:
        bad = (lng_text.is_not_null() & lng.is_null()) | (lat_text.is_not_null() & lat.is_null())
        if bad.any():
            pair = pl.concat_str(
                [pl.col("x").fill_null(""), pl.col("y").fill_null("")], separator=","
            )
            shown = pl.DataFrame({"x": lng_text, "y": lat_text}).select(pair).to_series()
            warnings.append(
                _unknown_warning("bad_coordinate", "coordinates", shown, bad, "unlocated")
            )
    datum = _datum(frame, profile, height, lng.is_not_null() & lat.is_not_null(), warnings)
    named = _named_station(frame, profile, context.jurisdictions, warnings)
    placed = place_points(
        lng.fill_null(np.nan).to_numpy(),
        lat.fill_null(np.nan).to_numpy(),
        datum.to_numpy(),
        named.to_numpy(),
        context.jurisdictions,
    )
    out = out.with_columns(*placed.frame.get_columns())
    if placed.swapped.any():
        n = int(placed.swapped.sum())
        warnings.append(
            RowWarning("swapped", n, f"latitude and longitude swapped in {n} rows: fixed")
        )
    if placed.invalid.any():
        n = int(placed.invalid.sum())
        warnings.append(
            RowWarning(
                "bad_coordinate",
                n,
                f"{n} rows have coordinates that are no position on Earth: unlocated",
            )
        )
    if not context.jurisdictions and (placed.frame["location_state"] == "located").any():
        warnings.append(
            RowWarning(
                "no_jurisdictions",
                height,
                "no station polygons are stored: "
                "points were not checked against jurisdictions (import "
                "stations first)",
            )
        )
    out = out.with_columns(address_keys().alias("address_key"))
    out, filled = _fill(out, context)
    if filled:
        warnings.append(
            RowWarning(
                "located_from_address",
                filled,
                f"{filled} rows without "
                "coordinates placed from an earlier incident at the same "
                "address",
            )
        )
    disagree = int(placed.disagrees.sum())
    if disagree:
        warnings.append(
            RowWarning(
                "station_disagrees",
                disagree,
                f"{disagree} rows name a "
                "station other than the polygon their point falls in (the "
                "named station is kept; review them)",
            )
        )
    states = out["location_state"]
    outside = int((states == "outside").sum())
    if outside:
        warnings.append(
            RowWarning(
                "outside",
                outside,
                f"{outside} rows lie outside every jurisdiction: kept as outside, their "
                "coordinates in source_lng/source_lat, not on the map nor in any layer",
            )
        )
    unlocated = states == "unlocated"
    zero = unlocated & pl.Series(placed.zero)
    no_point = unlocated & out["source_lng"].is_null() & out["source_lat"].is_null()
    for kind, mask, text in (
        ("zero_coordinates", zero, "have coordinates (0, 0), a placeholder for no position"),
        ("no_coordinates", no_point, "have no coordinates"),
    ):
        n = int(mask.sum())
        if n:
            warnings.append(RowWarning(kind, n, f"{n} rows {text}: kept as unlocated"))
    other = int((unlocated & ~zero & ~no_point).sum())
    if other:
        warnings.append(
            RowWarning(
                "unlocated",
                other,
                f"{other} rows could not be placed by their coordinates: kept as unlocated",
            )
        )
    return out


def _number(text: pl.Series | None, height: int) -> pl.Series:
    if text is None:
        return pl.Series([None] * height, dtype=pl.Float64)
    return text.str.replace_all("\u2212", "-").cast(pl.Float64, strict=False).fill_nan(None)


def _datum(
    frame: pl.DataFrame, profile: Profile, height: int, has_point: pl.Series, warnings: list
) -> pl.Series:
    text = _source(frame, profile, "datum")
    if text is None:
        return pl.Series([profile.datum] * height, dtype=pl.String)
    mapped = _map_values(text, _lookup(profile, "datum"))
    unknown = text.is_not_null() & mapped.is_null()
    if (unknown & has_point).any():
        warnings.append(
            _unknown_warning("unknown_datum", "datum", text, unknown & has_point, "unlocated")
        )
    return pl.select(
        pl.when(unknown).then(None).otherwise(mapped.fill_null(profile.datum))
    ).to_series()


def _named_station(
    frame: pl.DataFrame,
    profile: Profile,
    jurisdictions: list[Jurisdiction],
    warnings: list[RowWarning],
) -> pl.Series:
    """Known station code each row names (by code, profile table or station name), or null."""
    text = _source(frame, profile, "station")
    if text is None:
        return _null_text(frame.height)
    known: dict[str, str] = {}
    for j in jurisdictions:
        for label in (j.name_en, j.name_zh, j.code):  # codes win over names
            if label:
                known[label.strip().lower()] = j.code
    codes = {j.code for j in jurisdictions}
    known.update({k: v for k, v in profile.values.get("station", {}).items() if v in codes})
    mapped = _map_values(text, known, profile.codes) if known else _null_text(frame.height)
    unknown = text.is_not_null() & mapped.is_null()
    if unknown.any():
        warnings.append(
            _unknown_warning(
                "unknown_station", "station", text, unknown, "station taken from the point"
            )
        )
    return mapped


def _fill(out: pl.DataFrame, context: Context) -> tuple[pl.DataFrame, int]:
    needs = out.filter(
        (pl.col("location_state") == "unlocated") & pl.col("address_key").is_not_null()
    )
    if needs.is_empty():
        return out, 0
    keys = needs["address_key"].unique().to_list()
    known = (
        context.lookup_addresses(keys)
        if context.lookup_addresses is not None
        else pl.DataFrame(
            schema=dict(
                out.select(
                    "address_key", "reported_at", "lng", "lat", "h3_cell", "station_code"
                ).schema
            )
        )
    )
    return fill_from_addresses(out, known)
