"""One kind of incident reference in every layer: ``incident_ids`` are incident numbers.

The API's users and the dashboard's links see incident numbers (``incident_no``); a layer that
listed database ids instead (the early-warning list did) named other incidents, or none, to
anyone who looked them up by number. Run over the demo district through the registry, every
layer with an ``incident_ids`` column must list numbers of incidents it was given.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from data.demo.scenario import generate
from layers.registry import REGISTRY, LayerContext, run_layer

END = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> tuple[pl.DataFrame, pl.DataFrame]:
    batches = list(generate(3_000, seed=11, end=END))
    incidents = pl.concat([b.incidents for b in batches]).with_row_index("id", offset=1)
    incidents = incidents.with_columns(pl.col("id").cast(pl.Int64))
    visits = (
        pl.concat([b.follow_ups for b in batches])
        .join(incidents.select("id", "incident_no"), on="incident_no")
        .select(pl.col("id").alias("incident_id"), "visited_at")
    )
    return incidents, visits


def test_every_layer_lists_incident_numbers(demo):
    incidents, visits = demo
    cells = incidents["h3_cell"].drop_nulls().unique().to_numpy().astype(np.int64)
    context = LayerContext(now=END, study_cells=cells, visits=visits)
    numbers = set(incidents["incident_no"].to_list())
    ids = set(incidents["id"].cast(pl.String).to_list())
    checked = []
    for layer_id in REGISTRY:
        try:
            result = run_layer(layer_id, incidents, context)
        except ValueError:
            continue  # a layer the demo's history does not suit; its own tests cover it
        if "incident_ids" not in result.columns or result.is_empty():
            continue
        assert result.schema["incident_ids"] == pl.List(pl.String), layer_id
        listed = set(result["incident_ids"].explode().drop_nulls().to_list())
        assert listed and listed <= numbers, layer_id
        assert not listed & (ids - numbers), layer_id  # no database id among them
        checked.append(layer_id)
    assert {"early_warning", "repeat_addresses", "repeat_people"} <= set(checked)
