"""Imported dispatches (分流部门 / 派单部门): the department a case was sent to becomes its task.

A profile maps a column to ``department`` (``department = "分流部门"``); a cell names one or
more departments by code (``police``) or in the words exports use (公安, 妇联, 司法局, 法院,
社区/居委会, see :data:`data.tasks.DEPARTMENT_WORDS`; ``[values.department]`` adds more),
several separated by 、，,;／/. Each named department gets its open task on the imported case
(:func:`data.tasks.open_imported_tasks`: none when the case had a task of that department
before, so a re-import makes no duplicates). Unknown words make a warning, not a reject: the
case itself is sound.
"""

from __future__ import annotations

import re

import polars as pl

from data.importers.profiles import Profile
from data.importers.readers import ROW_NUMBER
from data.importers.validate import ROW, RowWarning
from data.tasks import DEPARTMENT_WORDS
from data.vocab import DEPARTMENTS

#: Separators between several departments in one cell.
SEPARATORS = r"[、，,;；/／]"
UNKNOWN_DEPARTMENT = "unknown_department"


def department_table(profile: Profile) -> dict[str, str]:
    """Word (lower case) → department code: the codes, the usual Chinese words, the profile's
    ``[values.department]``."""
    table = {code: code for code in DEPARTMENTS}
    table.update(DEPARTMENT_WORDS)
    table.update({k: str(v) for k, v in profile.values.get("department", {}).items()})
    return {k.strip().lower(): v for k, v in table.items()}


def dispatched(
    raw: pl.DataFrame, incidents: pl.DataFrame, profile: Profile
) -> tuple[list[tuple[str, str]], RowWarning | None]:
    """The ``(incident_no, department)`` pairs of the accepted ``incidents`` (with :data:`ROW`)
    read from ``raw``'s department column, and a warning naming unknown words (or None)."""
    sources = [s for s in profile.columns.get("department", ()) if s in raw.columns]
    if not sources or incidents.is_empty():
        return [], None
    table = department_table(profile)
    cells = raw.select(pl.col(ROW_NUMBER).alias(ROW), pl.col(sources[0]).alias("cell")).join(
        incidents.select(ROW, "incident_no"), on=ROW, how="inner"
    )
    pairs: list[tuple[str, str]] = []
    unknown: dict[str, int] = {}
    for number, cell in cells.select("incident_no", "cell").iter_rows():
        if cell is None:
            continue
        for word in (w.strip() for w in re.split(SEPARATORS, cell)):
            if not word:
                continue
            code = table.get(word.lower())
            if code is None:
                unknown[word] = unknown.get(word, 0) + 1
            else:
                pairs.append((number, code))
    warning = None
    if unknown:
        named = ", ".join(f"{w!r} ×{n}" for w, n in sorted(unknown.items())[:10])
        warning = RowWarning(
            UNKNOWN_DEPARTMENT,
            sum(unknown.values()),
            f"department: unknown values {named} → no task (add them to [values.department])",
        )
    return pairs, warning
