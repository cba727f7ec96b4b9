"""The layer registry: one entry per analytic layer, keyed by a stable id.

Each :class:`LayerSpec` declares what the layer draws (``cells``, ``points`` or a ``table``),
the incident columns it reads, its typed parameters (with defaults and bounds, so the API and
the UI can validate and render them) and how its result is coloured. ``run`` adapts the
layer's own function to one calling convention: the filtered incidents, a
:class:`LayerContext` (the time "now", the study area, the display resolution) and the
validated parameters. Nothing here touches Dash or the database.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import polars as pl

from geo.h3cells import BASE_RESOLUTION, cells_to_parent
from layers import (
    early_warning,
    emerging_hotspot,
    hotspot,
    near_repeat,
    patrol_plan,
    repeat_addresses,
    repeat_people,
    service_levels,
)
from layers.counts import cell_counts

#: Days of history the near-repeat Knox test reads by default (a season of incidents).
NEAR_REPEAT_HISTORY_DAYS = 90

Geometry = Literal["cells", "points", "table"]
Legend = Literal["sequential", "diverging", "categorical", "none"]


#: How an error message names each parameter type.
_KIND_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


@dataclass(frozen=True)
class Param:
    """A typed layer parameter: name, type, default and the range or choices allowed."""

    name: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()

    def parse(self, raw: Any) -> Any:
        """Convert ``raw`` (a query-string value or JSON value) to this type, or say why not."""
        try:
            if self.kind is bool:
                if isinstance(raw, bool):
                    value = raw
                elif str(raw).strip().lower() in ("1", "true", "yes", "on"):
                    value = True
                elif str(raw).strip().lower() in ("0", "false", "no", "off"):
                    value = False
                else:
                    raise ValueError
            else:
                value = self.kind(raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"parameter {self.name!r}: {raw!r} is not {_KIND_WORDS[self.kind]}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"parameter {self.name!r}: {raw!r} is not a finite number")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"parameter {self.name!r}: {value} is below {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"parameter {self.name!r}: {value} is above {self.maximum}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(map(str, self.choices))
            raise ValueError(f"parameter {self.name!r}: {value!r} is not one of {allowed}")
        return value


@dataclass(frozen=True)
class LayerContext:
    """What a layer needs besides incidents: the time now (UTC), the area and the resolution.

    ``study_cells`` are the resolution-9 cells covering the stations in view; zero-count cells
    among them matter to the hot-spot statistics.
    """

    now: datetime
    study_cells: np.ndarray
    res: int = BASE_RESOLUTION
    time_zone: str = "Asia/Shanghai"
    #: Follow-up visits of the incidents (``incident_id``, ``visited_at``), for service levels.
    visits: pl.DataFrame | None = None
    #: Station code → its resolution-9 cells, when the user selected no station: the patrol
    #: accuracy then tests on the stations that had incidents, not on every one in view.
    jurisdictions: Mapping[str, np.ndarray] | None = None


@dataclass(frozen=True)
class LayerSpec:
    """One analytic layer as the registry knows it."""

    id: str
    geometry: Geometry
    needs: tuple[str, ...]
    params: tuple[Param, ...]
    #: Column that colours the map (cells/points) or orders the table.
    value_column: str
    legend: Legend
    run: Callable[[pl.DataFrame, LayerContext, dict[str, Any]], pl.DataFrame] = field(repr=False)
    #: Days of incidents before "now" the layer reads, from its parameters (None: only what
    #: the caller's date range holds). Callers that pick the range widen it to this.
    history: Callable[[dict[str, Any]], int] | None = field(default=None, repr=False)

    def history_days(self, params: Mapping[str, Any]) -> int | None:
        """Days of history before "now" the layer reads with ``params`` (parsed), or None."""
        return None if self.history is None else int(self.history(dict(params)))

    def parse_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate raw parameters (unknown names are refused); defaults fill the rest."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"layer {self.id!r} has no parameter {', '.join(unknown)}")
        return {
            name: (p.parse(raw[name]) if name in raw else p.default) for name, p in known.items()
        }


def _study_at(context: LayerContext, res: int) -> np.ndarray:
    if res == BASE_RESOLUTION:
        return np.unique(context.study_cells)
    frame = pl.DataFrame({"c": context.study_cells}).select(cells_to_parent("c", res))
    return np.unique(frame.to_series().to_numpy())


def _in_study(incidents: pl.DataFrame, context: LayerContext) -> pl.DataFrame:
    return incidents.filter(pl.col("h3_cell").is_in(context.study_cells.tolist()))


def _run_counts(incidents: pl.DataFrame, context: LayerContext, params: dict) -> pl.DataFrame:
    return cell_counts(incidents, context.res)


def _run_hotspot(incidents: pl.DataFrame, context: LayerContext, params: dict) -> pl.DataFrame:
    counts = cell_counts(_in_study(incidents, context), context.res)
    return hotspot.compute(
        counts, k=params["k"], study_cells=_study_at(context, context.res), fdr=params["fdr"]
    )


def _run_emerging(incidents: pl.DataFrame, context: LayerContext, params: dict) -> pl.DataFrame:
    return emerging_hotspot.compute(
        _in_study(incidents, context),
        res=context.res,
        end=context.now,
        n_steps=params["weeks"],
        k=params["k"],
        study_cells=_study_at(context, context.res),
    )


def _run_near_repeat(incidents: pl.DataFrame, context: LayerContext, params: dict) -> pl.DataFrame:
    nr_params = near_repeat.NearRepeatParams(
        permutations=params["permutations"], time_zone=context.time_zone
    )
    since = context.now - timedelta(days=params["history_days"])
    located = incidents.filter(
        pl.col("lat").is_not_null()
        & pl.col("lng").is_not_null()
        & pl.col("reported_at").is_between(since, context.now, closed="left")
    )
    knox = near_repeat.knox_test(located, nr_params)
    return near_repeat.near_repeat_zones(located, knox, context.now, nr_params)


def _run_patrol_plan(incidents: pl.DataFrame, context: LayerContext, params: dict) -> pl.DataFrame:
    return patrol_plan.plan(
        _in_study(incidents, context),
        context.study_cells,
        params["method"],
        params["budget_share"],
        now=context.now,
        train_weeks=params["train_weeks"],
    )


def _run_patrol_accuracy(
    incidents: pl.DataFrame, context: LayerContext, params: dict
) -> pl.DataFrame:
    return patrol_plan.accuracy_panel(
        _in_study(incidents, context),
        context.study_cells,
        params["method"],
        params["budget_share"],
        now=context.now,
        weeks=params["weeks"],
        train_weeks=params["train_weeks"],
        jurisdictions=context.jurisdictions,
    )


def _run_repeat_addresses(
    incidents: pl.DataFrame, context: LayerContext, params: dict
) -> pl.DataFrame:
    return repeat_addresses.compute(
        incidents,
        repeat_addresses.RepeatAddressParams(
            min_incidents=params["min_incidents"], snap_distance_m=params["snap_distance_m"]
        ),
    ).sort("count", "last_at", descending=True)


def _run_repeat_people(
    incidents: pl.DataFrame, context: LayerContext, params: dict
) -> pl.DataFrame:
    return repeat_people.compute(
        incidents, repeat_people.RepeatPeopleParams(min_incidents=params["min_incidents"])
    ).sort("count", "last_at", descending=True)


def _run_early_warning(
    incidents: pl.DataFrame, context: LayerContext, params: dict
) -> pl.DataFrame:
    ew = early_warning.EarlyWarningParams(
        new_incident_days=params["new_incident_days"],
        high_risk_days=params["high_risk_days"],
    )
    return early_warning.compute(incidents, context.visits, context.now, ew)


def _run_service_levels(
    incidents: pl.DataFrame, context: LayerContext, params: dict
) -> pl.DataFrame:
    out = service_levels.compute(incidents, context.visits, context.now)
    if params["state"] != "all":
        out = out.filter(pl.col("state") == params["state"])
    return out.sort("overdue_hours", descending=True)


REGISTRY: dict[str, LayerSpec] = {
    spec.id: spec
    for spec in (
        LayerSpec("counts", "cells", ("h3_cell",), (), "count", "sequential", _run_counts),
        LayerSpec(
            hotspot.LAYER_ID,
            "cells",
            ("h3_cell",),
            (Param("k", int, hotspot.DEFAULT_K, 0, 5), Param("fdr", bool, True)),
            "label",
            "diverging",
            _run_hotspot,
        ),
        LayerSpec(
            emerging_hotspot.LAYER_ID,
            "cells",
            ("h3_cell", "reported_at"),
            (
                Param("k", int, hotspot.DEFAULT_K, 0, 3),
                Param("weeks", int, 26, emerging_hotspot.MIN_TIME_STEPS, 156),
            ),
            "category",
            "categorical",
            _run_emerging,
            history=lambda p: 7 * p["weeks"],
        ),
        LayerSpec(
            near_repeat.LAYER_ID,
            "cells",
            ("reported_at", "lat", "lng"),
            (
                Param("permutations", int, near_repeat.PERMUTATIONS, 9, 999),
                # The Knox table is read from this much history before "now".
                Param("history_days", int, NEAR_REPEAT_HISTORY_DAYS, 14, 730),
            ),
            "source_incidents",
            "sequential",
            _run_near_repeat,
            history=lambda p: p["history_days"],
        ),
        LayerSpec(
            patrol_plan.LAYER_ID,
            "cells",
            ("h3_cell", "reported_at", "lat", "lng"),
            (
                Param("method", str, patrol_plan.DEFAULT_METHOD, choices=patrol_plan.METHODS),
                Param("budget_share", float, patrol_plan.DEFAULT_BUDGET_SHARE, 0.001, 0.5),
                Param("train_weeks", int, patrol_plan.TRAIN_WEEKS, 1, 104),
            ),
            "rank",
            "sequential",
            _run_patrol_plan,
            history=lambda p: 7 * patrol_plan.history_weeks(p["method"], p["train_weeks"]),
        ),
        LayerSpec(
            # How well the patrol plan predicted each of the last weeks, prospectively:
            # what the station chief reads beside the plan before trusting it.
            "patrol_accuracy",
            "table",
            ("h3_cell", "reported_at", "lat", "lng"),
            (
                Param("method", str, patrol_plan.DEFAULT_METHOD, choices=patrol_plan.METHODS),
                Param("budget_share", float, patrol_plan.DEFAULT_BUDGET_SHARE, 0.001, 0.5),
                Param("weeks", int, patrol_plan.PANEL_WEEKS, 1, 52),
                Param("train_weeks", int, patrol_plan.TRAIN_WEEKS, 1, 104),
            ),
            "pai",
            "none",
            _run_patrol_accuracy,
            history=lambda p: (
                7 * (p["weeks"] + patrol_plan.history_weeks(p["method"], p["train_weeks"]))
            ),
        ),
        LayerSpec(
            repeat_addresses.LAYER_ID,
            "points",
            repeat_addresses.REQUIRED_COLUMNS,
            (
                Param("min_incidents", int, repeat_addresses.MIN_INCIDENTS, 2, 100),
                Param("snap_distance_m", float, repeat_addresses.SNAP_DISTANCE_M, 1, 1000),
            ),
            "count",
            "sequential",
            _run_repeat_addresses,
        ),
        LayerSpec(
            repeat_people.LAYER_ID,
            "table",
            (*repeat_people.REQUIRED_COLUMNS, "victim_key", "offender_key"),
            (Param("min_incidents", int, repeat_people.MIN_INCIDENTS, 2, 100),),
            "count",
            "none",
            _run_repeat_people,
        ),
        LayerSpec(
            early_warning.LAYER_ID,
            "table",
            early_warning.REQUIRED_COLUMNS,
            (
                Param(
                    "new_incident_days",
                    int,
                    early_warning.EarlyWarningParams.new_incident_days,
                    1,
                    90,
                ),
                Param(
                    "high_risk_days", int, early_warning.EarlyWarningParams.high_risk_days, 1, 365
                ),
            ),
            "score",
            "none",
            _run_early_warning,
        ),
        LayerSpec(
            service_levels.LAYER_ID,
            "table",
            service_levels.REQUIRED_COLUMNS,
            (Param("state", str, "all", choices=("all", *service_levels.STATES)),),
            "overdue_hours",
            "none",
            _run_service_levels,
        ),
    )
}


def layer(layer_id: str) -> LayerSpec:
    """The registered layer ``layer_id``; ``KeyError`` naming the known ids otherwise."""
    try:
        return REGISTRY[layer_id]
    except KeyError:
        raise KeyError(
            f"no layer {layer_id!r}; known layers: {', '.join(sorted(REGISTRY))}"
        ) from None


#: Columns that say where an incident is: layers read them only for ``located`` incidents.
POSITION_COLUMNS: tuple[str, ...] = ("lat", "lng", "h3_cell")


def located_positions_only(incidents: pl.DataFrame) -> pl.DataFrame:
    """The incidents with no position for any row that is not ``located``.

    An ``outside`` row (far away, ``(0, 0)``, another province) or an ``unlocated`` one keeps
    its place in counts that need no position (service levels, repeat people), but its
    ``lat``, ``lng`` and H3 cells (``h3_cell`` and the coarser ``h3_<res>``) are empty, so no
    spatial layer reads it: a far-away point neither stretches the near-repeat area nor
    splits a repeat address. The store already keeps these empty; this holds for any frame.
    """
    if "location_state" not in incidents.columns:
        return incidents
    apart = pl.col("location_state") != "located"
    columns = [c for c in incidents.columns if c in POSITION_COLUMNS or c.startswith("h3_")]
    return incidents.with_columns(
        pl.when(apart).then(None).otherwise(pl.col(c)).alias(c) for c in columns
    )


def run_layer(
    layer_id: str,
    incidents: pl.DataFrame,
    context: LayerContext,
    raw_params: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Validate the parameters and run one layer on already-filtered incidents.

    Rows that are not ``located`` reach the layer without a position
    (:func:`located_positions_only`).
    """
    spec = layer(layer_id)
    missing = [c for c in spec.needs if c not in incidents.columns]
    if missing:
        raise ValueError(f"layer {layer_id!r} needs columns: {', '.join(missing)}")
    incidents = located_positions_only(incidents)
    return spec.run(incidents, context, spec.parse_params(raw_params or {}))
