"""The layer registry: parameters are validated, and every registered layer runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from geo.h3cells import grid_disk, latlng_to_cells, str_to_cell
from layers.registry import REGISTRY, LayerContext, Param, layer, run_layer

CENTRE = str_to_cell("89411cac4abffff")  # a resolution-9 cell in Bao'an
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def incidents() -> pl.DataFrame:
    """600 incidents over 30 weeks in a ~2 km patch, a third of them in one tight cluster."""
    rng = np.random.default_rng(11)
    n = 600
    lat = np.where(
        rng.random(n) < 0.33, 22.560 + rng.normal(0, 0.0008, n), rng.uniform(22.545, 22.575, n)
    )
    lng = np.where(lat > 0, 113.883 + rng.normal(0, 0.0008, n), 0)
    uniform = rng.random(n) >= 0.33
    lng[uniform] = rng.uniform(113.868, 113.898, uniform.sum())
    seconds = rng.uniform(0, 30 * 7 * 86400, n)
    times = [NOW - timedelta(seconds=float(s)) for s in seconds]
    return pl.DataFrame(
        {
            "id": np.arange(n),
            "reported_at": times,
            "lat": lat,
            "lng": lng,
            "h3_cell": latlng_to_cells(lat, lng),
            "category": ["domestic_violence"] * n,
            "station_code": ["BA01"] * n,
            # every tenth incident at one of 20 households, so repeats exist
            "address_key": [
                f"翻身路{i % 20}栋302室" if i % 10 == 0 else f"路{i}号" for i in range(n)
            ],
            "address_raw": [None] * n,
            "victim_key": [f"v{i % 20}" if i % 10 == 0 else f"v{i}" for i in range(n)],
            "offender_key": [None] * n,
        }
    )


@pytest.fixture(scope="module")
def context(incidents) -> LayerContext:
    study = np.unique(
        np.concatenate(
            [np.array(grid_disk(c, 1)) for c in np.unique(incidents["h3_cell"].to_numpy())]
        )
    )
    return LayerContext(now=NOW, study_cells=study, res=9)


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, LayerContext]:
    """Five thousand demo incidents of Bao'an with ids, their visits, and the district's cells."""
    from shapely import union_all

    from data.demo.baoan import jurisdictions
    from data.demo.scenario import generate
    from geo.h3cells import polygon_to_cells

    end = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)
    batches = list(generate(5_000, seed=3, end=end))
    incidents = (
        pl.concat([b.incidents for b in batches])
        .with_row_index("id", 1)
        .with_columns(pl.col("id").cast(pl.Int64))
    )
    ids = incidents.select("incident_no", incident_id="id")
    visits = pl.concat([b.follow_ups for b in batches]).join(ids, on="incident_no")
    area = union_all([j.boundary for j in jurisdictions()])
    study = np.array(polygon_to_cells(area, 9), dtype=np.int64)
    return incidents, LayerContext(
        now=end, study_cells=study, res=8, visits=visits.select("incident_id", "visited_at")
    )


@pytest.mark.parametrize("layer_id", sorted(REGISTRY))
def test_every_layer_runs_on_the_demo_district(layer_id, demo):
    incidents, context = demo
    spec = layer(layer_id)
    # Five thousand incidents over three years are sparse: give the Knox test two years.
    params = {"history_days": 730} if layer_id == "near_repeat" else {}
    out = run_layer(layer_id, incidents, context, params)
    assert spec.value_column in out.columns
    if spec.geometry == "cells":
        assert "cell" in out.columns
    if spec.geometry == "points":
        assert {"lat", "lng"} <= set(out.columns)
    assert out.height > 0, f"{layer_id} found nothing in five thousand demo incidents"


@pytest.mark.parametrize("layer_id", ["counts", "hotspot", "patrol_plan"])
def test_cell_layers_run_on_the_synthetic_patch(layer_id, incidents, context):
    out = run_layer(layer_id, incidents, context)
    assert out.height > 0 and "cell" in out.columns


def test_hotspot_finds_the_cluster(incidents, context):
    out = run_layer("hotspot", incidents, context, {"k": "1"})
    cluster_cell = latlng_to_cells(np.array([22.560]), np.array([113.883]))[0]
    row = out.filter(pl.col("cell") == cluster_cell)
    assert row["gi_class"][0] == 3


def test_parameters_are_typed_and_bounded():
    spec = layer("hotspot")
    assert spec.parse_params({}) == {"k": 1, "fdr": True}
    assert spec.parse_params({"k": "2", "fdr": "false"}) == {"k": 2, "fdr": False}
    with pytest.raises(ValueError, match="'k': 'two' is not a whole number"):
        spec.parse_params({"k": "two"})
    with pytest.raises(ValueError, match="'k': 9 is above 5"):
        spec.parse_params({"k": "9"})
    with pytest.raises(ValueError, match="has no parameter radius"):
        spec.parse_params({"radius": "1"})
    with pytest.raises(ValueError, match="not a finite number"):
        Param("x", float, 1.0).parse("nan")
    with pytest.raises(ValueError, match="not one of"):
        layer("patrol_plan").parse_params({"method": "crystal_ball"})


def test_unknown_layer_and_missing_columns_are_named(incidents, context):
    with pytest.raises(KeyError, match="no layer 'nope'; known layers"):
        layer("nope")
    with pytest.raises(ValueError, match="needs columns: h3_cell"):
        run_layer("hotspot", incidents.drop("h3_cell"), context)
