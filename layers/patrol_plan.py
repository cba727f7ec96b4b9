"""Patrol plan: the cells of an area to cover within an area budget, and how well that worked.

What is computed
----------------
For a study area given as its resolution-9 H3 cells (a station's jurisdiction, a district),
every cell gets a score from the incidents of a training window (the ``train_weeks`` before
``now``), the cells are ranked, and the top ``k = ceil(budget_share * n_cells)`` are the plan.
Scoring methods (:data:`METHODS`):

``'counts'``
    Incidents per cell in the window.
``'kde'``
    Gaussian kernel density at each cell centre, bandwidth :data:`KDE_BANDWIDTH_M` metres,
    in incidents per km² (kernel cut at :data:`KDE_CUTOFF_BANDWIDTHS` bandwidths). Distances
    in the UTM zone of the study area (see :func:`geo.projection.to_local_metres`).
``'gistar'``
    Getis-Ord Gi* z-score of the cell counts over the study area (k-ring
    :data:`GISTAR_K`), from :func:`layers.hotspot.compute`. Cells are ranked by z, not cut at
    a significance class, so the plan fills exactly the budget; but cells that are hot only
    through their neighbours (Gi* halo cells, see :mod:`layers.hotspot`) and cells without a
    training incident come after every cell with incidents of its own, so a patrol is sent
    to an empty cell only when fewer cells than the budget had any incident.
``'repeat'``
    Repeat-household risk with a long memory (after the background and repeat terms of the
    self-exciting models of Mohler et al. 2011/2015, with fixed, not fitted, kernels). Two
    normalised Gaussian kernel densities, summed: a *background* over every incident of the
    last :data:`REPEAT_HISTORY_WEEKS` weeks (bandwidth :data:`REPEAT_BACKGROUND_M`), and a
    *repeat* term over the incidents at a location that had more than one incident in that
    history (points within :data:`REPEAT_SNAP_M` metres are one location; bandwidth
    :data:`REPEAT_LOCATION_M`, weight :data:`REPEAT_WEIGHT`). Each incident counts
    ``0.5 ** (age / REPEAT_HALF_LIFE_DAYS)``. Unlike the other methods it reads the
    history before the training window (never anything at or after ``now``).

Ties are broken by the training count, then by the most recent incident in the cell, then
by cell id, so a plan is deterministic. Only incidents inside the study cells are used, for
training and for testing alike; unlocated incidents (null ``h3_cell``) are not used.

Accuracy, prospectively
-----------------------
:func:`evaluate` rolls over the history: train on ``train_weeks``, plan, then count the
next ``test_weeks``' incidents that fell in the planned cells. The *hit rate* is that share
of the test incidents; the *predictive accuracy index* (PAI, Chainey, Tompson & Uhlig 2008)
is hit rate / area share, where the area share is the realised one, ``k / n_cells`` (H3
cells of one resolution are of nearly equal area over a city: res-9 areas vary by well
under 1 % across Chicago). Training never sees an incident at or after the fold's test
start. :func:`accuracy_panel` is the same test, week by week, for the last ``weeks`` weeks
before ``now``: what the station chief sees beside the plan.

The study area of a test matters as much as its hits: the same hits over a larger area give
a larger PAI. Given ``jurisdictions`` (code → cells, e.g. every station in view when the user
selected none), each fold's study area is the union of the jurisdictions that had an
incident in its training window, not every one loaded. A fold without training incidents
or without test incidents has no hit rate and no PAI (null, never 0.0) and is left out of
every mean and pooled figure. Each row carries the area (``n_cells``, ``area_km2``) and the
incident counts the figure rests on.

Default method
--------------
:data:`DEFAULT_METHOD` is ``'repeat'``: in the rolling test on real Chicago data
(``benchmarks/results/patrol_pai.md``, ``benchmarks/bench_patrol_pai.py``) it beat KDE by at
least 10 % at both 1 % and 5 % of the area on both data sets. Mean PAI, repeat / KDE / Gi* /
counts: domestic incidents (2017-2019 sample, 32 folds) 5.42 / 4.87 / 4.48 / 3.33 at 1 % and
4.22 / 3.61 / 2.96 / 2.87 at 5 %; aggravated assaults at a residence (2010-2019, 127 folds)
8.89 / 7.67 / 7.51 / 7.17 at 1 % and 5.97 / 5.31 / 4.72 / 4.49 at 5 %. Its parameters were
picked among about a dozen variants on those same folds (an optimistic, in-sample margin), and
the gain comes from the long, decaying memory: the repeat-location term alone did not help on
Chicago's block-level coordinates (background only: 6.38 and 4.31 on the domestic incidents).
The KDE bandwidth was not tuned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from scipy.spatial import cKDTree

from geo.h3cells import (
    BASE_RESOLUTION,
    cell_resolution,
    cell_to_latlng,
    cells_area_km2,
    grid_disks,
)
from geo.projection import metric_transformer, to_local_metres
from layers import hotspot

#: Stable id of this layer in the layer registry.
LAYER_ID = "patrol_plan"
#: Scoring methods, in the order reports list them.
METHODS: tuple[str, ...] = ("gistar", "kde", "counts", "repeat")
#: ≥ 1.10 x KDE's mean PAI at 1 % and 5 % on both Chicago data sets (benchmarks/results).
DEFAULT_METHOD = "repeat"
#: Share of the study area a plan covers.
DEFAULT_BUDGET_SHARE = 0.05
#: Weeks of history a plan is trained on.
TRAIN_WEEKS = 12
#: Weeks each evaluation fold tests on, and the step between folds.
TEST_WEEKS = 4
STEP_WEEKS = 4
#: Area shares the evaluation reports.
AREA_SHARES: tuple[float, ...] = (0.01, 0.05)
#: Weeks the accuracy panel looks back over.
PANEL_WEEKS = 8
#: Gaussian kernel bandwidth (standard deviation) of the KDE baseline, metres.
KDE_BANDWIDTH_M = 300.0
#: The kernel is cut at this many bandwidths (exp(-8) ≈ 3e-4 of the peak is dropped).
KDE_CUTOFF_BANDWIDTHS = 4.0
#: Gi* neighbourhood: the cell and its first ring.
GISTAR_K = hotspot.DEFAULT_K
#: 'repeat': weeks of history read before ``now`` (whatever ``train_weeks`` says).
REPEAT_HISTORY_WEEKS = 156
#: 'repeat': half-life of an incident's weight, days.
REPEAT_HALF_LIFE_DAYS = 365.0
#: 'repeat': background kernel bandwidth, metres.
REPEAT_BACKGROUND_M = 200.0
#: 'repeat': repeat-location kernel bandwidth, metres.
REPEAT_LOCATION_M = 100.0
#: 'repeat': weight of the repeat term against the background (both sum to 1 before).
REPEAT_WEIGHT = 0.05
#: 'repeat': incidents closer than this (metres, on a grid) are at one location.
REPEAT_SNAP_M = 10.0

#: Columns of the frame :func:`plan` returns.
PLAN_SCHEMA: dict[str, pl.DataType] = {"cell": pl.Int64, "rank": pl.Int32, "score": pl.Float64}
#: Columns of the frame :func:`evaluate` returns.
EVALUATION_SCHEMA: dict[str, pl.DataType] = {
    "method": pl.String,
    "fold": pl.Int32,
    "train_start": pl.Datetime("us", "UTC"),
    "test_start": pl.Datetime("us", "UTC"),
    "test_end": pl.Datetime("us", "UTC"),
    "area_share": pl.Float64,
    "cells_selected": pl.Int64,
    "n_cells": pl.Int64,
    "area_km2": pl.Float64,
    "realised_area_share": pl.Float64,
    "train_incidents": pl.Int64,
    "test_incidents": pl.Int64,
    "hits": pl.Int64,
    "hit_rate": pl.Float64,
    "pai": pl.Float64,
}

_WEEK = timedelta(weeks=1)
#: Methods that read the incidents' coordinates.
_NEEDS_COORDINATES = frozenset({"kde", "repeat"})


@dataclass(frozen=True)
class ScoringParams:
    """How cells are scored.

    Attributes
    ----------
    kde_bandwidth_m : float
        Gaussian kernel bandwidth in metres, > 0.
    kde_cutoff_bandwidths : float
        Kernel truncation, in bandwidths, > 0.
    gistar_k : int
        Gi* k-ring neighbourhood, >= 0.
    repeat_history_weeks, repeat_half_life_days, repeat_background_m, repeat_location_m, \
