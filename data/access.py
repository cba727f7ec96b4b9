"""The data-access layer: every question about cases goes through here, and knows who asks.

Pages, callbacks and API routes never query the database or the snapshot directly. They build
an :class:`IncidentFilter` from their inputs and call :class:`CaseAccess` with the caller's
:class:`Scope`; the scope limits the stations and decides whether personal details are shown.
Aggregates are computed on the columnar snapshot (:mod:`data.snapshot`); one case's detail is
read from the database, and each such view is written to the audit trail.

Stations may nest (a district and its beats): a station code in a filter or a scope stands for
that station and every station under it (:meth:`CaseAccess.expand_stations`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from data import audit
from data.models import FollowUpVisit, Incident, Station
from data.settings import display_timezone, reveal_max_per_hour
from data.snapshot import parent_column, snapshot_for
from geo.h3cells import (
    BASE_RESOLUTION,
    cell_resolution,
    cell_to_latlng,
    cells_to_parent,
    latlng_to_cells,
    polygon_to_cells,
)
from geo.jurisdictions import Jurisdiction, from_geojson_text
from layers import registry
from layers.registry import LayerContext

#: Columns a case list may be sorted by (anything else is refused).
SORTABLE_COLUMNS: tuple[str, ...] = (
    "incident_no",
    "reported_at",
    "category",
    "source_channel",
    "risk_level",
    "status",
    "station_code",
)
#: The columns of a case-list page (:meth:`CaseAccess.case_page`), in order.
CASE_LIST_COLUMNS: tuple[str, ...] = (
    "id",
    "incident_no",
    "reported_at",
    "category",
    "source_channel",
    "risk_level",
    "status",
    "station_code",
    "address_raw",
    "warning_letter",
    "protection_order",
)
MAX_PAGE_SIZE = 500
_RISK_ORDER = {"high": 0, "medium": 1, "low": 2}
_DIGITS = re.compile(r"[0-9０-９〇零一二三四五六七八九十百千两]+")
MASK = "***"
#: Layers that read follow-up visits (service levels, and early warning through them).
_LAYERS_WITH_VISITS = frozenset({"service_levels", "early_warning"})
#: Layers whose study area is the stations with incidents when the user selected none.
_LAYERS_BY_JURISDICTION = frozenset({"patrol_accuracy"})
#: Bounds of the reason a reveal of personal details must give: at least this many visible
#: characters (letters, digits, punctuation, symbols), at most this many in all.
MIN_REASON_LENGTH = 4
MAX_REASON_LENGTH = 300
#: Unicode categories of visible characters (letters, marks, numbers, punctuation, symbols).
_VISIBLE = ("L", "M", "N", "P", "S")
#: Categories refused anywhere in a reason: controls (NUL …), format characters (zero-width
#: spaces, direction overrides), private use, surrogates and unassigned code points.
_REFUSED = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
#: The audit action of every refused request (by role, by CSRF check, or by scope).
DENIED = "denied"
#: Refusals remembered per process so one request's refusal is recorded once.
_REFUSALS_REMEMBERED = 1024


class RevealLimitError(PermissionError):
    """The user has revealed as many cases this hour as :func:`reveal_max_per_hour` allows."""


def check_reason(reason: object) -> str:
    """The reason for a reveal, trimmed, if it says something; ``ValueError`` otherwise.

    Judged by Unicode category, not by ``strip()``: a reason must hold at least
    :data:`MIN_REASON_LENGTH` visible characters, at most :data:`MAX_REASON_LENGTH` in all,
    and no control or format character (a NUL, a zero-width space) anywhere.
    """
    text = reason.strip() if isinstance(reason, str) else ""
    bad = next((c for c in text if unicodedata.category(c) in _REFUSED), None)
    if bad is not None:
        raise ValueError(f"the reason holds an invisible or control character U+{ord(bad):04X}")
    visible = sum(1 for c in text if unicodedata.category(c)[0] in _VISIBLE)
    if visible < MIN_REASON_LENGTH or len(text) > MAX_REASON_LENGTH:
        raise ValueError(
            f"a reason of {MIN_REASON_LENGTH} to {MAX_REASON_LENGTH} characters is required"
        )
    return text


@dataclass(frozen=True)
class Scope:
    """Who asks: the stations they may see (None: all) and whether personal details show.

    An area in ``stations`` (a district) lets them see every station under it too.

    ``can_reveal`` lets a masked scope unmask one case with a reason
    (:meth:`CaseAccess.reveal_case`); ``role`` names the user's role. Scopes of logged-in
    users come from :func:`data.users.scope_for`, the one mapping from roles to scopes.
    """

    user: str = "anonymous"
    stations: frozenset[str] | None = None
    personal_details: bool = False
    remote_addr: str | None = None
    can_reveal: bool = False
    role: str | None = None
    #: The support unit a ``support_unit`` user answers for (None for everyone else).
    unit: str | None = None
    #: What the request asked (``GET /station/BA02/patrol-sheet``), for refusals in the trail.
    asked: str | None = field(default=None, compare=False)
    #: One value per request, so a refusal met twice in one request is recorded once.
    request_key: str | None = field(default=None, compare=False)


def _cell_at(res: int) -> pl.Expr:
    """Each incident's H3 cell at ``res``: the snapshot's derived column where it keeps one."""
    column = parent_column(res)
    return pl.col(column) if column else cells_to_parent("h3_cell", res)


@dataclass(frozen=True)
class IncidentFilter:
    """A selection of incidents; empty tuples mean "no restriction".

    ``start`` and ``end`` are dates in the installation's time zone, both inclusive.
    ``cells`` are H3 cells of any one resolution. An area in ``stations`` selects its own
    incidents and those of every station under it (expanded by :class:`CaseAccess`).
    """

    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    cells: tuple[int, ...] = ()
    include_unlocated: bool = True
    #: A second station restriction, e.g. a beat clicked inside a filtered district: an
    #: incident must match both ``stations`` and ``within`` (each expanded like ``stations``).
    within: tuple[str, ...] = ()
    #: Hours of the day (0–23, in the installation's time zone) the incident was reported in,
    #: e.g. a patrol shift's.
    hours: tuple[int, ...] = ()

    def expression(self, tz: str) -> pl.Expr:
        """A polars predicate selecting this filter's incidents from an incident frame."""
        zone = ZoneInfo(tz)
        pred = pl.lit(True)
        if self.start is not None:
            start = datetime.combine(self.start, time(), zone).astimezone(UTC)
            pred &= pl.col("reported_at") >= start
        if self.end is not None:
            end = datetime.combine(self.end + timedelta(days=1), time(), zone).astimezone(UTC)
            pred &= pl.col("reported_at") < end
        for column, values in (
            ("category", self.categories),
            ("source_channel", self.sources),
            ("risk_level", self.risk_levels),
            ("station_code", self.stations),
            ("station_code", self.within),
        ):
            if values:
                pred &= pl.col(column).is_in(list(values))
        if self.cells:
            res = {cell_resolution(c) for c in self.cells}
            if len(res) != 1:
                raise ValueError("cells of one resolution only")
            pred &= _cell_at(res.pop()).is_in(list(self.cells))
        if not self.include_unlocated:
            pred &= pl.col("location_state") == "located"
        if self.hours:
            local = pl.col("reported_at").dt.convert_time_zone(tz).dt.hour()
            pred &= local.is_in(list(self.hours))
        return pred


