"""Patrol plan: budgets, hit rate and PAI with known answers, no look-ahead, KDE sanity.

Fixtures are H3 resolution-9 cells around Bao'an district government, 22.5550 N 113.8830 E
(WGS-84); an incident is placed at its cell's centre.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyproj
import pytest
from numpy.testing import assert_allclose

from data.demo.baoan import jurisdictions
from geo.h3cells import (
    cell_to_boundary_lnglat,
    cell_to_latlng,
    cells_to_parent,
    grid_disk,
    latlng_to_cells,
    polygon_to_cells,
)
from layers.patrol_plan import (
    EVALUATION_SCHEMA,
    KDE_BANDWIDTH_M,
    METHODS,
    PLAN_SCHEMA,
    ScoringParams,
    accuracy_panel,
    cells_for_budget,
    evaluate,
    plan,
    score_cells,
    summarise,
)

CENTRE = int(latlng_to_cells(np.array([22.5550]), np.array([113.8830]))[0])
#: 91 cells: the centre and five rings.
STUDY = np.array(grid_disk(CENTRE, 5), dtype=np.int64)
END = datetime(2024, 6, 3, tzinfo=UTC)  # a Monday, UTC midnight
WEEK = timedelta(weeks=1)
GEOD = pyproj.Geod(ellps="WGS84")


def at_cells(cells, times) -> pl.DataFrame:
    """Incident frame with one incident per (cell, time), placed at the cell centre."""
    centres = np.array([cell_to_latlng(int(c)) for c in cells]).reshape(-1, 2)
    return pl.DataFrame(
        {
            "reported_at": pl.Series(list(times), dtype=pl.Datetime("us", "UTC")),
            "lat": centres[:, 0],
            "lng": centres[:, 1],
            "h3_cell": pl.Series([int(c) for c in cells], dtype=pl.Int64),
        }
    )


def far_pair() -> tuple[int, int]:
    """Two study cells more than 1.5 km apart (beyond the KDE kernel's reach)."""
    ring = grid_disk(CENTRE, 5)
    a = next(c for c in ring if c not in grid_disk(CENTRE, 4))
    b = max(ring, key=lambda c: _distance_m(a, c))
    assert _distance_m(a, b) > 4 * KDE_BANDWIDTH_M + 200
    return a, b


def _distance_m(a: int, b: int) -> float:
    (lat1, lng1), (lat2, lng2) = cell_to_latlng(a), cell_to_latlng(b)
    return GEOD.inv(lng1, lat1, lng2, lat2)[2]


# -- budget -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "share", "k"),
    [
        (100, 0.05, 5),
        (100, 0.07, 7),
        (91, 0.05, 5),
        (91, 0.01, 1),
        (91, 1.0, 91),
        (5_730, 0.01, 58),
    ],
)
def test_budget_buys_ceil_share_of_cells(n, share, k):
    assert cells_for_budget(n, share) == k


@pytest.mark.parametrize("method", METHODS)
def test_plan_returns_exactly_the_budgeted_cells(method):
    rng = np.random.default_rng(0)
    cells = rng.choice(STUDY, 60)
    times = [END - timedelta(days=float(d)) for d in rng.uniform(0.1, 80, 60)]
    result = plan(at_cells(cells, times), STUDY, method, 0.05, now=END)
    assert result.schema == pl.Schema(PLAN_SCHEMA)
    assert result.height == 5  # ceil(0.05 * 91)
    assert result["rank"].to_list() == [1, 2, 3, 4, 5]
    assert set(result["cell"]) <= set(STUDY.tolist())
    assert result["score"].is_sorted(descending=True)


def test_counts_plan_ranks_by_training_counts_with_ties_by_recency():
    a, b, c, d = STUDY[[3, 10, 20, 30]]
    cells = [a] * 3 + [b] * 2 + [c, d]
    times = [END - timedelta(days=x) for x in (5, 6, 7, 5, 6, 9, 2)]
    result = plan(at_cells(cells, times), STUDY, "counts", 4 / 91, now=END)
    # a (3), b (2), then c and d with one each: d's incident is the more recent.
    assert result["cell"].to_list() == [a, b, d, c]
    assert result["score"].to_list() == [3.0, 2.0, 1.0, 1.0]