repeat_weight, repeat_snap_m
        The ``'repeat'`` method's history, weight half-life, bandwidths, repeat weight and
        location snapping (see the module notes).
    """

    kde_bandwidth_m: float = KDE_BANDWIDTH_M
    kde_cutoff_bandwidths: float = KDE_CUTOFF_BANDWIDTHS
    gistar_k: int = GISTAR_K
    repeat_history_weeks: int = REPEAT_HISTORY_WEEKS
    repeat_half_life_days: float = REPEAT_HALF_LIFE_DAYS
    repeat_background_m: float = REPEAT_BACKGROUND_M
    repeat_location_m: float = REPEAT_LOCATION_M
    repeat_weight: float = REPEAT_WEIGHT
    repeat_snap_m: float = REPEAT_SNAP_M

    def __post_init__(self) -> None:
        _check_weeks(self.repeat_history_weeks, "repeat_history_weeks")
        if not (isinstance(self.repeat_weight, int | float) and self.repeat_weight >= 0):
            raise ValueError(f"'repeat_weight' should be a number >= 0, got {self.repeat_weight!r}")
        for name in (
            "kde_bandwidth_m",
            "kde_cutoff_bandwidths",
            "repeat_half_life_days",
            "repeat_background_m",
            "repeat_location_m",
            "repeat_snap_m",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"'{name}' should be a number > 0, got {value!r}")
        if isinstance(self.gistar_k, bool) or not isinstance(self.gistar_k, int):
            raise TypeError(f"'gistar_k' should be an int, got {type(self.gistar_k).__name__}")
        if self.gistar_k < 0:
            raise ValueError(f"'gistar_k' should be >= 0, got {self.gistar_k}")


@dataclass(frozen=True)
class _StudyArea:
    """Sorted study cells, their centres in metres, and a KD-tree over those centres."""

    cells: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: str
    tree: cKDTree
    area_km2: float


def plan(
    incidents: pl.DataFrame,
    study_cells: Sequence[int] | np.ndarray | pl.Series,
    method: str = DEFAULT_METHOD,
    budget_share: float = DEFAULT_BUDGET_SHARE,
    *,
    now: datetime,
    train_weeks: int = TRAIN_WEEKS,
    params: ScoringParams | None = None,
) -> pl.DataFrame:
    """The cells to patrol: the top ``ceil(budget_share * n_cells)`` study cells by score.

    Parameters
    ----------
    incidents : polars.DataFrame
        An incident frame (see :mod:`data.frames`); reads ``reported_at`` (UTC) and
        ``h3_cell`` (resolution 9), and ``lat``/``lng`` (WGS-84) for ``'kde'``.
    study_cells : sequence of int
        Every resolution-9 cell of the area (e.g. a station's jurisdiction).
    method : str
        One of :data:`METHODS`.
    budget_share : float
        Share of the study cells to cover, in (0, 1].
    now : datetime.datetime
        Time-zone aware; the training window is ``[now - train_weeks, now)``.
    train_weeks : int
        Length of the training window in weeks, >= 1.
    params : ScoringParams, optional
        KDE bandwidth and Gi* neighbourhood.

    Returns
    -------
    polars.DataFrame
        Columns ``cell`` (Int64), ``rank`` (Int32, 1 = patrol first) and ``score`` (Float64:
        incidents, incidents per km², or Gi* z, by method), ``k`` rows in rank order.

    Raises
    ------
    TypeError, ValueError
        On a wrong type, missing column, unknown method, budget outside (0, 1], naive
        ``now``, or study cells that are empty, invalid, or not of resolution 9.
    """
    params = ScoringParams() if params is None else params
    _check_method(method)
    _check_share(budget_share, "budget_share")
    _check_weeks(train_weeks, "train_weeks")
    now = _aware(now, "now")
    area = _study_area(study_cells)
    frame = _incident_frame(incidents, need_coordinates=method in _NEEDS_COORDINATES, area=area)
    train = _window(frame, now - history_weeks(method, train_weeks, params) * _WEEK, now)
    scored = _ranked(train, area, method, params, now=now)
    k = cells_for_budget(area.cells.size, budget_share)
    return scored.head(k).select(
        "cell", pl.int_range(1, k + 1, dtype=pl.Int32).alias("rank"), "score"
    )


def score_cells(
    incidents: pl.DataFrame,
    study_cells: Sequence[int] | np.ndarray | pl.Series,
    method: str = DEFAULT_METHOD,
    params: ScoringParams | None = None,
) -> pl.DataFrame:
    """Score every study cell from all ``incidents`` given (the caller chooses the window).

    Parameters
    ----------
    incidents : polars.DataFrame
        As for :func:`plan`.
    study_cells : sequence of int
        Every resolution-9 cell of the area.
    method : str
        One of :data:`METHODS`.
    params : ScoringParams, optional
        KDE bandwidth and Gi* neighbourhood.

    Returns
    -------
    polars.DataFrame
        One row per study cell in rank order: ``cell``, ``score``, ``count`` (incidents in
        the cell) and ``rank`` (Int32, 1 first).
    """
    params = ScoringParams() if params is None else params
    _check_method(method)
    area = _study_area(study_cells)
    frame = _incident_frame(incidents, need_coordinates=method in _NEEDS_COORDINATES, area=area)
    now = frame["reported_at"].max() + timedelta(microseconds=1) if frame.height else None
    ranked = _ranked(frame, area, method, params, now=now)
    return ranked.select(
        "cell", "score", "count", pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("rank")
    )


def history_weeks(method: str, train_weeks: int, params: ScoringParams | None = None) -> int:
    """Weeks of history before ``now`` that ``method`` reads: ``train_weeks``, except for
    ``'repeat'``, which reads ``params.repeat_history_weeks`` whatever ``train_weeks`` is."""
    params = ScoringParams() if params is None else params
    return params.repeat_history_weeks if method == "repeat" else train_weeks


def cells_for_budget(n_cells: int, share: float) -> int:
    """Number of cells a budget buys: ``ceil(share * n_cells)``, at least 1 for a share > 0.

    The product is rounded to 9 decimals first, so that ``0.05 * 100`` is 5, not 6.
    """
    _check_share(share, "share")
    if n_cells < 1:
        raise ValueError(f"'n_cells' should be >= 1, got {n_cells}")
    return max(1, min(n_cells, math.ceil(round(share * n_cells, 9))))


def evaluate(
    incidents: pl.DataFrame,
    study_cells: Sequence[int] | np.ndarray | pl.Series,
    method: str = DEFAULT_METHOD,
    train_weeks: int = TRAIN_WEEKS,
    test_weeks: int = TEST_WEEKS,
    step_weeks: int = STEP_WEEKS,
    area_shares: Sequence[float] = AREA_SHARES,
    *,
    end: datetime | None = None,
    params: ScoringParams | None = None,
    jurisdictions: Mapping[str, Sequence[int] | np.ndarray] | None = None,
) -> pl.DataFrame:
    """Rolling prospective test: train on ``train_weeks``, test on the next ``test_weeks``.

    Folds are laid backwards from ``end`` every ``step_weeks``: fold 0 tests on
    ``[end - test_weeks, end)`` and trains on the ``train_weeks`` before; earlier folds as
    long as their training window starts at or after the first incident's date (UTC midnight).
    The result is in chronological order.

    Parameters
    ----------
    incidents : polars.DataFrame
        As for :func:`plan`.
    study_cells : sequence of int
        Every resolution-9 cell of the area; test incidents outside it are not counted.
    method : str
        One of :data:`METHODS`.
    train_weeks, test_weeks, step_weeks : int
        Window lengths and the step between folds, in weeks, each >= 1.
    area_shares : sequence of float
        Budgets to report, each in (0, 1].
    end : datetime.datetime, optional
        Time-zone aware end of the last test window; default: UTC midnight after the last
        incident.
    params : ScoringParams, optional
        KDE bandwidth and Gi* neighbourhood.
    jurisdictions : mapping of str to cells, optional
        The stations (or districts) the study area is made of; each fold then tests on
        those that had a training incident (see the module notes).

    Returns
    -------
    polars.DataFrame
        One row per (fold, area share) with the columns of :data:`EVALUATION_SCHEMA`.
        ``hit_rate`` and ``pai`` are null for a fold without training or test incidents.
        Empty when the history is shorter than one fold.
    """
    params = ScoringParams() if params is None else params
    _check_method(method)
    for name, value in (
        ("train_weeks", train_weeks),
        ("test_weeks", test_weeks),
        ("step_weeks", step_weeks),
    ):
        _check_weeks(value, name)
    shares = tuple(area_shares)
    if not shares:
        raise ValueError("'area_shares' should name at least one share")
    for share in shares:
        _check_share(share, "area_shares")
    area = _study_area(study_cells)
    frame = _incident_frame(incidents, need_coordinates=method in _NEEDS_COORDINATES, area=area)
    if frame.is_empty():
        return pl.DataFrame(schema=EVALUATION_SCHEMA)
    first = _midnight(frame["reported_at"].min())
    end = (
        _midnight(frame["reported_at"].max()) + timedelta(days=1)
        if end is None
        else _aware(end, "end")
    )
    folds = []
    test_end = end
    while test_end - (test_weeks + train_weeks) * _WEEK >= first:
        folds.append(test_end)
        test_end -= step_weeks * _WEEK
    rows = [
        _fold_rows(
            frame,
            area,
            method,
            params,
            shares,
            fold_end=fold_end,
            train_weeks=train_weeks,
            test_weeks=test_weeks,
            jurisdictions=_jurisdiction_cells(jurisdictions, area),
        )
        for fold_end in reversed(folds)
    ]
    if not rows:
        return pl.DataFrame(schema=EVALUATION_SCHEMA)
    return (
        pl.concat(rows)
        .with_columns(
            pl.lit(method).alias("method"),
            (pl.col("test_start").rank("dense") - 1).cast(pl.Int32).alias("fold"),
        )
        .select([pl.col(c).cast(t) for c, t in EVALUATION_SCHEMA.items()])
    )


def summarise(evaluation: pl.DataFrame) -> pl.DataFrame:
    """Summary of :func:`evaluate` per method and area share.

    Parameters
    ----------
    evaluation : polars.DataFrame
        Rows of :func:`evaluate` (several methods may be concatenated).

    Returns
    -------
    polars.DataFrame
        ``method``, ``area_share``, ``folds`` (with test incidents), ``hit_rate_mean``,
        ``hit_rate_median``, ``pai_mean``, ``pai_median``, and the pooled ``hit_rate_pooled``
        (all hits / all test incidents) and ``pai_pooled``; ordered by method then share.
    """
    missing = [c for c in EVALUATION_SCHEMA if c not in evaluation.columns]
    if missing:
        raise ValueError(f"'evaluation' lacks column(s) {missing}: pass evaluate()'s output")
    scored = evaluation.filter(pl.col("hit_rate").is_not_null())
    pooled_rate = pl.col("hits").sum() / pl.col("test_incidents").sum()
    return (
        scored.group_by("method", "area_share", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("folds"),
            pl.col("hit_rate").mean().alias("hit_rate_mean"),
            pl.col("hit_rate").median().alias("hit_rate_median"),
            pl.col("pai").mean().alias("pai_mean"),
            pl.col("pai").median().alias("pai_median"),
            pooled_rate.alias("hit_rate_pooled"),
            (pooled_rate / pl.col("realised_area_share").mean()).alias("pai_pooled"),
        )
        .sort("method", "area_share", maintain_order=True)
    )


def accuracy_panel(
    incidents: pl.DataFrame,
    study_cells: Sequence[int] | np.ndarray | pl.Series,
    method: str = DEFAULT_METHOD,
    budget_share: float = DEFAULT_BUDGET_SHARE,
    *,
    now: datetime,
    weeks: int = PANEL_WEEKS,
    train_weeks: int = TRAIN_WEEKS,
    params: ScoringParams | None = None,
    jurisdictions: Mapping[str, Sequence[int] | np.ndarray] | None = None,
) -> pl.DataFrame:
    """How well the plan predicted each of the last ``weeks`` weeks, prospectively.

    Week ``i`` is the 7 days ``[now - (i + 1) weeks, now - i weeks)``; its plan is trained
    on the ``train_weeks`` before it, exactly as :func:`plan` would have produced it then.

    Parameters
    ----------
    incidents, study_cells, method, budget_share, train_weeks, params
        As for :func:`plan`.
    jurisdictions : mapping of str to cells, optional
        As for :func:`evaluate`: each week tests on the jurisdictions with training incidents.
    now : datetime.datetime
        Time-zone aware end of the last week shown.
    weeks : int
        Number of weeks, >= 1.

    Returns
    -------
    polars.DataFrame
        One row per week, oldest first: ``week_start``, ``week_end`` (UTC),
        ``train_incidents``, ``test_incidents``, ``hits``, ``hit_rate``, ``pai`` (null
        without training or test incidents), the realised ``area_share``, the study area
        tested (``n_cells``, ``area_km2``), and the panel's headline over the weeks with a
        PAI (the same on every row): ``hit_rate_pooled``, ``pai_pooled``,
        ``test_incidents_pooled``, ``train_incidents_pooled`` and ``area_km2_mean``.
    """
    params = ScoringParams() if params is None else params
    _check_method(method)
    _check_share(budget_share, "budget_share")
    _check_weeks(weeks, "weeks")
    _check_weeks(train_weeks, "train_weeks")
    now = _aware(now, "now")
    area = _study_area(study_cells)
    frame = _incident_frame(incidents, need_coordinates=method in _NEEDS_COORDINATES, area=area)
    juris = _jurisdiction_cells(jurisdictions, area)
    rows = [
        _fold_rows(
            frame,
            area,
            method,
            params,
            (budget_share,),
            fold_end=now - i * _WEEK,
            train_weeks=train_weeks,
            test_weeks=1,
            jurisdictions=juris,
        )
        for i in reversed(range(weeks))
    ]
    panel = pl.concat(rows)
    scored = pl.col("pai").is_not_null()
    hits = pl.col("hits").filter(scored).sum()
    tested = pl.col("test_incidents").filter(scored).sum()
    pooled_rate = pl.when(tested > 0).then(hits / tested)
    return panel.select(
        pl.col("test_start").alias("week_start"),
        pl.col("test_end").alias("week_end"),
        "train_incidents",
        "test_incidents",
        "hits",
        "hit_rate",
        "pai",
        pl.col("realised_area_share").alias("area_share"),
        "n_cells",
        "area_km2",
        pooled_rate.alias("hit_rate_pooled"),
        (pooled_rate / pl.col("realised_area_share").filter(scored).mean()).alias("pai_pooled"),
        tested.alias("test_incidents_pooled"),
        pl.col("train_incidents").filter(scored).sum().alias("train_incidents_pooled"),
        pl.col("area_km2").filter(scored).mean().alias("area_km2_mean"),
    )


# -- private helpers ---------------------------------------------------------------------


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"'method' should be one of {METHODS}, got {method!r}")


def _check_share(share: float, name: str) -> None:
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ValueError(f"'{name}' should be a share in (0, 1], got {share!r}")


def _check_weeks(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"'{name}' should be a whole number of weeks >= 1, got {value!r}")


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"'{name}' should be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"'{name}' should be time-zone aware, got naive {moment.isoformat()}")
    return moment


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _study_area(study_cells: Sequence[int] | np.ndarray | pl.Series) -> _StudyArea:
    cells = np.unique(np.asarray(study_cells, dtype=np.int64).ravel())
    if cells.size == 0:
        raise ValueError("'study_cells' is empty: give every H3 cell of the area")
    grid_disks(cells, 0)  # raises on invalid cells or mixed resolutions
    if cell_resolution(int(cells[0])) != BASE_RESOLUTION:
        raise ValueError(
            f"'study_cells' should be H3 resolution {BASE_RESOLUTION}, "
            f"got {cell_resolution(int(cells[0]))}"
        )
    centres = np.array([cell_to_latlng(int(c)) for c in cells])
    x, y, crs = to_local_metres(centres[:, 0], centres[:, 1])
    return _StudyArea(cells, x, y, crs, cKDTree(np.column_stack([x, y])), cells_area_km2(cells))


def _incident_frame(
    incidents: pl.DataFrame, *, need_coordinates: bool, area: _StudyArea
) -> pl.DataFrame:
    """Validated incidents inside the study cells: reported_at (UTC), cell (and x, y)."""
    if not isinstance(incidents, pl.DataFrame):
        raise TypeError(f"'incidents' should be a polars DataFrame, got {type(incidents).__name__}")
    needed = ["reported_at", "h3_cell"] + (["lat", "lng"] if need_coordinates else [])
    missing = [c for c in needed if c not in incidents.columns]
    if missing:
        raise ValueError(f"'incidents' lacks column(s) {missing}; has {incidents.columns}")
    reported = incidents.schema["reported_at"]
    if not isinstance(reported, pl.Datetime) or reported.time_zone is None:
        raise TypeError(
            "'incidents' column 'reported_at' should be a time-zone aware Datetime (UTC), "
            f"got {reported}"
        )
    if not incidents.schema["h3_cell"].is_integer():
        raise TypeError(
            f"'incidents' column 'h3_cell' should be an integer H3 cell, "
            f"got {incidents.schema['h3_cell']}"
        )
    columns = [
        pl.col("reported_at").dt.convert_time_zone("UTC"),
        pl.col("h3_cell").cast(pl.Int64).alias("cell"),
    ]
    if need_coordinates:
        columns += [pl.col("lat").cast(pl.Float64), pl.col("lng").cast(pl.Float64)]
    frame = (
        incidents.select(columns)
        .drop_nulls()
        .join(pl.DataFrame({"cell": area.cells}), on="cell", how="semi")
        .sort("reported_at")
    )
    if need_coordinates:
        frame = frame.filter(pl.col("lat").is_not_nan() & pl.col("lng").is_not_nan())
        x, y = _project(frame["lat"].to_numpy(), frame["lng"].to_numpy(), area.crs)
        frame = frame.drop("lat", "lng").with_columns(pl.Series("x", x), pl.Series("y", y))
    return frame


def _project(lat: np.ndarray, lng: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project into the study area's UTM zone (not the incidents' own, so folds agree)."""
    if lat.size == 0:
        return np.zeros(0), np.zeros(0)
    transformer = metric_transformer(int(crs.removeprefix("EPSG:")))
    x, y = transformer.transform(lng, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _window(frame: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Incidents with ``start <= reported_at < end`` (the frame is sorted by time)."""
    return frame.filter(pl.col("reported_at").is_between(start, end, closed="left"))


def _ranked(
    train: pl.DataFrame,
    area: _StudyArea,
    method: str,
    params: ScoringParams,
    *,
    now: datetime | None,
) -> pl.DataFrame:
    """Every study cell with score, count and last incident, in rank order."""
    per_cell = train.group_by("cell").agg(
        pl.len().cast(pl.Int64).alias("count"), pl.col("reported_at").max().alias("last_at")
    )
    cells = pl.DataFrame({"cell": area.cells}).join(per_cell, on="cell", how="left")
    cells = cells.with_columns(pl.col("count").fill_null(0))
    counts = cells["count"].to_numpy().astype(np.float64)
    if method == "counts":
        score = counts
    elif method == "kde":
        score = _kde_scores(train, area, params)
    elif method == "repeat":
        score = _repeat_scores(train, area, params, now)
    else:
        observed = cells.select("cell", "count").filter(pl.col("count") > 0)
        gi = hotspot.compute(observed, k=params.gistar_k, study_cells=area.cells)
        score = gi["z"].to_numpy()  # hotspot sorts by cell, as area.cells is
        # Halo and empty cells after every cell hot by (or holding) incidents of its own.
        demoted = gi["halo"].to_numpy() | (counts == 0)
        return (
            cells.with_columns(
                pl.Series("score", score, dtype=pl.Float64), pl.Series("_demoted", demoted)
            )
            .sort(
                ["_demoted", "score", "count", "last_at", "cell"],
                descending=[False, True, True, True, False],
                nulls_last=True,
            )
            .drop("_demoted")
        )
    return cells.with_columns(pl.Series("score", score, dtype=pl.Float64)).sort(
        ["score", "count", "last_at", "cell"],
        descending=[True, True, True, False],
        nulls_last=True,
    )


def _kde_scores(train: pl.DataFrame, area: _StudyArea, params: ScoringParams) -> np.ndarray:
    """Gaussian kernel density at the study cells' centres, incidents per km²."""
    x, y = train["x"].to_numpy(), train["y"].to_numpy()
    return _density(area, x, y, np.ones(x.size), params.kde_bandwidth_m, params) * 1e6


def _density(
    area: _StudyArea,
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    bandwidth_m: float,
    params: ScoringParams,
) -> np.ndarray:
    """Weighted Gaussian kernel density at the study cells' centres, per m²."""
    if x.size == 0:
        return np.zeros(area.cells.size)
    points = cKDTree(np.column_stack([x, y]))
    near = area.tree.sparse_distance_matrix(
        points, params.kde_cutoff_bandwidths * bandwidth_m, output_type="coo_matrix"
    )
    kernel = np.exp(-0.5 * (near.data / bandwidth_m) ** 2) / (2.0 * math.pi * bandwidth_m**2)
    return np.bincount(near.row, weights=kernel * weight[near.col], minlength=area.cells.size)


def _repeat_scores(
    history: pl.DataFrame, area: _StudyArea, params: ScoringParams, now: datetime | None
) -> np.ndarray:
    """The 'repeat' method's score: decayed background density + repeat-location density,
    each normalised to sum to 1 over the study cells (see the module notes)."""
    if history.is_empty() or now is None:
        return np.zeros(area.cells.size)
    x, y = history["x"].to_numpy(), history["y"].to_numpy()
    age_days = (now - history["reported_at"]).dt.total_microseconds().to_numpy() / 86_400e6
    weight = 0.5 ** (age_days / params.repeat_half_life_days)
    background = _density(area, x, y, weight, params.repeat_background_m, params)
    snap = params.repeat_snap_m
    location = np.round(x / snap).astype(np.int64) * (1 << 31) + np.round(y / snap).astype(np.int64)
    _, which, per_location = np.unique(location, return_inverse=True, return_counts=True)
    repeated = per_location[which] >= 2
    repeat = _density(
        area, x[repeated], y[repeated], weight[repeated], params.repeat_location_m, params
    )
    return _unit(background) + params.repeat_weight * _unit(repeat)


def _unit(values: np.ndarray) -> np.ndarray:
    total = float(values.sum())
    return values / total if total > 0 else values


def _fold_rows(
    frame: pl.DataFrame,
    area: _StudyArea,
    method: str,
    params: ScoringParams,
    shares: tuple[float, ...],
    *,
    fold_end: datetime,
    train_weeks: int,
    test_weeks: int,
    jurisdictions: tuple[np.ndarray, ...] | None = None,
) -> pl.DataFrame:
    """Train before ``test_start``, test on ``[test_start, fold_end)``, per area share.

    With ``jurisdictions``, the fold's study area is the union of those with a training
    incident (none: the fold has no PAI)."""
    test_start = fold_end - test_weeks * _WEEK
    train_start = test_start - train_weeks * _WEEK
    train = _window(frame, train_start, test_start)
    if jurisdictions is not None:
        whole = area
        area = _active_area(area, jurisdictions, train["cell"].to_numpy())
        if area is not None and area is not whole:
            inside = pl.DataFrame({"cell": area.cells})
            frame = frame.join(inside, on="cell", how="semi")
            train = _window(frame, train_start, test_start)
    test = _window(frame, test_start, fold_end) if area is not None else frame.clear()
    schema = {c: t for c, t in EVALUATION_SCHEMA.items() if c not in ("method", "fold")}
    if area is None or train.is_empty():
        rows = [
            {
                "train_start": train_start,
                "test_start": test_start,
                "test_end": fold_end,
                "area_share": float(share),
                "cells_selected": 0,
                "n_cells": 0 if area is None else area.cells.size,
                "area_km2": 0.0 if area is None else area.area_km2,
                "realised_area_share": None,
                "train_incidents": 0,
                "test_incidents": test.height,
                "hits": 0,
                "hit_rate": None,
                "pai": None,
            }
            for share in shares
        ]
        return pl.DataFrame(rows, schema=schema)
    history_start = test_start - history_weeks(method, train_weeks, params) * _WEEK
    history = train if history_start == train_start else _window(frame, history_start, test_start)
    ranked = _ranked(history, area, method, params, now=test_start)
    rank_of = ranked.select("cell", pl.int_range(pl.len(), dtype=pl.Int64).alias("position"))
    test_positions = test.join(rank_of, on="cell", how="inner")["position"].to_numpy()
    n_cells = area.cells.size
    rows = []
    for share in shares:
        k = cells_for_budget(n_cells, share)
        hits = int((test_positions < k).sum())
        n_test = test.height
        hit_rate = hits / n_test if n_test else None
        realised = k / n_cells
        rows.append(
            {
                "train_start": train_start,
                "test_start": test_start,
                "test_end": fold_end,
                "area_share": float(share),
                "cells_selected": k,
                "n_cells": n_cells,
                "area_km2": area.area_km2,
                "realised_area_share": realised,
                "train_incidents": train.height,
                "test_incidents": n_test,
                "hits": hits,
                "hit_rate": hit_rate,
                "pai": None if hit_rate is None else hit_rate / realised,
            }
        )
    return pl.DataFrame(rows, schema=schema)


def _jurisdiction_cells(
    jurisdictions: Mapping[str, Sequence[int] | np.ndarray] | None, area: _StudyArea
) -> tuple[np.ndarray, ...] | None:
    """Each jurisdiction's cells that lie in the study area (sorted), or None."""
    if jurisdictions is None:
        return None
    out = []
    for code, cells in jurisdictions.items():
        own = np.unique(np.asarray(cells, dtype=np.int64).ravel())
        if own.size and not np.isin(own, area.cells).all():
            raise ValueError(f"jurisdiction {code!r} has cells outside 'study_cells'")
        out.append(own)
    return tuple(out)


def _active_area(
    area: _StudyArea, jurisdictions: tuple[np.ndarray, ...], train_cells: np.ndarray
) -> _StudyArea | None:
    """The study area cut to the jurisdictions with a training incident (None if none)."""
    active = [cells for cells in jurisdictions if np.isin(cells, train_cells).any()]
    if not active:
        return None
    cells = np.unique(np.concatenate(active))
    if cells.size == area.cells.size:
        return area
    return _study_area(cells)
