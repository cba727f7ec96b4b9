"""Knox test and near-repeat zones: hand-built fixtures with known answers.

Every fixture sits around Bao'an district government, 22.5550 N 113.8830 E (WGS-84). Points
are laid out in metres in UTM zone 49N (EPSG:32649, the zone the layer picks for 113.88 E)
and converted to WGS-84, so distances the layer measures are the ones written here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyproj
import pytest
import shapely
from numpy.testing import assert_allclose, assert_array_equal

from geo.h3cells import cell_to_boundary_lnglat, grid_disk, latlng_to_cells
from layers.near_repeat import (
    KNOX_SCHEMA,
    PERMUTATIONS,
    ZONE_SCHEMA,
    NearRepeatParams,
    knox_test,
    near_repeat_zones,
    to_local_metres,
)

CENTRE_LAT, CENTRE_LNG = 22.5550, 113.8830
UTM = "EPSG:32649"
_TO_WGS84 = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
_TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
CENTRE_X, CENTRE_Y = _TO_UTM.transform(CENTRE_LNG, CENTRE_LAT)
T0 = datetime(2024, 3, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def incidents(dx_m, dy_m, times) -> pl.DataFrame:
    """Incident frame at offsets (metres east, north of the centre in UTM 49N)."""
    lng, lat = _TO_WGS84.transform(CENTRE_X + np.asarray(dx_m), CENTRE_Y + np.asarray(dy_m))
    return pl.DataFrame(
        {
            "reported_at": pl.Series(list(times), dtype=pl.Datetime("us", "UTC")),
            "lat": np.atleast_1d(lat),
            "lng": np.atleast_1d(lng),
        }
    )


def band(result: pl.DataFrame, space: str, time: str) -> dict:
    rows = result.filter(pl.col("space_band") == space, pl.col("time_band") == time)
    assert rows.height == 1, (space, time)
    return rows.row(0, named=True)


def random_incidents(n: int, seed: int, side_m: float = 5_000.0, days: int = 365):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-side_m / 2, side_m / 2, n)
    y = rng.uniform(-side_m / 2, side_m / 2, n)
    times = [T0 + timedelta(seconds=float(s)) for s in rng.uniform(0, days * 86_400, n)]
    return x, y, times


# -- Knox test ----------------------------------------------------------------------------


def test_hand_computed_pair_falls_in_its_band():
    # 90 m east, 120 m north: 150 m apart -> "100 to 200 m"; 9 days apart -> "8 to 14 days".
    frame = incidents([0.0, 90.0], [0.0, 120.0], [T0, T0 + timedelta(days=9)])
    result = knox_test(frame)

    assert result.schema == pl.Schema(KNOX_SCHEMA)
    assert result.height == (5 + 2) * (4 + 1)
    hit = band(result, "100 to 200 m", "8 to 14 days")
    assert (hit["space_index"], hit["time_index"]) == (2, 1)
    assert (hit["space_from_m"], hit["space_to_m"]) == (100.0, 200.0)
    assert (hit["time_from_days"], hit["time_to_days"]) == (8, 14)
    assert hit["observed"] == 1
    assert result["observed"].sum() == 1
    # Two incidents: every permutation gives the same single pair, so nothing is unusual.
    assert hit["expected_mean"] == 1.0
    assert hit["ratio"] == 1.0
    assert hit["p_value"] == 1.0
    assert not result["significant"].any()
    assert result["metric_crs"][0] == UTM
    assert result["n_incidents"][0] == 2


def test_day_difference_uses_local_calendar_dates():
    # 23:30 in Shanghai on 1 March, then 00:30 on 9 March: 8 local dates apart, 7 UTC dates.
    first = datetime(2024, 3, 1, 15, 30, tzinfo=UTC)
    second = datetime(2024, 3, 8, 16, 30, tzinfo=UTC)
    frame = incidents([0.0, 50.0], [0.0, 0.0], [first, second])

    local = knox_test(frame, NearRepeatParams(time_zone="Asia/Shanghai"))
    utc = knox_test(frame, NearRepeatParams(time_zone="UTC"))

    assert band(local, "0 to 100 m", "8 to 14 days")["observed"] == 1
    assert band(utc, "0 to 100 m", "0 to 7 days")["observed"] == 1


def test_band_edges_are_inclusive_above():
    # Exactly 100 m and exactly 7 days: the first bands; 0 m is the same location;
    # beyond 500 m and 28 days falls in the "more than" bands.
    frame = incidents(
        [0.0, 100.0, 100.0, 3_000.0],
        [0.0, 0.0, 0.0, 0.0],
        [T0, T0 + timedelta(days=7), T0 + timedelta(days=7), T0 + timedelta(days=40)],
    )
    result = knox_test(frame, NearRepeatParams(permutations=9))
    assert band(result, "0 to 100 m", "0 to 7 days")["observed"] == 2  # 0-1, 0-2
    assert band(result, "same location", "0 to 7 days")["observed"] == 1  # 1-2
    # 0-3 (3,000 m, 40 days), 1-3 and 2-3 (2,900 m, 33 days).
    assert band(result, "more than 500 m", "more than 28 days")["observed"] == 3
    assert result["observed"].sum() == 4 * 3 // 2


def test_cluster_in_space_and_time_gives_high_ratio_and_small_p():
    x, y, times = random_incidents(200, seed=1)
    rng = np.random.default_rng(2)
    x, y, times = list(x), list(y), list(times)
    for _ in range(12):  # 12 flurries: 5 incidents within 40 m and 3 days of each other
        cx, cy = rng.uniform(-2_000, 2_000, 2)
        start = T0 + timedelta(days=float(rng.uniform(0, 330)))
        for _ in range(5):
            x.append(cx + rng.uniform(-20, 20))
            y.append(cy + rng.uniform(-20, 20))
            times.append(start + timedelta(hours=float(rng.uniform(0, 72))))
    result = knox_test(incidents(x, y, times))

    near = band(result, "0 to 100 m", "0 to 7 days")
    assert near["ratio"] > 3
    assert near["p_value"] == pytest.approx(1 / (PERMUTATIONS + 1))
    assert near["significant"]
    # Far in time, the same places are not special.
    assert not band(result, "0 to 100 m", "more than 28 days")["significant"]


def test_independent_space_and_time_give_ratios_near_one():
    x, y, times = random_incidents(400, seed=5)
    params = NearRepeatParams(
        space_bandwidth_m=500.0, space_bands=2, time_bandwidth_days=30, time_bands=2
    )
    result = knox_test(incidents(x, y, times), params)

    tabulated = result.filter(pl.col("expected_mean") > 100)
    assert tabulated.height >= 6
    assert_allclose(tabulated["ratio"].to_numpy(), 1.0, atol=0.15)
    assert not result.filter(pl.col("space_to_m").is_not_null())["significant"].all()


def test_permutations_keep_both_margins():
    # Shuffling dates over places changes neither how many pairs are close in space nor
    # how many are close in time: expected margins equal observed margins exactly.
    x, y, times = random_incidents(300, seed=9, side_m=2_000.0)
    result = knox_test(incidents(x, y, times), NearRepeatParams(permutations=19))
    for by in ("space_index", "time_index"):
        margins = result.group_by(by).agg(pl.col("observed").sum(), pl.col("expected_mean").sum())
        assert_allclose(margins["expected_mean"].to_numpy(), margins["observed"].to_numpy())
    assert result["observed"].sum() == 300 * 299 // 2


def test_same_seed_same_table_other_seed_other_expectation():
    x, y, times = random_incidents(300, seed=11, side_m=2_000.0)
    frame = incidents(x, y, times)
    first = knox_test(frame, NearRepeatParams(seed=7))
    again = knox_test(frame, NearRepeatParams(seed=7))
    other = knox_test(frame, NearRepeatParams(seed=8))
    assert first.equals(again)
    assert_array_equal(first["observed"].to_numpy(), other["observed"].to_numpy())
    assert not np.array_equal(first["expected_mean"].to_numpy(), other["expected_mean"].to_numpy())


def test_unlocated_incidents_are_counted_not_paired():
    frame = incidents([0.0, 10.0, 20.0], [0.0, 0.0, 0.0], [T0, T0, T0]).with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("lat")).alias("lat")
    )
    result = knox_test(frame)
    assert result["n_incidents"][0] == 2
    assert result["n_excluded"][0] == 1
    assert result["observed"].sum() == 1


# -- input checks -------------------------------------------------------------------------


def test_missing_column_is_named():
    frame = incidents([0.0, 1.0], [0.0, 0.0], [T0, T0]).drop("lng")
    with pytest.raises(ValueError, match="'lng'"):
        knox_test(frame)


def test_naive_times_are_refused():
    frame = incidents([0.0, 1.0], [0.0, 0.0], [T0, T0]).with_columns(
        pl.col("reported_at").dt.replace_time_zone(None)
    )
    with pytest.raises(TypeError, match="reported_at"):
        knox_test(frame)


def test_projected_coordinates_are_refused_by_name():
    frame = incidents([0.0, 1.0], [0.0, 0.0], [T0, T0]).with_columns(
        pl.lit(2_495_000.0).alias("lat")
    )
    with pytest.raises(ValueError, match=r"'lat'.*2495000"):
        knox_test(frame)


def test_one_incident_is_not_enough():
    with pytest.raises(ValueError, match="at least 2"):
        knox_test(incidents([0.0], [0.0], [T0]))


def test_not_a_frame():
    with pytest.raises(TypeError, match="'incidents' should be a polars DataFrame, got dict"):
        knox_test({"lat": [1.0]})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("space_bands", 0),
        ("time_bandwidth_days", 0),
        ("permutations", 0),
        ("space_bandwidth_m", -5.0),
        ("same_location_m", 100.0),
        ("alpha", 1.5),
        ("time_zone", "Mars/Olympus"),
    ],
)
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        NearRepeatParams(**{field: value})


def test_wide_area_is_refused():
    with pytest.raises(ValueError, match="longitude"):
        to_local_metres(np.array([22.0, 22.0]), np.array([100.0, 120.0]))


def test_utm_zone_follows_mean_longitude_and_hemisphere():
    assert to_local_metres(np.array([41.88]), np.array([-87.63]))[2] == "EPSG:32616"  # Chicago
    assert to_local_metres(np.array([-33.87]), np.array([151.21]))[2] == "EPSG:32756"  # Sydney


# -- zones --------------------------------------------------------------------------------


def knox_with(significant_bands: set[tuple[int, int]]) -> pl.DataFrame:
    """A Knox table whose only significant bands are the given (space, time) indices."""
    x, y, times = random_incidents(50, seed=3)
    result = knox_test(incidents(x, y, times), NearRepeatParams(permutations=9))
    flags = [
        (s, t) in significant_bands
        for s, t in zip(result["space_index"], result["time_index"], strict=True)
    ]
    return result.with_columns(pl.Series("significant", flags))


def test_zones_cover_cells_within_the_radius_of_recent_incidents_only():
    now = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)  # 10 June, 12:00 in Shanghai
    frame = incidents(
        [0.0, 4_000.0, 0.0],
        [0.0, 0.0, 3_000.0],
        [
            now - timedelta(days=2),  # recent: 8 June local
            now - timedelta(days=30),  # too old for a 7-day window
            now + timedelta(hours=1),  # after now: ignored
        ],
    )
    # Largest significant bands: "100 to 200 m" and "0 to 7 days" -> 200 m, 7 days.
    knox = knox_with({(1, 0), (2, 0)})
    zones = near_repeat_zones(frame, knox, now)

    assert zones.schema == pl.Schema(ZONE_SCHEMA)
    assert set(zones["radius_m"]) == {200.0} and set(zones["window_days"]) == {7}
    assert set(zones["source_incidents"]) == {1}
    # The window of 8 June closes at the start of 16 June in Shanghai = 15 June 16:00 UTC.
    assert set(zones["until"]) == {datetime(2024, 6, 15, 16, 0, tzinfo=UTC)}

    lat, lng = frame["lat"][0], frame["lng"][0]
    own = int(latlng_to_cells(np.array([lat]), np.array([lng]))[0])
    got = set(zones["cell"].to_list())
    assert own in got
    # Brute force over three rings: a cell is in iff its hexagon is within 200 m.
    point = shapely.Point(CENTRE_X, CENTRE_Y)
    for cell in grid_disk(own, 3):
        ring = np.asarray(cell_to_boundary_lnglat(cell))
        hexagon = shapely.Polygon(np.column_stack(_TO_UTM.transform(ring[:, 0], ring[:, 1])))
        assert (cell in got) == (hexagon.distance(point) <= 200.0), cell
    # Nothing around the old incident.
    old = int(latlng_to_cells(np.array([frame["lat"][1]]), np.array([frame["lng"][1]]))[0])
    assert old not in got


def test_two_recent_incidents_share_a_cell_and_the_later_window():
    now = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)
    frame = incidents([0.0, 5.0], [0.0, 0.0], [now - timedelta(days=3), now - timedelta(days=1)])
    zones = near_repeat_zones(frame, knox_with({(1, 0)}), now)
    assert set(zones["source_incidents"]) == {2}
    assert set(zones["until"]) == {datetime(2024, 6, 16, 16, 0, tzinfo=UTC)}


def test_no_significant_band_no_zone():
    frame = incidents([0.0], [0.0], [T0])
    zones = near_repeat_zones(frame, knox_with(set()), T0 + timedelta(days=1))
    assert zones.is_empty()
    assert zones.schema == pl.Schema(ZONE_SCHEMA)


def test_beyond_bands_do_not_make_zones():
    frame = incidents([0.0], [0.0], [T0])
    # Only "more than 500 m" (6) and "more than 28 days" (4) flagged.
    zones = near_repeat_zones(frame, knox_with({(6, 0), (1, 4)}), T0 + timedelta(days=1))
    assert zones.is_empty()


def test_zones_need_an_aware_now_and_a_knox_table():
    frame = incidents([0.0], [0.0], [T0])
    with pytest.raises(ValueError, match="'now' should be time-zone aware"):
        near_repeat_zones(frame, knox_with({(1, 0)}), datetime(2024, 6, 1))
    with pytest.raises(ValueError, match="knox_result"):
        near_repeat_zones(frame, pl.DataFrame({"x": [1]}), T0)


def test_zone_extent_follows_the_run_from_the_nearest_bands():
    from layers.near_repeat import _significant_extent

    def bands(significant: set[tuple[int, int]]) -> pl.DataFrame:
        rows = [
            {
                "space_index": s,
                "time_index": t,
                "significant": (s, t) in significant,
                "space_to_m": None if s == 6 else s * 100.0,
                "time_to_days": None if t == 4 else (t + 1) * 7,
            }
            for s in range(7)
            for t in range(5)
        ]
        return pl.DataFrame(rows)

    # (1,0) -> (2,0) -> (2,1) is a run; (5,3) stands alone, a chance band: it must not count.
    assert _significant_extent(bands({(1, 0), (2, 0), (2, 1), (5, 3)})) == (200.0, 14)
    # nothing significant near the origin: no zone at all, however many far bands are
    assert _significant_extent(bands({(3, 2), (4, 2)})) == (None, None)
    # a "more than" band never widens the zone
    assert _significant_extent(bands({(0, 0), (6, 0), (0, 4)})) == (0.0, 7)


def test_too_many_close_pairs_is_refused_not_run(monkeypatch):
    import layers.near_repeat as nr

    monkeypatch.setattr(nr, "MAX_CLOSE_PAIRS", 10)
    rng = np.random.default_rng(0)
    n = 50  # fifty incidents within a few metres: 1,225 close pairs
    frame = pl.DataFrame(
        {
            "reported_at": [
                datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=int(d))
                for d in rng.integers(0, 60, n)
            ],
            "lat": 22.55 + rng.normal(0, 1e-5, n),
            "lng": 113.88 + rng.normal(0, 1e-5, n),
        }
    )
    with pytest.raises(ValueError, match="1,225 pairs within 500 m, more than the 10"):
        nr.knox_test(frame)
