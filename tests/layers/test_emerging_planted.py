"""Emerging hot spots on planted truth at real domestic-violence density (issue 14, point 2).

A district of 4,921 resolution-9 cells (a disk of radius 40, about 520 km²) draws
background incidents at 0.02 per cell per week for 26 weeks. Planted in it, each a cell
and its six neighbours: an *emerging* spot (0.3 more per cell per week in the last nine
weeks only), a *historic* one (0.3 more in the first thirteen weeks only) and three steady
*core* spots (0.3 more throughout). The layer is run as the registry runs it (k = 1, the
study area given, the window ending at "now").

Run with ``-s`` to see the pooled figures::

    .venv/bin/python -m pytest tests/layers/test_emerging_planted.py -q -s -p no:cacheprovider
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from dashboard.parts.i18n import t
from geo.h3cells import grid_disk, latlng_to_cells
from layers import emerging_hotspot as eh
from layers.refusal import LayerRefusedError

END = datetime(2026, 11, 23, 16, tzinfo=UTC)
WEEKS = 26
RADIUS = 40
BACKGROUND = 0.02
PLANTED_RATE = 0.3
RECENT_WEEKS = 9
SEEDS = range(8)
EMERGING = {"new_hotspot", "consecutive_hotspot", "intensifying_hotspot"}
HISTORIC = {"diminishing_hotspot", "historical_hotspot"}
#: Floors under the pooled figures measured over SEEDS (recall 0.86, precision 0.88,
#: historic 0.96 when written), a little below so that a library upgrade does not flake.
MIN_EMERGING_RECALL = 0.75
MIN_EMERGING_PRECISION = 0.75
MIN_HISTORIC_RECALL = 0.85


@dataclass
class District:
    incidents: pl.DataFrame
    area: np.ndarray
    emerging: set[int]
    historic: set[int]
    core: set[int]


def _district(seed: int) -> District:
    rng = np.random.default_rng(seed)
    centre = int(latlng_to_cells(np.array([22.60]), np.array([113.85]))[0])
    area = np.array(sorted(grid_disk(centre, RADIUS)), dtype=np.int64)
    inner = np.array(sorted(grid_disk(centre, RADIUS - 3)), dtype=np.int64)
    while True:  # planted spots apart from each other (no shared neighbourhood)
        seeds = [int(c) for c in rng.choice(inner, 5, replace=False)]
        disks = [set(grid_disk(c, 2)) for c in seeds]
        if all(not (disks[i] & disks[j]) for i in range(5) for j in range(i)):
            break
    spots = [set(grid_disk(c, 1)) for c in seeds]
    rate = np.full((area.size, WEEKS), BACKGROUND)
    row = {c: i for i, c in enumerate(area.tolist())}
    for cell in spots[0]:
        rate[row[cell], WEEKS - RECENT_WEEKS :] += PLANTED_RATE
    for cell in spots[1]:
        rate[row[cell], : WEEKS // 2] += PLANTED_RATE
    for spot in spots[2:]:
        for cell in spot:
            rate[row[cell], :] += PLANTED_RATE
    counts = rng.poisson(rate)
    cell_i, week_i = np.nonzero(counts)
    repeats = counts[cell_i, week_i]
    weeks = np.repeat(week_i, repeats)
    start = END - timedelta(weeks=WEEKS)
    seconds = rng.uniform(0, 7 * 86400, weeks.size)
    times = [
        start + timedelta(weeks=int(w), seconds=float(s))
        for w, s in zip(weeks, seconds, strict=True)
    ]
    incidents = pl.DataFrame(
        {
            "reported_at": pl.Series(times, dtype=pl.Datetime("us", "UTC")),
            "h3_cell": pl.Series(np.repeat(area[cell_i], repeats), dtype=pl.Int64),
        }
    )
    return District(incidents, area, spots[0], spots[1], spots[2] | spots[3] | spots[4])


def _categories(district: District, **options) -> dict[int, str]:
    out = eh.compute(
        district.incidents, end=END, n_steps=WEEKS, k=1, study_cells=district.area, **options
    )
    return dict(zip(out["cell"].to_list(), out["category"].cast(pl.String).to_list(), strict=True))


def _scores(model: str = "auto") -> dict[str, float]:
    found = labelled = planted = historic = historic_n = core_emerging = 0
    core_hot = core_n = empty_hot = background_hot = background_n = 0
    for seed in SEEDS:
        district = _district(seed)
        category = _categories(district, model=model)
        emerging = {c for c, name in category.items() if name in EMERGING}
        found += len(emerging & district.emerging)
        labelled += len(emerging)
        planted += len(district.emerging)
        historic += sum(category[c] in HISTORIC for c in district.historic)
        historic_n += len(district.historic)
        core_emerging += sum(category[c] in EMERGING for c in district.core)
        core_hot += sum(category[c].endswith("_hotspot") for c in district.core)
        core_n += len(district.core)
        with_incident = set(district.incidents["h3_cell"].to_list())
        empty_hot += sum(
            name.endswith("_hotspot") and c not in with_incident for c, name in category.items()
        )
        near_planted = set()
        for c in district.emerging | district.historic | district.core:
            near_planted |= set(grid_disk(c, 1))
        background = set(district.area.tolist()) - near_planted
        background_hot += sum(category[c].endswith("_hotspot") for c in background)
        background_n += len(background)
    return {
        "emerging_recall": found / planted,
        "emerging_precision": found / labelled if labelled else 0.0,
        "historic_recall": historic / historic_n,
        "core_labelled_hot": core_hot / core_n,
        "core_labelled_emerging": core_emerging,
        "empty_cells_hot": empty_hot,
        "background_hot_share": background_hot / background_n,
    }


@pytest.fixture(scope="module")
def scores() -> dict[str, float]:
    figures = _scores()
    print(f"\nemerging hot spots, planted truth over {len(SEEDS)} seeds: {figures}")
    return figures


def test_the_district_has_real_domestic_violence_density():
    district = _district(0)
    per_cell_week = district.incidents.height / (district.area.size * WEEKS)
    assert district.area.size == 4921
    assert 0.02 < per_cell_week < 0.025  # background plus the planted spots


def test_a_planted_emerging_spot_comes_out_new_consecutive_or_intensifying(scores):
    assert scores["emerging_recall"] >= MIN_EMERGING_RECALL
    assert scores["emerging_precision"] >= MIN_EMERGING_PRECISION


def test_a_planted_historic_spot_comes_out_diminishing_or_historical(scores):
    assert scores["historic_recall"] >= MIN_HISTORIC_RECALL


def test_steady_spots_are_not_emerging_and_background_stays_quiet(scores):
    assert scores["core_labelled_emerging"] <= 2  # of 168 steady cells over the seeds
    assert scores["core_labelled_hot"] >= 0.9
    assert scores["background_hot_share"] <= 0.002


def test_a_cell_without_an_incident_is_never_a_hot_spot(scores):
    assert scores["empty_cells_hot"] == 0


def test_the_weekly_gi_star_cube_is_what_the_issue_saw():
    # Forced onto the weekly Gi* cube, the emerging spot's empty weeks break its run (it
    # comes out sporadic or nothing), one incident makes a background bin hot, and the
    # historic spot is never found: the figures the count model replaces.
    gi_star = _scores("gi_star")
    print(f"\nthe weekly Gi* cube on the same districts: {gi_star}")
    assert gi_star["emerging_precision"] < 0.2
    assert gi_star["historic_recall"] < 0.5
    assert gi_star["background_hot_share"] > 0.01


def test_a_cell_hot_only_through_its_neighbours_is_no_pattern_on_the_gi_star_cube():
    centre = int(latlng_to_cells(np.array([22.60]), np.array([113.85]))[0])
    cells = sorted(grid_disk(centre, 3))
    hot = set(grid_disk(centre, 1))
    empty = sorted(hot - {centre})[0]
    rows = []
    for cell in cells:
        for step in range(WEEKS):
            if cell == empty:
                continue
            rising = cell in hot and step >= WEEKS - 5
            rows.append((cell, step, 40 if rising else 3))
    schema = {"cell": pl.Int64, "step": pl.Int32, "count": pl.Int64}
    cube = pl.DataFrame(rows, schema=schema, orient="row")
    out = eh.compute_from_cube(cube, n_steps=WEEKS, k=1, study_cells=cells)
    row = out.filter(pl.col("cell") == empty).row(0, named=True)
    assert row["final_step_class"] > 0 and row["n_hot_steps"] > 0  # Gi* made its bins hot
    assert row["category"] == "no_pattern"
    assert out.filter(pl.col("cell") == centre)["category"].item() in EMERGING


def test_sparse_counts_choose_the_count_model_and_dense_ones_a_step():
    district = _district(0)
    cube, n_steps = eh._cube_from_incidents(
        district.incidents, res=9, step=eh.DEFAULT_STEP, end=END, n_steps=WEEKS
    )
    assert eh.choose_step_width(cube, n_steps) is None  # sparse: no step reaches 1 per bin
    assert _categories(district) == _categories(district, model="sparse")
    # Ten times the incidents in the same cells: two-week steps hold one per bin on average.
    dense = pl.DataFrame(
        {
            "cell": np.repeat(district.area[:50], WEEKS),
            "step": np.tile(np.arange(WEEKS, dtype=np.int32), 50),
            "count": np.ones(50 * WEEKS, dtype=np.int64) * (np.arange(50 * WEEKS) % 2),
        }
    )
    assert eh.choose_step_width(dense, WEEKS) == 2
    merged, steps = eh.coarser_steps(dense, WEEKS, 2)
    assert steps == 13
    assert merged["count"].sum() == dense["count"].sum()
    assert set(merged["count"].to_list()) == {1}


def test_two_days_in_a_26_week_window_are_refused_in_both_languages():
    district = _district(0)
    recent = district.incidents.filter(pl.col("reported_at") >= END - timedelta(days=2))
    with pytest.raises(LayerRefusedError, match=r"covers 0 step.*at least 10") as refused:
        eh.compute(recent, end=END, n_steps=WEEKS, k=1, study_cells=district.area)
    err = refused.value
    assert err.key == "map.refusal.emerging_history"
    assert err.values["covered"] == 0 and err.values["steps"] == WEEKS
    zh = t(err.key, "zh", **err.values)
    en = t(err.key, "en", **err.values)
    assert "历史数据太短" in zh and err.values["earliest"] in zh and "26" in zh
    assert "covers 0 step" in en and err.values["start"] in en