@dataclass(frozen=True)
class CaseDetail:
    """One case as a reader sees it, with its lifecycle."""

    fields: dict[str, object]
    status_events: list[dict[str, object]] = field(default_factory=list)
    follow_up_visits: list[dict[str, object]] = field(default_factory=list)


#: Layer columns holding address text, masked for a scope without personal details.
LAYER_ADDRESS_COLUMNS: tuple[str, ...] = ("address_raw", "address_key", "address_id")


def redact_layer(frame: pl.DataFrame, personal_details: bool) -> pl.DataFrame:
    """A layer's rows as a scope may read them: without personal details, address numbers are
    masked (also in ``entry_id`` values naming an address) and ``lat``/``lng`` become the centre
    of their resolution-9 cell (~0.1 km²)."""
    if personal_details or frame.is_empty():
        return frame
    exprs = [
        pl.col(c).map_elements(mask_address, return_dtype=pl.String)
        for c in LAYER_ADDRESS_COLUMNS
        if c in frame.columns
    ]
    if "entry_id" in frame.columns:
        exprs.append(
            pl.when(pl.col("entry_id").str.starts_with("address:"))
            .then(pl.col("entry_id").map_elements(mask_address, return_dtype=pl.String))
            .otherwise(pl.col("entry_id"))
            .alias("entry_id")
        )
    if "lat" in frame.columns and "lng" in frame.columns:
        cells = latlng_to_cells(
            frame["lat"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
            frame["lng"].cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        )
        centres = [cell_to_latlng(c) if c >= 0 else (None, None) for c in cells]
        exprs += [
            pl.Series("lat", [c[0] for c in centres], dtype=pl.Float64),
            pl.Series("lng", [c[1] for c in centres], dtype=pl.Float64),
        ]
    return frame.with_columns(exprs) if exprs else frame


#: Longest address search accepted (a real one is a street and a number).
MAX_ADDRESS_QUERY = 60


def address_matches(query: str, personal_details: bool) -> pl.Expr:
    """A predicate: the incident's address contains ``query`` (literally, case-insensitive).

    Without personal details the search runs on the masked address, so a search for a house
    number cannot tell a masked reader which case lies at it.
    """
    text = query.strip()[:MAX_ADDRESS_QUERY].lower()
    column = pl.col("address_raw")
    if not personal_details:
        column = column.str.replace_all(_DIGITS.pattern, "*")
    return column.str.to_lowercase().str.contains(text, literal=True).fill_null(False)


def mask_address(text: str | None) -> str | None:
    """The address with its house, building and flat numbers hidden."""
    if text is None:
        return None
    return _DIGITS.sub("*", text)


class CaseAccess:
    """Scoped questions about incidents, answered from the snapshot or the database."""

    def __init__(self, engine: Engine, tz: str | None = None) -> None:
        self.engine = engine
        self.tz = tz or display_timezone()
        self._study_cells: dict[tuple, np.ndarray] = {}
        self._refused: OrderedDict[tuple, None] = OrderedDict()
        self._refused_lock = threading.Lock()

    # -- refusals by scope ----------------------------------------------------------------
    def refuse(self, scope: Scope, target: str, reason: str) -> None:
        """Record that ``scope`` asked for ``target`` outside it (``denied``: who, what was
        asked, from where), once per request."""
        if scope.request_key is not None:
            key = (scope.request_key, target)
            with self._refused_lock:
                if key in self._refused:
                    return
                self._refused[key] = None
                while len(self._refused) > _REFUSALS_REMEMBERED:
                    self._refused.popitem(last=False)
        detail = f"{reason}; asked: {scope.asked}" if scope.asked else reason
        audit.record(
            self.engine,
            scope.user,
            DENIED,
            target=target[:200],
            detail=detail[:500],
            remote_addr=scope.remote_addr,
        )

    def check_stations(self, scope: Scope, codes: Iterable[str]) -> frozenset[str]:
        """The stations among ``codes`` that exist but lie outside ``scope``; each such request
        is recorded as a refusal. Codes of no station are ignored."""
        wanted = {str(c) for c in codes}
        if scope.stations is None or not wanted:
            return frozenset()
        parents = self._station_parents()
        foreign = frozenset(wanted & set(parents) - self.expand_stations(scope.stations))
        if foreign:
            self.refuse(
                scope,
                "station:" + ",".join(sorted(foreign)),
                "station outside the caller's scope",
            )
        return foreign

    # -- aggregates, on the columnar snapshot -------------------------------------------
    def incidents(
        self, scope: Scope, flt: IncidentFilter, columns: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """The incidents ``scope`` may see that match ``flt`` (snapshot columns).

        Name the ``columns`` you need where you can: only those are filtered and copied
        (measured at 1M rows: a category filter keeping one column takes a fifth of the time
        of one keeping all of them).
        """
        return self.matching(scope, flt, columns).collect()

    def matching(
        self, scope: Scope, flt: IncidentFilter, columns: Sequence[str] | None = None
    ) -> pl.LazyFrame:
        """:meth:`incidents` as a lazy query, for callers that sort, slice or aggregate next."""
        rows = snapshot_for(self.engine).refresh()
        if scope.stations is not None and (flt.stations or flt.within):
            self.check_stations(scope, (*flt.stations, *flt.within))
        if flt.stations:
            flt = replace(flt, stations=tuple(sorted(self.expand_stations(flt.stations))))
        if flt.within:
            flt = replace(flt, within=tuple(sorted(self.expand_stations(flt.within))))
        pred = flt.expression(self.tz)
        if scope.stations is not None:
            pred &= pl.col("station_code").is_in(sorted(self.expand_stations(scope.stations)))
        query = rows.filter(pred)
        return query if columns is None else query.select(columns)

    def _local_day(self) -> pl.Expr:
        """The local date of ``reported_at``: the snapshot's precomputed column when it is in
        this access layer's time zone, else converted here."""
        if self.tz == display_timezone():
            return pl.col("reported_day")
        return pl.col("reported_at").dt.convert_time_zone(self.tz).dt.date()

    def expand_stations(self, codes: Iterable[str]) -> frozenset[str]:
        """``codes`` and the codes of every station under them (a district → its beats)."""
        wanted = set(codes)
        children: dict[str, list[str]] = {}
        for code, parent in self._station_parents().items():
            if parent is not None:
                children.setdefault(parent, []).append(code)
        todo = list(wanted)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in wanted:
                    wanted.add(child)
                    todo.append(child)
        return frozenset(wanted)

    def _station_parents(self) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Station.code, Station.parent_code)).all()
        return dict(rows)

    def data_version(self) -> int | str:
        """The store revision the snapshot reflects, after bringing it up to date; caches
        key on it and pages poll it to learn that the data changed.

        The revision is the database's (:func:`data.revision.current`: an integer, or text
        on Citus), so every worker answers alike for the same data. (It was the snapshot's
        own counter, which each gunicorn worker keeps for itself: a page that polled
        another worker than the one that drew it could take the old number for the new and
        miss a pushed incident for several polls.) Refreshing first (one primary-key read
        when nothing changed) keeps a cached result from outliving a change that no other
        view has read yet.
        """
        snapshot = snapshot_for(self.engine)
        snapshot.refresh()
        return snapshot.revision if snapshot.revision is not None else snapshot.version

    def cell_counts(self, scope: Scope, flt: IncidentFilter, res: int) -> pl.DataFrame:
        """Incident count per H3 cell at ``res``: columns ``cell`` (int64) and ``count``."""
        return (
            self._located(scope, flt, res)
            .group_by(_cell_at(res).alias("cell"))
            .agg(pl.len().cast(pl.Int64).alias("count"))
            .sort("cell")
            .collect()
        )

    def _located(self, scope: Scope, flt: IncidentFilter, res: int) -> pl.LazyFrame:
        """The located incidents of ``flt``, for counting by cell at ``res`` (checked)."""
        if not 0 <= res <= BASE_RESOLUTION:
            raise ValueError(f"resolution must be 0..{BASE_RESOLUTION}, got {res}")
        return self.matching(scope, flt).filter(pl.col("h3_cell").is_not_null())

    def cell_week_counts(self, scope: Scope, flt: IncidentFilter, res: int) -> pl.DataFrame:
        """Incident count per H3 cell at ``res`` and local ISO week: columns ``cell``
        (int64), ``week`` (the week's Monday, a local date) and ``count``."""
        day = self._local_day()
        return (
            self._located(scope, flt, res)
            .group_by(
                _cell_at(res).alias("cell"),
                (day - pl.duration(days=day.dt.weekday() - 1)).alias("week"),
            )
            .agg(pl.len().cast(pl.Int64).alias("count"))
            .sort("cell", "week")
            .collect()
        )

    def station_counts(self, scope: Scope, flt: IncidentFilter) -> pl.DataFrame:
        """Incident count per station: ``station_code`` and ``count`` (stations with none: 0)."""
        counts = (
            self.incidents(scope, flt, ["station_code"])
            .filter(pl.col("station_code").is_not_null())
            .group_by("station_code")
            .agg(pl.len().cast(pl.Int64).alias("count"))
        )
        codes = pl.DataFrame({"station_code": [s.code for s in self.stations(scope)]})
        return codes.join(counts, on="station_code", how="left").with_columns(
            pl.col("count").fill_null(0)
        )

    def trend(self, scope: Scope, flt: IncidentFilter, every: str = "1d") -> pl.DataFrame:
        """Counts per local day (``every='1d'``) or ISO week (``'1w'``) and category.

        Columns: ``period`` (local date of the period's first day), ``category``, ``count``.
        Periods without incidents inside the filter's range appear with count 0.
        """
        if every not in ("1d", "1w"):
            raise ValueError(f"every must be '1d' or '1w', got {every!r}")
        frame = self.matching(scope, flt, [self._local_day().alias("day"), "category"]).collect()
        if frame.is_empty():
            return pl.DataFrame(
                schema={"period": pl.Date, "category": pl.String, "count": pl.Int64}
            )
        period = pl.col("day").dt.truncate(every).alias("period")
        counts = frame.group_by(period, "category").agg(pl.len().cast(pl.Int64).alias("count"))
        first = flt.start or frame["day"].min()
        last = flt.end or frame["day"].max()
        periods = pl.date_range(first, last, interval="1d", eager=True).dt.truncate(every).unique()
        grid = pl.DataFrame({"period": periods.sort()}).join(
            counts.select("category").unique(), how="cross"
        )
        return (
            grid.join(counts, on=["period", "category"], how="left")
            .with_columns(pl.col("count").fill_null(0))
            .sort("period", "category")
        )

    def case_page(
        self,
        scope: Scope,
        flt: IncidentFilter,
        sort_by: str = "reported_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 25,
        address: str | None = None,
        statuses: tuple[str, ...] = (),
    ) -> tuple[pl.DataFrame, int]:
        """One page of the case list and the total number of matching cases.

        Addresses are masked unless ``scope.personal_details``. Times are local.
        ``address`` keeps cases whose address contains it (see :meth:`address_matches`);
        ``statuses`` keeps cases in one of those statuses.
        """
        if sort_by not in SORTABLE_COLUMNS:
            raise ValueError(f"cannot sort by {sort_by!r}")
        if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"page out of range: offset={offset}, limit={limit}")
        frame = self.matching(scope, flt)
        if statuses:
            frame = frame.filter(pl.col("status").is_in(list(statuses)))
        if address and address.strip():
            frame = frame.filter(address_matches(address, scope.personal_details))
        key = pl.col(sort_by)
        if sort_by == "risk_level":
            key = key.replace_strict(_RISK_ORDER, default=9, return_dtype=pl.Int8)
        # One plan for the page (a top-k, not a full sort) and the total.
        page, total = pl.collect_all(
            [
                frame.sort([key, pl.col("id")], descending=[descending, descending]).slice(
                    offset, limit
                ),
                frame.select(pl.len()),
            ]
        )
        return self._as_listed(page, scope, CASE_LIST_COLUMNS), total.item()

    def case_export(
        self,
        scope: Scope,
        flt: IncidentFilter,
        sort_by: str = "reported_at",
        descending: bool = True,
        address: str | None = None,
        statuses: tuple[str, ...] = (),
        max_rows: int = 100_000,
    ) -> tuple[pl.DataFrame, int]:
        """Every case of the list :meth:`case_page` pages through (up to ``max_rows``), and
        the number matching. Masked like the pages; the caller writes the audit trail."""
        pages: list[pl.DataFrame] = []
        offset, total = 0, None
        while total is None or offset < min(total, max_rows):
            limit = min(MAX_PAGE_SIZE, max_rows - offset)
            page, total = self.case_page(
                scope, flt, sort_by, descending, offset, limit, address, statuses
            )
            if page.is_empty():
                break
            pages.append(page)
            offset += page.height
        if not pages:
            empty, total = self.case_page(scope, flt, sort_by, descending, 0, 1, address, statuses)
            return empty, total
        return pl.concat(pages), total or 0

    def linked_incidents(self, scope: Scope, incident_id: int) -> pl.DataFrame:
        """Other incidents at the same address key or with the same victim pseudonym.

        Only incidents ``scope`` may see, and only if it may see ``incident_id`` itself.
        Columns as :meth:`case_page` (masked alike) plus ``link``: ``'address'``,
        ``'victim'`` or ``'both'``; newest first. Empty when nothing links.
        """
        frame = self.incidents(scope, IncidentFilter())
        own = frame.filter(pl.col("id") == incident_id)
        key = own["address_key"][0] if own.height else None
        victim = own["victim_key"][0] if own.height else None
        same_address = (pl.col("address_key") == pl.lit(key, pl.String)).fill_null(False)
        same_victim = (pl.col("victim_key") == pl.lit(victim, pl.String)).fill_null(False)
        linked = frame.filter((pl.col("id") != incident_id) & (same_address | same_victim))
        linked = linked.with_columns(
            pl.when(same_address & same_victim)
            .then(pl.lit("both"))
            .when(same_address)
            .then(pl.lit("address"))
            .otherwise(pl.lit("victim"))
            .alias("link")
        ).sort("reported_at", "id", descending=True)
        columns = ("id", "incident_no", "reported_at", "category", "risk_level", "status")
        return self._as_listed(linked, scope, (*columns, "station_code", "address_raw", "link"))

    def _as_listed(self, frame: pl.DataFrame, scope: Scope, columns: Sequence[str]) -> pl.DataFrame:
        """``columns`` of ``frame`` as a case list shows them: local times as text, addresses
        masked unless ``scope`` may see personal details."""
        shown = frame.select(
            pl.col(c).dt.convert_time_zone(self.tz).dt.strftime("%Y-%m-%d %H:%M")
            if c == "reported_at"
            else c
            for c in columns
        )
        if not scope.personal_details and "address_raw" in columns:
            shown = shown.with_columns(
                pl.col("address_raw").map_elements(mask_address, return_dtype=pl.String)
            )
        return shown

    # -- one case, from the database ------------------------------------------------------
    def case_detail(self, scope: Scope, incident_id: int) -> CaseDetail | None:
        """One case with its status timeline and follow-up visits, or None if not visible.

        Every call that finds a case is written to the audit trail.
        """
        with Session(self.engine) as session:
            query = (
                select(Incident)
                .where(Incident.id == incident_id)
                .options(
                    selectinload(Incident.status_events), selectinload(Incident.follow_up_visits)
                )
            )
            if scope.stations is not None:
                visible = sorted(self.expand_stations(scope.stations))
                query = query.where(Incident.station_code.in_(visible))
            inc = session.scalars(query).first()
            if inc is None:
                if scope.stations is not None and session.get(Incident, incident_id) is not None:
                    self.refuse(scope, f"incident:{incident_id}", "case outside the caller's scope")
                return None
            zone = ZoneInfo(self.tz)

            def local(t: datetime | None) -> str | None:
                return (
                    None
                    if t is None
                    else (
                        t.replace(tzinfo=ZoneInfo("UTC"))
                        .astimezone(zone)
                        .strftime("%Y-%m-%d %H:%M")
                    )
                )

            personal = scope.personal_details
            fields: dict[str, object] = {
                "id": inc.id,
                "incident_no": inc.incident_no,
                "reported_at": local(inc.reported_at),
                "category": inc.category,
                "source_channel": inc.source_channel,
                "risk_level": inc.risk_level,
                "status": inc.status,
                "station_code": inc.station_code,
                "community": inc.community,
                "address_raw": inc.address_raw if personal else mask_address(inc.address_raw),
                "lat": inc.lat if personal else None,
                "lng": inc.lng if personal else None,
                # not located: where the source put it (no map or layer reads these)
                "source_lat": inc.source_lat if personal else None,
                "source_lng": inc.source_lng if personal else None,
                "handled_at": local(inc.handled_at),
                "closed_at": local(inc.closed_at),
                "warning_letter": inc.warning_letter,
                "protection_order": inc.protection_order,
                "minor_involved": inc.minor_involved,
                "summary": inc.summary if personal else MASK,
            }
            events = [
                {"status": e.status, "at": local(e.at), "department": e.department, "note": e.note}
                for e in inc.status_events
            ]
            visits = [
                {
                    "visited_at": local(v.visited_at),
                    "department": v.department,
                    "outcome": v.outcome,
                    "note": v.note,
                }
                for v in inc.follow_up_visits
            ]
        audit.record(
            self.engine,
            scope.user,
            "view_case",
            target=f"incident:{incident_id}",
            remote_addr=scope.remote_addr,
        )
        return CaseDetail(fields, events, visits)

    # -- analytic layers ----------------------------------------------------------------------
    def follow_up_visits(self, scope: Scope) -> pl.DataFrame:
        """Visits (``incident_id``, ``visited_at`` UTC) of the incidents ``scope`` may see."""
        query = select(FollowUpVisit.incident_id, FollowUpVisit.visited_at)
        if scope.stations is not None:
            codes = sorted(self.expand_stations(scope.stations))
            visible = select(Incident.id).where(Incident.station_code.in_(codes))
            query = query.where(FollowUpVisit.incident_id.in_(visible))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pl.DataFrame(
            rows, schema={"incident_id": pl.Int64, "visited_at": pl.Datetime("us")}, orient="row"
        ).with_columns(pl.col("visited_at").dt.replace_time_zone("UTC"))

    def study_cells(self, scope: Scope, stations: tuple[str, ...] = ()) -> np.ndarray:
        """Resolution-9 cells covering the visible stations (or those of ``stations``)."""
        key = (scope.stations, stations)
        if key not in self._study_cells:
            wanted = self.expand_stations(stations)
            polygons = [
                s.boundary for s in self.stations(scope) if not stations or s.code in wanted
            ]
            cells = (
                polygon_to_cells(shapely.union_all(polygons), BASE_RESOLUTION) if polygons else []
            )
            self._study_cells[key] = np.array(sorted(cells), dtype=np.int64)
        return self._study_cells[key]

    def jurisdiction_cells(self, scope: Scope) -> dict[str, np.ndarray]:
        """Resolution-9 cells of each station ``scope`` may see that has no station under it."""
        return {
            s.code: self.study_cells(scope, (s.code,))
            for s in self.stations(scope)
            if s.level == "leaf"
        }

    def layer(
        self,
        scope: Scope,
        flt: IncidentFilter,
        layer_id: str,
        raw_params: Mapping[str, object] | None = None,
        res: int = BASE_RESOLUTION,
        now: datetime | None = None,
    ) -> pl.DataFrame:
        """Run a registered analytic layer on the incidents ``scope`` may see matching ``flt``.

        ``now`` defaults to the clock. Rows are masked as the scope requires
        (:func:`redact_layer`). Raises ``KeyError`` for an unknown layer and
        ``ValueError`` for a bad parameter, each naming the culprit.
        """
        spec = registry.layer(layer_id)
        params = spec.parse_params(raw_params or {})  # validate before any work
        context = LayerContext(
            now=now or datetime.now(UTC),
            study_cells=self.study_cells(scope, flt.stations),
            res=res,
            time_zone=self.tz,
            visits=self.follow_up_visits(scope) if layer_id in _LAYERS_WITH_VISITS else None,
            jurisdictions=(
                self.jurisdiction_cells(scope)
                if layer_id in _LAYERS_BY_JURISDICTION and not flt.stations
                else None
            ),
        )
        result = registry.run_layer(layer_id, self.incidents(scope, flt), context, params)
        return redact_layer(result, scope.personal_details)

    def stations(self, scope: Scope) -> list[Jurisdiction]:
        """The stations ``scope`` may see (areas and leaves), in code order.

        Each carries its ``parent_code`` and its ``level``: ``"area"`` if some station lies
        under it, else ``"leaf"``.
        """
        with Session(self.engine) as session:
            rows = list(session.scalars(select(Station).order_by(Station.code)))
            areas = {s.parent_code for s in rows if s.parent_code is not None}
            visible = None if scope.stations is None else self.expand_stations(scope.stations)
            return [
                from_geojson_text(
                    s.code,
                    s.name_zh,
                    s.name_en,
                    s.boundary_geojson,
                    parent_code=s.parent_code,
                    level="area" if s.code in areas else "leaf",
                )
                for s in rows
                if visible is None or s.code in visible
            ]

    def snapshot_rows(self) -> int:
        """Incidents in this process's columnar snapshot, after bringing it up to date."""
        snapshot = snapshot_for(self.engine)
        snapshot.refresh()
        return snapshot.height

    def totals(self) -> dict[str, int]:
        """Counts for the health check: incidents and stations in the database."""
        with self.engine.connect() as conn:
            incidents = conn.execute(select(func.count(Incident.id))).scalar_one()
            stations = conn.execute(select(func.count(Station.code))).scalar_one()
        return {"incidents": int(incidents), "stations": int(stations)}

    def date_extent(self, scope: Scope) -> tuple[date, date] | None:
        """First and last local dates with incidents the scope may see, or None if none."""
        frame = self.incidents(scope, IncidentFilter())
        if frame.is_empty():
            return None
        first, last = frame["reported_at"].min(), frame["reported_at"].max()
        zone = ZoneInfo(self.tz)
        return first.astimezone(zone).date(), last.astimezone(zone).date()

    # -- revealing one case ------------------------------------------------------------
    def reveal_case(self, scope: Scope, incident_id: int, reason: str) -> CaseDetail | None:
        """One case with its personal details unmasked, for a reason that goes to the audit trail.

        Parameters
        ----------
        scope : Scope
            Who asks; it must have ``can_reveal`` (or see personal details anyway). The
            stations of the scope still apply: a case outside them is None.
        incident_id : int
            The case.
        reason : str
            Why the details are needed (see :func:`check_reason`).

        Returns
        -------
        CaseDetail or None
            The unmasked case, or None if the scope may not see it. A found case is recorded
            twice: ``view_case``, then ``reveal`` with the reason.

        Raises
        ------
        PermissionError
            The scope may not reveal.
        RevealLimitError
            The user has made :func:`~data.settings.reveal_max_per_hour` reveals in the last
            hour already (the refusal is recorded).
        ValueError
            The reason is missing, too short, too long, or holds a control or format
            character.
        """
        if not (scope.can_reveal or scope.personal_details):
            raise PermissionError(f"{scope.user!r} may not reveal personal details")
        text = check_reason(reason)
        limit = reveal_max_per_hour()
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        if audit.count_since(self.engine, "reveal", scope.user, since) >= limit:
            self.refuse(
                scope, f"incident:{incident_id}", f"reveal limit of {limit} per hour reached"
            )
            raise RevealLimitError(f"{scope.user!r} has revealed {limit} cases in the last hour")
        detail = self.case_detail(replace(scope, personal_details=True), incident_id)
        if detail is None:
            return None
        audit.record(
            self.engine,
            scope.user,
            "reveal",
            target=f"incident:{incident_id}",
            detail=text,
            remote_addr=scope.remote_addr,
        )
        return detail