# -- hit rate and PAI ---------------------------------------------------------------------


def test_hit_rate_and_pai_of_a_hand_built_fold():
    a, b, c, d = STUDY[[3, 10, 20, 30]]
    train_times = END - 2 * WEEK + timedelta(hours=1)
    test_times = END - WEEK + timedelta(hours=1)
    cells = [a] * 5 + [b] * 3 + [c] + [a] * 4 + [b] * 2 + [d] * 4
    times = [train_times] * 9 + [test_times] * 10
    # The first incident at UTC midnight two weeks before END allows exactly one fold.
    times[0] = END - 2 * WEEK
    frame = at_cells(cells, times)

    result = evaluate(frame, STUDY, "counts", 1, 1, 1, (0.02,), end=END)

    assert result.schema == pl.Schema(EVALUATION_SCHEMA)
    assert result.height == 1
    row = result.row(0, named=True)
    # Top 2 = ceil(0.02 * 91) cells are a and b: 6 of the 10 test incidents.
    assert (row["cells_selected"], row["n_cells"]) == (2, 91)
    assert (row["train_incidents"], row["test_incidents"], row["hits"]) == (9, 10, 6)
    assert row["hit_rate"] == pytest.approx(0.6)
    assert row["realised_area_share"] == pytest.approx(2 / 91)
    assert row["pai"] == pytest.approx(0.6 * 91 / 2)
    assert (row["test_start"], row["test_end"]) == (END - WEEK, END)


