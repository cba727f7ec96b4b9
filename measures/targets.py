"""Targets per measure and the judgement of a value against its target.

A target is a threshold on one measure of :mod:`measures.review`; whether a value must be at
least or at most the target follows from which way the measure is better
(:data:`measures.DEFINITIONS`): ``sla_compliance`` 0.90 means "at least 90 % of the checks
met", ``median_days_to_close`` 15 means "at most 15 days". Measures whose rise is neither
good nor bad (incident counts, warning letters, protection orders) take no target.

The installation sets its own targets with ``ANNING_REVIEW_TARGETS`` (read by
:func:`data.settings.review_targets`), e.g. ``sla_compliance=0.9,late_open=20``; the keys it
names replace the defaults below, the others keep them.
"""

from __future__ import annotations

from collections.abc import Mapping

from measures import better_direction

__all__ = ["DEFAULT_TARGETS", "judge", "parse_targets", "past_target"]

#: The targets a review is judged against unless the installation sets its own. Shares are
#: fractions (0–1), days are days, counts are per station and period.
DEFAULT_TARGETS: dict[str, float] = {
    "handled_24h_share": 0.95,  # 95 % handled within 24 hours
    "sla_compliance": 0.90,  # 90 % of the service-level checks met in time
    "median_days_to_close": 15.0,  # the closure level: 15 days
    "repeat_share": 0.30,  # at most 30 % of incidents at a repeat address
}


def parse_targets(text: str, where: str = "ANNING_REVIEW_TARGETS") -> dict[str, float]:
    """The targets written as ``measure=value,measure=value`` over :data:`DEFAULT_TARGETS`.

    Raises
    ------
    ValueError
        Naming ``where`` and the bad entry: an unknown measure, a measure that takes no
        target (neither direction is better), or a value that is not a number (shares must
        lie between 0 and 1).
    """
    targets = dict(DEFAULT_TARGETS)
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        key, sep, raw = (p.strip() for p in entry.partition("="))
        if not sep:
            raise ValueError(f"{where}: {entry!r} should read measure=value")
        try:
            direction = better_direction(key)
        except KeyError:
            raise ValueError(f"{where}: no measure {key!r}") from None
        if direction is None:
            raise ValueError(f"{where}: {key!r} takes no target (neither way is better)")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(
                f"{where}: the target of {key!r} should be a number, got {raw!r}"
            ) from None
        if (key.endswith("_share") or key == "sla_compliance") and not 0.0 <= value <= 1.0:
            raise ValueError(f"{where}: {key!r} is a share, its target lies in 0–1: {value}")
        targets[key] = value
    return targets


def past_target(measure: str, value: float | None, targets: Mapping[str, float]) -> bool | None:
    """Whether ``value`` misses ``measure``'s target (True), meets it (False), or cannot be
    judged (None: no target, or no value)."""
    target = targets.get(measure)
    if target is None or value is None or value != value:  # NaN
        return None
    better = better_direction(measure)
    if better == "up":
        return value < target
    if better == "down":
        return value > target
    return None


def judge(measure: str, value: float | None, targets: Mapping[str, float]) -> str:
    """``'good'`` (target met), ``'bad'`` (missed) or ``''`` (not judged): a colour by
    meaning, the same for a share that must rise and a delay that must fall."""
    missed = past_target(measure, value, targets)
    return "" if missed is None else ("bad" if missed else "good")
