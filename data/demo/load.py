"""Loading the Bao'an demo district into the incident store.

:func:`rebuild_demo` replaces every demo incident (``source_system = 'demo'``) with a freshly
generated district; :func:`ensure_demo` does so only on an empty store, which is what the
app does on its first start. Incidents of other source systems are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select

from data.database import upgrade
from data.demo.baoan import jurisdictions
from data.demo.loop import generate_loop
from data.demo.places import SOURCE as SOURCE_PLACES
from data.demo.places import demo_places
from data.demo.scenario import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_INCIDENTS,
    DEFAULT_SEED,
    SOURCE_SYSTEM,
    generate,
    resolve_end,
)
from data.models import Incident
from data.models import Place as PlaceRow
from data.places import save_places
from data.store import delete_source_system, insert_incidents, save_stations

__all__ = ["ensure_demo", "rebuild_demo"]


def rebuild_demo(
    engine: Engine,
    n_incidents: int = DEFAULT_INCIDENTS,
    seed: int = DEFAULT_SEED,
    end: datetime | Literal["now"] | None = None,
    progress: Callable[[int, int], None] | None = None,
    loop: bool = True,
) -> int:
    """Replace the demo incidents in the store with a newly generated district.

    Brings the schema to the newest migration, deletes every incident of source system
    ``'demo'`` (with its status events and follow-up visits), writes the ten Bao'an stations
    and the demo's places (:mod:`data.demo.places`),
    then streams :func:`data.demo.scenario.generate` into the store batch by batch, one
    transaction per batch, so memory stays bounded for any ``n_incidents``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store to write to.
    n_incidents : int
        Number of incidents to generate.
    seed : int
        Seed of the generator (same seed and ``end``, same district).
    end : datetime, "now" or None
        End of the history: ``None`` for the fixed default end, ``"now"`` for a district
        that looks live, or a time-zone-aware datetime.
    progress : callable, optional
        Called after each batch as ``progress(done, total)`` with incident counts.
    loop : bool
        Also generate support requests, department tasks and warning-letter schedules with
        their visits (:mod:`data.demo.loop`).

    Returns
    -------
    int
        Number of incidents inserted.

    Notes
    -----
    The delete and the inserts are separate transactions: a run interrupted half-way leaves
    a partial demo, which the next rebuild deletes again.
    """
    upgrade(engine)
    delete_source_system(engine, SOURCE_SYSTEM)
    save_stations(engine, jurisdictions())
    save_places(engine, demo_places(), SOURCE_PLACES)  # to name cells and label maps (#11)
    done = 0
    for batch in generate(n_incidents, seed, end, chunk_size=DEFAULT_CHUNK_SIZE):
        done += insert_incidents(engine, *batch)
        if progress is not None:
            progress(done, n_incidents)
    if loop:  # support requests, department tasks and warning-letter schedules (issue 13)
        generate_loop(engine, SOURCE_SYSTEM, seed, resolve_end(end))
    return done


def ensure_demo(
    engine: Engine,
    n_incidents: int = DEFAULT_INCIDENTS,
    end: datetime | Literal["now"] | None = "now",
) -> bool:
    """Load the default demo district when the store holds no incident at all.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store; its schema is upgraded first in any case.
    n_incidents : int
        Number of incidents to generate if the store is empty.
    end : datetime, "now" or None
        End of the history; ``"now"`` by default, so a first start shows a district that
        looks live (pass ``None`` for the fixed, reproducible end).

    Returns
    -------
    bool
        Whether the demo was loaded (``False`` when incidents already existed).
    """
    upgrade(engine)
    # One row is enough to know; counting a province-sized table is not.
    with engine.connect() as conn:
        present = conn.execute(select(Incident.id).limit(1)).first() is not None
    if present:
        _ensure_demo_places(engine)
        return False
    rebuild_demo(engine, n_incidents, DEFAULT_SEED, end)
    return True


def _ensure_demo_places(engine: Engine) -> None:
    """A demo store made before places existed gets the demo's places (once)."""
    with engine.connect() as conn:
        demo = conn.execute(
            select(Incident.id).where(Incident.source_system == SOURCE_SYSTEM).limit(1)
        ).first()
        placed = conn.execute(select(PlaceRow.id).limit(1)).first()
    if demo is not None and placed is None:
        save_places(engine, demo_places(), SOURCE_PLACES)
