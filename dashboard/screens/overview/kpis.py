"""The overview's five headline numbers, each a link to the cases it counts.

The numbers are those of the controls, the time slider's window and the selection (a
hexagon, a station or a bar picked on the map or the trend): what the case list below shows.
Each is written as a :class:`measures.cases.CaseSpec`, so ``/cases`` lists exactly the cases
counted (same period, stations, categories, sources, risk levels and hexagon), with the
definitions of ``docs/measures.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from data.access import IncidentFilter
from measures.cases import CaseSpec

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
