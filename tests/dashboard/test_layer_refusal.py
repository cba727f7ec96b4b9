"""The overview map shows a layer's refusal in the user's language (issue 14, point 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from dashboard.screens.overview.map import refusal_reason
from geo.h3cells import grid_disk, latlng_to_cells
from layers import emerging_hotspot as eh
from layers.refusal import LayerRefusedError


def _two_days_in_26_weeks() -> LayerRefusedError:
    end = datetime(2026, 11, 23, 16, tzinfo=UTC)
    cells = grid_disk(int(latlng_to_cells(np.array([22.6]), np.array([113.85]))[0]), 2)
    frame = pl.DataFrame(
        {
            "reported_at": [end - timedelta(days=2, hours=h) for h in range(len(cells))],
            "h3_cell": pl.Series(cells, dtype=pl.Int64),
        }
    )
    with pytest.raises(LayerRefusedError) as refused:
        eh.compute(frame, end=end, n_steps=26)
    return refused.value


def test_the_emerging_layer_refusal_reads_in_chinese_and_english():
    err = _two_days_in_26_weeks()
    zh, en = refusal_reason(err, "zh"), refusal_reason(err, "en")
    assert "历史数据太短" in zh and err.values["earliest"] in zh and "26 个时间步" in zh
    assert "每步 7 天" in zh and err.values["earliest"].startswith("2026-11-2")
    assert "至少需要 10 个" in zh and "covers" not in zh
    assert en.startswith("The history is too short") and "covers 0 step" in en
    assert "2026-05-25" in en  # the window's start: 26 weeks before the end


def test_an_unkeyed_refusal_is_shown_as_the_layer_wrote_it():
    assert refusal_reason(ValueError("incidents span 116.4° of longitude"), "zh") == (
        "incidents span 116.4° of longitude"
    )
