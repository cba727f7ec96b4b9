"""The overview's five headline numbers, and the cases each counts.

Over the incidents of the overview's filter (controls, time slider window, and the
selection: a hexagon, a station or a bar picked on the map or the trend):

``incidents``          every incident reported in the window
``high_risk``          those of risk level ``high``
``open``               those not closed by ``now`` (:func:`measures.service.open_at`)
``warning_letters``    those with a warning letter issued
``protection_orders``  those with a personal-safety protection order

"Open" is the one definition every screen uses (``docs/measures.md``): the closing time
decides, not the status text.

:func:`kpi_specs` writes each number as a :class:`measures.cases.CaseSpec`, so the case list
(``/cases``) holds exactly the cases counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from data.access import IncidentFilter
from measures.cases import CaseSpec
from measures.service import open_at

__all__ = ["KPIS", "KPI_COLUMNS", "KpiLink", "Kpis", "kpi_specs", "kpis"]


@dataclass(frozen=True)
class Kpis:
    """The overview's headline numbers for the filtered incidents."""

    incidents: int
    high_risk: int
    open_cases: int
    warning_letters: int
    protection_orders: int


#: The incident columns :func:`kpis` reads (ask the access layer for these only).
KPI_COLUMNS: tuple[str, ...] = ("risk_level", "closed_at", "warning_letter", "protection_order")


def kpis(frame: pl.DataFrame, now: datetime) -> Kpis:
    """Headline numbers of an incident frame (snapshot columns), cases open at ``now``; see
    the module's words."""
    if frame.is_empty():
        return Kpis(0, 0, 0, 0, 0)
    row = frame.select(
        pl.len().alias("incidents"),
        (pl.col("risk_level") == "high").sum().alias("high_risk"),
        open_at(now).sum().alias("open_cases"),
        pl.col("warning_letter").fill_null(False).sum().alias("warning_letters"),
        pl.col("protection_order").fill_null(False).sum().alias("protection_orders"),
    ).row(0, named=True)
    return Kpis(**{k: int(v) for k, v in row.items()})


#: The KPIs in the order shown: (key, list measure, risk level the KPI keeps or None).
KPIS: tuple[tuple[str, str, str | None], ...] = (
    ("incidents", "incidents", None),
    ("high_risk", "incidents", "high"),
    ("open", "open", None),
    ("warning_letters", "warning_letters", None),
    ("protection_orders", "protection_orders", None),
)
#: A risk level no incident has: a KPI whose filter leaves out its own level counts nothing,
#: and its list must hold nothing too (an empty tuple would mean "every level").
NO_LEVEL = "-"


@dataclass(frozen=True)
class KpiLink:
    """One headline number's list: its key and the spec of its cases."""

    key: str
    spec: CaseSpec


def kpi_specs(
    flt: IncidentFilter, expand: Callable[[Iterable[str]], frozenset[str]]
) -> list[KpiLink]:
    """The case-list spec of each KPI for the filter ``flt`` (the overview's case filter:
    controls, window and selection); ``expand`` turns station codes into themselves and the
    stations under them (:meth:`data.access.CaseAccess.expand_stations`), as the filter
    means them."""
    stations: tuple[str, ...] = ()
    if flt.stations or flt.within:
        chosen = expand(flt.stations) if flt.stations else None
        inside = expand(flt.within) if flt.within else None
        both = chosen & inside if chosen is not None and inside is not None else chosen or inside
        stations = tuple(sorted(both or {NO_LEVEL}))  # no station in both: nothing matches
    out = []
    for key, measure, level in KPIS:
        risks = flt.risk_levels
        if level is not None:
            risks = (level,) if not risks or level in risks else (NO_LEVEL,)
        spec = CaseSpec(
            measure=measure,
            start=flt.start,
            end=flt.end,
            stations=stations,
            categories=flt.categories,
            risk_levels=risks,
            sources=flt.sources,
            cells=flt.cells,
        )
        out.append(KpiLink(key, spec))
    return out
