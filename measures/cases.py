"""The cases behind a number: a filter spec every measure can produce, and the selection.

Every number on a screen opens the list of the cases it counts. :class:`CaseSpec` says which
measure, period, stations and other filters produced the number; it travels in the URL of the
case list (``/cases?m=late_open&start=2026-11-01&end=2026-11-30&st=BA01&now=…``) and
:func:`select` turns it back into the cases, with the same definitions the numbers use
(``docs/measures.md``), so a list holds exactly the cases its number counts.

For a share the list holds the cases it misses: ``sla_compliance`` lists the period's cases
with a late check, ``handled_24h_share`` those late on the 24-hour level; a median lists the
cases it is the median of (closed by ``now``). ``visits_done`` lists the cases visited in the
period (a case visited twice counts twice in the number, once in the list).

Wall tiles are ``tile.<key>`` (``tile.today`` …): their windows are the wall's own
(:mod:`measures.wall`), judged at ``now``. The wall's legend classes are ``pulse`` (the
incidents pulsing on the map, :func:`measures.wall.pulsing`) and ``hotspot`` with ``cls``
and ``res`` (the period's incidents in the hot-spot cells of that class). The station
workspace's ``follow_ups_due`` and ``follow_ups_overdue`` are :mod:`measures.station`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from data.access import IncidentFilter
from geo import areas, h3cells
from layers.service_levels import SLAS
from measures import review, service, station
from measures.wall import TILE_KEYS, month_windows, pulsing

__all__ = [
    "LIST_MEASURES",
    "PAGE_SIZE",
    "CaseSpec",
    "SpecError",
    "page_of",
    "pages",
    "select",
    "spec_for",
]

#: Cases a list page shows.
PAGE_SIZE = 50
#: Measures a list can be opened for: the review's, the wall's tiles, an early-warning entry.
LIST_MEASURES: tuple[str, ...] = (
    *review.MEASURES,
    *(f"tile.{k}" for k in TILE_KEYS),
    "warning",
    "pulse",
    "hotspot",
    "follow_ups_due",
    "follow_ups_overdue",
    "open",
)
_LIST_KEYS = ("st", "cat", "risk", "src", "nos")
#: An entry's incident numbers are listed in the URL; more than this is refused (an entry
#: rests on a few).
MAX_NOS = 500


class SpecError(ValueError):
    """A case-list URL that cannot be read; the message names the key and why."""


@dataclass(frozen=True)
class CaseSpec:
    """Which cases a number counts: its ``measure`` over local days ``start``–``end``, in
    ``stations`` (empty: all the scope may see), of ``categories``/``risk_levels``/
    ``sources``, late on ``sla`` (``late_open`` only), among the incident numbers ``nos``
    (an early-warning entry's cases), in the H3 ``cells`` (one resolution: a hexagon picked on a
    map), judged at ``now`` (None: the caller's now); ``page`` counts from 1."""

    measure: str = "incidents"
    start: date | None = None
    end: date | None = None
    stations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    sla: str | None = None
    nos: tuple[str, ...] = ()
    now: datetime | None = None
    page: int = 1
    hot_class: int | None = None
    res: int | None = None
    #: An area drawn on a map (:mod:`geo.areas` text): only the cases located in it.
    area: str | None = None
    #: H3 cells of one resolution (a hexagon selected on the overview's map).
    cells: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.measure not in LIST_MEASURES:
            raise SpecError(f"m: unknown measure {self.measure!r}")
        if self.start and self.end and self.start > self.end:
            raise SpecError(f"start {self.start} is after end {self.end}")
        if self.sla is not None and self.sla not in SLAS:
            raise SpecError(f"sla: unknown service level {self.sla!r}")
        if self.page < 1:
            raise SpecError(f"page: should be 1 or more, got {self.page}")
        if self.hot_class is not None and self.hot_class not in (1, 2, 3):
            raise SpecError(f"cls: a hot-spot class 1, 2 or 3, got {self.hot_class}")
        if self.res is not None and not 5 <= self.res <= 9:
            raise SpecError(f"res: an H3 resolution 5 to 9, got {self.res}")
        if self.now is not None and self.now.tzinfo is None:
            raise SpecError("now: should carry a time zone")
        if len({h3cells.cell_resolution(c) for c in self.cells}) > 1:
            raise SpecError("cell: hexagons of one resolution only")
        if self.area is not None:
            try:
                canonical = areas.parse(self.area).text()
            except areas.AreaError as err:
                raise SpecError(str(err)) from None
            object.__setattr__(self, "area", canonical)

    def with_page(self, page: int) -> CaseSpec:
        """The same list at ``page``."""
        return replace(self, page=page)

    def to_params(self) -> dict[str, str]:
        """The spec as URL query parameters (defaults left out)."""
        out: dict[str, str] = {"m": self.measure}
        if self.start:
            out["start"] = self.start.isoformat()
        if self.end:
            out["end"] = self.end.isoformat()
        for key, values in zip(
            _LIST_KEYS,
            (self.stations, self.categories, self.risk_levels, self.sources, self.nos),
            strict=True,
        ):
            if values:
                out[key] = ",".join(str(v) for v in values)
        if self.sla:
            out["sla"] = self.sla
        if self.now:
            out["now"] = self.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.hot_class is not None:
            out["cls"] = str(self.hot_class)
        if self.res is not None:
            out["res"] = str(self.res)
        if self.area:
            out["area"] = self.area
        if self.cells:
            out["cell"] = ",".join(h3cells.cell_to_str(c) for c in self.cells)
        if self.page != 1:
            out["page"] = str(self.page)
        return out

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CaseSpec:
        """Read a spec from query parameters; :class:`SpecError` names a bad one."""

        def day(key: str) -> date | None:
            raw = params.get(key)
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise SpecError(f"{key}: {raw[:40]!r} is not a date YYYY-MM-DD") from None

        def listed(key: str) -> tuple[str, ...]:
            return tuple(v for v in (params.get(key) or "").split(",") if v)

        nos = listed("nos")
        if len(nos) > MAX_NOS or any(len(v) > 64 for v in nos):
            raise SpecError(f"nos: up to {MAX_NOS} incident numbers, comma separated")
        now = None
        if params.get("now"):
            try:
                now = datetime.fromisoformat(params["now"].replace("Z", "+00:00"))
            except ValueError:
                raise SpecError(f"now: {params['now'][:40]!r} is not an ISO time") from None
            if now.tzinfo is None:
                now = now.replace(tzinfo=UTC)

        def number(key: str) -> int | None:
            raw = params.get(key)
            if not raw:
                return None
            try:
                return int(raw)
            except ValueError:
                raise SpecError(f"{key}: {raw[:20]!r} is not a number") from None

        page = number("page") or 1
        if len(listed("cell")) > MAX_NOS:
            raise SpecError(f"cell: up to {MAX_NOS} hexagons, comma separated")
        cells = []
        for text in listed("cell"):
            try:
                cells.append(h3cells.str_to_cell(text))
            except ValueError:
                raise SpecError(f"cell: {text[:20]!r} is not an H3 cell") from None
        return cls(
            cells=tuple(cells),
            measure=params.get("m") or "incidents",
            start=day("start"),
            end=day("end"),
            stations=listed("st"),
            categories=listed("cat"),
            risk_levels=listed("risk"),
            sources=listed("src"),
            sla=params.get("sla") or None,
            nos=nos,
            now=now,
            page=page,
            hot_class=number("cls"),
            res=number("res"),
            area=params.get("area") or None,
        )


def _local_bounds(spec: CaseSpec, tz: str) -> pl.Expr:
    zone = ZoneInfo(tz)
    pred = pl.lit(True)
    if spec.start is not None:
        pred &= pl.col("reported_at") >= datetime.combine(spec.start, time(), zone).astimezone(UTC)
    if spec.end is not None:
        end = datetime.combine(spec.end + timedelta(days=1), time(), zone)
        pred &= pl.col("reported_at") < end.astimezone(UTC)
    return pred


def _filters(spec: CaseSpec) -> pl.Expr:
    pred = pl.lit(True)
    for column, values in (
        ("station_code", spec.stations),
        ("category", spec.categories),
        ("risk_level", spec.risk_levels),
        ("source_channel", spec.sources),
    ):
        if values:
            pred &= pl.col(column).is_in(list(values))
    if spec.nos:
        pred &= pl.col("incident_no").is_in(list(spec.nos))
    if spec.area:
        pred &= in_area(areas.parse(spec.area))
    if spec.cells:
        pred &= IncidentFilter(cells=spec.cells).expression("UTC")  # no dates: any zone
    return pred


def in_area(area: areas.Area) -> pl.Expr:
    """A predicate: the incident is located inside ``area`` (unlocated ones never are)."""
    return pl.struct("lng", "lat").map_batches(
        lambda s: pl.Series(
            area.contains(
                s.struct.field("lng").cast(pl.Float64).fill_null(float("nan")).to_numpy(),
                s.struct.field("lat").cast(pl.Float64).fill_null(float("nan")).to_numpy(),
            )
        ),
        return_dtype=pl.Boolean,
    )


def _wall(frame: pl.DataFrame, key: str, checks: pl.DataFrame, now: datetime, tz: str):
    local = now.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tonight = midnight + timedelta(days=1)

    def between(start: datetime, end: datetime) -> pl.Expr:
        return (pl.col("reported_at") >= start.astimezone(UTC)) & (
            pl.col("reported_at") < end.astimezone(UTC)
        )

    (month_start, month_end), _ = month_windows(now, tz)
    if key == "today":
        return frame.filter(between(midnight, tonight))
    if key == "week":
        return frame.filter(between(local - timedelta(days=7), tonight))
    if key == "high_risk_open":
        return frame.filter((pl.col("risk_level") == "high") & service.open_at(now))
    if key == "sla_breached":
        return frame.filter(pl.col("id").is_in(service.late_open_ids(checks)))
    flag = "warning_letter" if key == "warning_letters" else "protection_order"
    return frame.filter(
        between(month_start, month_end) & pl.col(flag).fill_null(False).cast(pl.Boolean)
    )


def select(
    incidents: pl.DataFrame,
    visits: pl.DataFrame | None,
    spec: CaseSpec,
    now: datetime,
    tz: str,
    cells: Sequence[int] | None = None,
) -> pl.DataFrame:
    """The incidents (rows of ``incidents``) the number of ``spec`` counts, newest first.

    ``incidents`` are every incident of the caller's scope; ``visits`` their follow-up
    visits; ``now`` (aware) is used when the spec carries none. ``cells`` (H3 cells of one
    resolution) are the hot spots of the spec's class, which the caller looked up
    (``hotspot`` lists the period's incidents in them).
    """
    now = spec.now or now
    if now.tzinfo is None:
        raise ValueError("'now' should be time-zone aware")
    measure = spec.measure
    base = incidents.filter(_filters(spec))
    if measure == "pulse":
        return pulsing(base, now)
    if measure in ("follow_ups_due", "follow_ups_overdue"):
        checks = service.checks(base, visits, now)
        rows = (
            station.follow_ups_due(checks, now)
            if measure == "follow_ups_due"
            else station.follow_ups_overdue(checks)
        )
        order = {int(i): n for n, i in enumerate(rows["incident_id"].to_list())}
        # soonest (or longest overdue) deadline first, as the station's panel lists them
        return (
            base.filter(pl.col("id").is_in(list(order)))
            .with_columns(pl.col("id").replace_strict(order, default=0).alias("_order"))
            .sort("_order")
            .drop("_order")
        )
    if measure == "hotspot":
        inside = IncidentFilter(cells=tuple(cells or ())).expression(tz) if cells else pl.lit(False)
        return base.filter(_local_bounds(spec, tz) & inside).sort(
            ["reported_at", "id"], descending=True
        )
    if measure.startswith("tile."):
        checks = service.checks(base, visits, now) if measure == "tile.sla_breached" else None
        out = _wall(base, measure.removeprefix("tile."), checks, now, tz)
        return out.sort(["reported_at", "id"], descending=True)
    if measure == "visits_done":
        seen: list[int] = []
        if visits is not None and not visits.is_empty() and spec.start and spec.end:
            day = pl.col("visited_at").dt.convert_time_zone(tz).dt.date()
            made = visits.filter((day >= spec.start) & (day <= spec.end))
            seen = made["incident_id"].unique().to_list()
        return base.filter(pl.col("id").is_in(seen)).sort(["reported_at", "id"], descending=True)
    sel = base.filter(_local_bounds(spec, tz))
    if measure in ("late_open", "sla_compliance", "handled_24h_share"):
        checks = service.checks(sel, visits, now)
        if measure == "late_open":
            keep = service.late_open_ids(checks, spec.sla)
        else:
            late = checks.filter(pl.col("state") == "late")
            if measure == "handled_24h_share":
                late = late.filter(pl.col("sla") == "handled_24h")
            keep = late["incident_id"].unique().to_list()
        sel = sel.filter(pl.col("id").is_in(keep))
    elif measure == "median_days_to_close":
        sel = sel.filter(pl.col("closed_at").is_not_null() & (pl.col("closed_at") <= now))
    elif measure == "repeat_share" and spec.end is not None:
        window = review.Period(spec.end - timedelta(days=review.REPEAT_WINDOW_DAYS - 1), spec.end)
        counts = (
            review.in_period(incidents, window, tz)
            .filter(pl.col("address_key").is_not_null())
            .group_by("address_key")
            .agg(pl.len().alias("_n"))
        )
        repeat = counts.filter(pl.col("_n") >= review.REPEAT_MIN_INCIDENTS)["address_key"]
        sel = sel.filter(pl.col("address_key").is_in(repeat.to_list()))
    elif measure == "open":
        sel = sel.filter(service.open_at(now))
    elif measure in ("warning_letters", "protection_orders"):
        flag = measure.removesuffix("s")
        sel = sel.filter(pl.col(flag).fill_null(False).cast(pl.Boolean))
    return sel.sort(["reported_at", "id"], descending=True)


def page_of(frame: pl.DataFrame, page: int, size: int | None = None) -> pl.DataFrame:
    """Rows of ``page`` (from 1) of ``frame``, :data:`PAGE_SIZE` a page unless ``size``."""
    size = size or PAGE_SIZE
    return frame.slice((page - 1) * size, size)


def pages(total: int, size: int | None = None) -> int:
    """How many pages ``total`` rows take (at least 1)."""
    size = size or PAGE_SIZE
    return max(1, -(-total // size))


def spec_for(
    measure: str,
    start: date | None = None,
    end: date | None = None,
    stations: Sequence[str] = (),
    now: datetime | None = None,
    **filters: Sequence[str],
) -> CaseSpec:
    """The spec of ``measure`` (a review measure, ``tile.<key>`` or ``warning``) for a period
    and stations; ``filters`` are ``categories``, ``risk_levels``, ``sources``, ``nos`` (incident
    numbers) or ``sla`` (a string)."""
    sla = filters.pop("sla", None)
    return CaseSpec(
        measure=measure,
        start=start,
        end=end,
        stations=tuple(stations),
        now=now,
        sla=sla if isinstance(sla, str) else None,
        **{k: tuple(v) for k, v in filters.items()},
    )
