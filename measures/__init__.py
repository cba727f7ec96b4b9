"""Every number a screen or an export shows, with one definition each.

The package sits below the screens: it imports polars, :mod:`layers` and :mod:`data.vocab`,
never :mod:`dashboard`, and its functions are pure (frames, a period and ``now`` in, numbers
out; no database, request or clock). The wall, the review page, the PDF meeting pack, the
Excel workbook, the station workspace and the JSON API (``/api/v1/measures``) all call these
functions, so one scope, period and ``now`` gives one value everywhere
(``tests/measures/test_consistency.py``). ``docs/measures.md`` lists the definitions.

Modules:

* :mod:`measures.service`: the service-level checks and the two ways they are counted
  (``late_open``: open cases with a late level; ``sla_compliance``: met ÷ judged checks);
* :mod:`measures.review`: review periods and their comparison, the per-station measures,
  league table, trends and the hour × weekday profile;
* :mod:`measures.wall`: the wall's tiles, newest incidents and alerts;
* :mod:`measures.station`: the station workspace's follow-ups due and overdue.

:data:`DEFINITIONS` says, for every measure key, its unit and which way is better (the
colour of a change follows it, not the sign).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFINITIONS", "Definition", "better_direction"]


@dataclass(frozen=True)
class Definition:
    """A measure's unit (``count``, ``share`` or ``days``) and which way is better
    (``'up'``, ``'down'``, or None when neither: more incidents may mean more reporting)."""

    unit: str
    better: str | None


#: Every measure the screens show, by key (review keys and wall tile keys).
DEFINITIONS: dict[str, Definition] = {
    "incidents": Definition("count", None),
    "handled_24h_share": Definition("share", "up"),
    "median_days_to_close": Definition("days", "down"),
    "sla_compliance": Definition("share", "up"),
    "late_open": Definition("count", "down"),
    "visits_done": Definition("count", "up"),
    "repeat_share": Definition("share", "down"),
    "warning_letters": Definition("count", None),
    "protection_orders": Definition("count", None),
    # the wall's tiles
    "today": Definition("count", None),
    "week": Definition("count", None),
    "high_risk_open": Definition("count", "down"),
    "sla_breached": Definition("count", "down"),
}


def better_direction(key: str) -> str | None:
    """``'up'`` or ``'down'``: which change of measure ``key`` is good news (None: neither)."""
    try:
        return DEFINITIONS[key].better
    except KeyError:
        raise KeyError(f"no measure {key!r} in measures.DEFINITIONS") from None
