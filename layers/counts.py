"""Incident counts per H3 cell: the input of the hot spot layers.

Incidents are stored binned at :data:`geo.h3cells.BASE_RESOLUTION`; a coarser display
resolution is derived from that column, never recomputed from coordinates.
"""

from __future__ import annotations

import polars as pl

from geo.h3cells import BASE_RESOLUTION, cells_to_parent

#: Column of an incident frame holding its base-resolution cell.
CELL_COLUMN = "h3_cell"


def cell_counts(incidents: pl.DataFrame, res: int = BASE_RESOLUTION) -> pl.DataFrame:
    """Count incidents per H3 cell at resolution ``res``.

    Parameters
    ----------
    incidents : polars.DataFrame
        An incident frame (see :mod:`data.frames`); only ``h3_cell`` (int64, resolution
        :data:`~geo.h3cells.BASE_RESOLUTION`, null when the incident is unlocated) is read.
    res : int
        Target resolution, from 0 up to the base resolution.

    Returns
    -------
    polars.DataFrame
        Columns ``cell`` (Int64) and ``count`` (Int64), one row per cell with at least one
        incident, sorted by ``cell``. Unlocated incidents (null ``h3_cell``) are not counted:
        the caller reports them, as the data contract asks.

    Raises
    ------
    ValueError
        If ``h3_cell`` is missing or ``res`` is outside ``0..BASE_RESOLUTION``.
    """
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    if CELL_COLUMN not in incidents.columns:
        raise ValueError(f"incident frame lacks column '{CELL_COLUMN}'")
    if not 0 <= res <= BASE_RESOLUTION:
        raise ValueError(f"'res' should be within 0..{BASE_RESOLUTION}, got {res}")
    return (
        incidents.lazy()
        .select(pl.col(CELL_COLUMN).cast(pl.Int64))
        .drop_nulls()
        .select(cells_to_parent(pl.col(CELL_COLUMN), res).alias("cell"))
        .group_by("cell")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort("cell")
        .collect()
    )