def test_incidents_outside_the_study_area_are_not_counted():
    outside = grid_disk(CENTRE, 7)[-1]
    assert outside not in set(STUDY.tolist())
    a = STUDY[3]
    frame = at_cells(
        [a, a, outside, outside],
        [END - 2 * WEEK, END - 2 * WEEK, END - WEEK, END - timedelta(days=1)],
    ).vstack(at_cells([a], [END - timedelta(days=2)]))
    row = evaluate(frame, STUDY, "counts", 1, 1, 1, (0.01,), end=END).row(0, named=True)
    assert (row["test_incidents"], row["hits"], row["hit_rate"]) == (1, 1, 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_folds_never_train_on_their_test_period(method):
    # Training weeks: one incident in cell a. Test weeks: ten in a far cell b, the first
    # exactly at the test start. A plan of one cell that saw the test period would pick b.
    a, b = far_pair()
    frame = at_cells([a] + [b] * 10, [END - 2 * WEEK] + [END - WEEK] * 10)
    result = evaluate(frame, STUDY, method, 1, 1, 1, (0.01,), end=END)
    assert result.height == 1
    row = result.row(0, named=True)
    assert (row["train_incidents"], row["test_incidents"]) == (1, 10)
    assert row["hits"] == 0

    chosen = plan(frame, STUDY, method, 0.01, now=END - WEEK, train_weeks=1)["cell"].to_list()
    if method == "gistar":
        # Gi* spreads a count over its ring; a border neighbour with fewer neighbours in the
        # study area can outscore a itself. Still around a, nowhere near b.
        assert chosen[0] in grid_disk(a, 1)
    else:
        assert chosen == [a]


def test_later_folds_do_not_leak_into_earlier_ones():
    # Fold 0 trains on week 0 (cell a) and tests week 1 (cell a); fold 1 trains on week 1
    # and tests week 2 (cell b). Week 2's burst in b must not change fold 0.
    a, b = far_pair()
    start = END - 3 * WEEK
    frame = at_cells(
        [a, a] + [b] * 20,
        [start, start + WEEK + timedelta(days=1)] + [start + 2 * WEEK + timedelta(days=1)] * 20,
    )
    result = evaluate(frame, STUDY, "counts", 1, 1, 1, (0.01,), end=END)
    assert result["fold"].to_list() == [0, 1]
    assert result["hit_rate"].to_list() == [1.0, 0.0]


def test_summary_pools_and_averages_folds():
    a, b = far_pair()
    start = END - 3 * WEEK
    frame = at_cells(
        [a, a, a, b],
        [start, start + WEEK, start + WEEK + timedelta(days=1), start + 2 * WEEK],
    )
    result = evaluate(frame, STUDY, "counts", 1, 1, 1, (0.01,), end=END)
    # Fold 0: 2 test incidents, both in a (hit rate 1). Fold 1: 1, in b (hit rate 0).
    row = summarise(result).row(0, named=True)
    assert row["folds"] == 2
    assert row["hit_rate_mean"] == pytest.approx(0.5)
    assert row["hit_rate_pooled"] == pytest.approx(2 / 3)
    assert row["pai_pooled"] == pytest.approx(2 / 3 * 91)


def test_accuracy_panel_weeks_and_pooled_figures():
    a, b = far_pair()
    now = END
    frame = at_cells(
        [a, a, a, b],
        [now - 3 * WEEK, now - 2 * WEEK + timedelta(days=1), now - WEEK, now - timedelta(days=1)],
    )
    panel = accuracy_panel(frame, STUDY, "counts", 0.01, now=now, weeks=2, train_weeks=1)
    assert panel["week_start"].to_list() == [now - 2 * WEEK, now - WEEK]
    # The older week trains on a (3 weeks ago) and sees one incident, in a; the last week
    # trains on a (2 weeks ago) and sees one in a and one in b.
    assert panel["test_incidents"].to_list() == [1, 2]
    assert panel["hits"].to_list() == [1, 1]
    assert panel["hit_rate_pooled"].to_list() == [pytest.approx(2 / 3)] * 2
    assert panel["pai_pooled"][0] == pytest.approx(2 / 3 * 91)


# -- KDE baseline -------------------------------------------------------------------------


def test_kde_of_one_incident_is_the_gaussian_kernel_at_cell_centres():
    frame = at_cells([CENTRE], [END - timedelta(days=1)])
    scores = score_cells(frame, STUDY, "kde")
    h = KDE_BANDWIDTH_M
    peak = 1e6 / (2 * math.pi * h * h)  # per km²
    by_cell = dict(zip(scores["cell"], scores["score"], strict=True))
    assert by_cell[CENTRE] == pytest.approx(peak)
    for cell in grid_disk(CENTRE, 2)[1:]:
        d = _distance_m(CENTRE, cell)  # geodesic: within 0.1 % of the UTM distance here
        assert by_cell[cell] == pytest.approx(peak * math.exp(-0.5 * (d / h) ** 2), rel=1e-2)
    # Ranked by distance from the incident.
    distances = [_distance_m(CENTRE, c) for c in scores["cell"]]
    nonzero = scores["score"].to_numpy() > 0
    assert np.all(np.diff(np.array(distances)[nonzero]) > -1.0)


def test_kde_integrates_to_the_number_of_incidents():
    # Two incidents, 3-4 kernel bandwidths inside the study area: sum(density x cell area) ≈ 2.
    study = np.array(grid_disk(CENTRE, 8), dtype=np.int64)
    frame = at_cells([CENTRE, grid_disk(CENTRE, 1)[1]], [END - WEEK, END - WEEK])
    scores = score_cells(frame, study, "kde")
    areas_km2 = []
    for cell in scores["cell"]:
        ring = np.asarray(cell_to_boundary_lnglat(cell))
        areas_km2.append(abs(GEOD.polygon_area_perimeter(ring[:, 0], ring[:, 1])[0]) / 1e6)
    assert float(np.dot(scores["score"].to_numpy(), areas_km2)) == pytest.approx(2.0, rel=0.05)


def test_kde_bandwidth_is_a_parameter():
    frame = at_cells([CENTRE], [END - timedelta(days=1)])
    narrow = score_cells(frame, STUDY, "kde", ScoringParams(kde_bandwidth_m=100.0))
    wide = score_cells(frame, STUDY, "kde", ScoringParams(kde_bandwidth_m=600.0))
    centre = pl.col("cell") == CENTRE
    assert narrow.filter(centre)["score"][0] == pytest.approx(1e6 / (2 * math.pi * 100.0**2))
    assert (wide["score"] > 0).sum() > (narrow["score"] > 0).sum()


def test_gistar_scores_are_hotspot_z():
    from layers import hotspot

    rng = np.random.default_rng(4)
    cells = rng.choice(STUDY[:30], 40)
    frame = at_cells(cells, [END - timedelta(days=1)] * 40)
    scores = score_cells(frame, STUDY, "gistar").sort("cell")
    counts = frame.group_by(pl.col("h3_cell").alias("cell")).agg(pl.len().alias("count"))
    expected = hotspot.compute(counts, study_cells=STUDY)
    assert_allclose(scores["score"].to_numpy(), expected["z"].to_numpy())


# -- on the demo district -----------------------------------------------------------------


def test_plan_on_a_demo_station():
    station = jurisdictions()[0]
    study = np.array(polygon_to_cells(station.boundary, 9), dtype=np.int64)
    rng = np.random.default_rng(8)
    cells = rng.choice(study, 300)
    times = [END - timedelta(hours=float(h)) for h in rng.uniform(1, 12 * 7 * 24, 300)]
    frame = at_cells(cells, times)
    chosen = plan(frame, study, now=END)
    assert chosen.height == math.ceil(0.05 * study.size)
    assert set(chosen["cell"]) <= set(study.tolist())
    panel = accuracy_panel(frame, study, now=END, weeks=4)
    assert panel.height == 4


# -- input checks -------------------------------------------------------------------------


def test_bad_inputs_are_named():
    frame = at_cells([CENTRE], [END - timedelta(days=1)])
    with pytest.raises(ValueError, match=r"'method'.*'hotness'"):
        plan(frame, STUDY, "hotness", 0.05, now=END)
    with pytest.raises(ValueError, match="'budget_share'"):
        plan(frame, STUDY, "counts", 0.0, now=END)
    with pytest.raises(ValueError, match="'now' should be time-zone aware"):
        plan(frame, STUDY, "counts", 0.05, now=datetime(2024, 6, 1))
    with pytest.raises(ValueError, match=r"\['lat', 'lng'\]"):
        plan(frame.drop("lat", "lng"), STUDY, "kde", 0.05, now=END)
    with pytest.raises(ValueError, match="resolution 9"):
        plan(frame, [_parent(CENTRE)], "counts", 0.05, now=END)
    with pytest.raises(ValueError, match="'study_cells' is empty"):
        plan(frame, [], "counts", 0.05, now=END)
    with pytest.raises(ValueError, match="'train_weeks'"):
        evaluate(frame, STUDY, "counts", train_weeks=0)
    with pytest.raises(TypeError, match="'incidents' should be a polars DataFrame"):
        plan(frame.to_pandas(), STUDY, "counts", 0.05, now=END)


def _parent(cell: int) -> int:
    """The resolution-8 parent of a cell."""
    return int(pl.DataFrame({"c": [cell]}).select(cells_to_parent("c", 8)).item())


# -- the study area a PAI rests on ------------------------------------------------------


def test_a_fold_without_training_incidents_has_no_pai_not_zero():
    a, b = far_pair()
    # The last fold: nothing in its training week, two incidents in its test week.
    frame = at_cells([a, a, b], [END - 3 * WEEK, END - timedelta(days=2), END - timedelta(days=1)])
    row = evaluate(frame, STUDY, "counts", 1, 1, 1, (0.05,), end=END).row(-1, named=True)
    assert (row["train_incidents"], row["test_incidents"]) == (0, 2)
    assert row["pai"] is None and row["hit_rate"] is None
    panel = accuracy_panel(frame, STUDY, "counts", 0.05, now=END, weeks=1, train_weeks=1)
    assert panel["pai"][0] is None and panel["pai_pooled"][0] is None


def test_pai_is_taken_over_the_jurisdictions_with_training_incidents():
    # Two jurisdictions: the 91-cell disk (all incidents) and a second, empty disk far away.
    # Loading the empty one must not change the PAI; each row says what it rests on.
    far = next(c for c in grid_disk(CENTRE, 14) if c not in grid_disk(CENTRE, 13))
    other = np.array(grid_disk(far, 5), dtype=np.int64)
    both = np.concatenate([STUDY, other])
    # Training week: a twice, b once; test week: a and b. One cell (1 % of 91) catches
    # half; two cells (1 % of 182) catch both: the empty disk would double the PAI.
    a, b = far_pair()
    frame = at_cells(
        [a, a, b, a, b],
        [END - 2 * WEEK, END - 2 * WEEK, END - 2 * WEEK, END - WEEK, END - timedelta(days=1)],
    )
    alone = accuracy_panel(frame, STUDY, "counts", 0.01, now=END, weeks=1, train_weeks=1)
    loaded = accuracy_panel(
        frame,
        both,
        "counts",
        0.01,
        now=END,
        weeks=1,
        train_weeks=1,
        jurisdictions={"near": STUDY, "far": other},
    )
    pooled = accuracy_panel(frame, both, "counts", 0.01, now=END, weeks=1, train_weeks=1)
    assert alone["pai_pooled"][0] == pytest.approx(0.5 * 91)
    assert loaded["pai_pooled"][0] == pytest.approx(alone["pai_pooled"][0])
    assert pooled["pai_pooled"][0] == pytest.approx(91)  # the inflation it avoids
    assert loaded["n_cells"].to_list() == [91]
    assert loaded["area_km2"][0] == pytest.approx(91 * 0.105, rel=0.05)
    assert (loaded["test_incidents_pooled"][0], loaded["train_incidents_pooled"][0]) == (2, 3)
    with pytest.raises(ValueError, match="'far'"):
        accuracy_panel(frame, STUDY, "counts", now=END, jurisdictions={"far": other})


# -- no patrol to an empty cell ---------------------------------------------------------


def test_the_gistar_plan_sends_no_patrol_to_a_halo_or_empty_cell():
    # Ten incidents in the centre cell, one in each of six cells of the outer ring. Gi*
    # makes the centre's empty ring hot; a 5-cell plan must still pick cells with incidents.
    outer = [c for c in grid_disk(CENTRE, 5) if c not in grid_disk(CENTRE, 4)][::5][:6]
    frame = at_cells([CENTRE] * 10 + outer, [END - timedelta(days=1)] * 16)
    chosen = plan(frame, STUDY, "gistar", 0.05, now=END, train_weeks=1)
    assert chosen.height == 5
    assert chosen["cell"][0] == CENTRE
    assert set(chosen["cell"].to_list()) <= {CENTRE, *outer}
    scored = score_cells(frame, STUDY, "gistar")
    ring = set(grid_disk(CENTRE, 1)) - {CENTRE}
    assert set(scored["cell"][:7].to_list()) & ring == set()  # the ring comes after


# -- the repeat-risk method ---------------------------------------------------------------


def test_repeat_method_reads_the_long_history_and_favours_repeat_locations():
    a, b = far_pair()
    # Cell a: three incidents at one address, 30-40 weeks ago (outside a 12-week window);
    # cell b: three incidents at three different spots 30-40 weeks ago.
    lat, lng = cell_to_latlng(b)
    old = [END - w * WEEK for w in (30, 35, 40)]
    frame = at_cells([a] * 3, old).vstack(
        pl.DataFrame(
            {
                "reported_at": pl.Series(old, dtype=pl.Datetime("us", "UTC")),
                "lat": [lat, lat + 0.0004, lat - 0.0004],
                "lng": [lng, lng + 0.0004, lng - 0.0004],
                "h3_cell": pl.Series([b] * 3, dtype=pl.Int64),
            }
        )
    )
    assert plan(frame, STUDY, "kde", 0.01, now=END).get_column("score")[0] == 0.0
    chosen = plan(frame, STUDY, "repeat", 0.01, now=END)
    assert chosen["cell"].to_list() == [a]
    without = plan(frame, STUDY, "repeat", 0.01, now=END, params=ScoringParams(repeat_weight=0))
    scores = score_cells(frame, STUDY, "repeat", ScoringParams(repeat_weight=0.0))
    by_cell = dict(zip(scores["cell"], scores["score"], strict=True))
    assert by_cell[a] > 0 and by_cell[b] > 0 and without.height == 1
    # Nothing older than the history is read.
    short = ScoringParams(repeat_history_weeks=20)
    assert plan(frame, STUDY, "repeat", 0.01, now=END, params=short)["score"][0] == 0.0
