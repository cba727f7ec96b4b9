"""Repeat addresses: hand-built incident frames with known answers.

Every fixture sits around Bao'an district government, 22.5550 N 113.8830 E (WGS-84). Points
are laid out in metres in UTM zone 49N (EPSG:32649, the zone the layer picks for 113.88 E)
and converted to WGS-84 lat/lng, so the distances the layer measures are the ones written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pyproj
import pytest
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform

from layers.repeat_addresses import (
    LAYER_ID,
    MARAC_WINDOW,
    OUTPUT_SCHEMA,
    RepeatAddressParams,
    compute,
    escalation_expr,
    escalation_p_expr,
    utm_epsg,
)

CENTRE_LAT, CENTRE_LNG = 22.5550, 113.8830
UTM = "EPSG:32649"
_TO_WGS84 = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
_TO_UTM = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
CENTRE_X, CENTRE_Y = _TO_UTM.transform(CENTRE_LNG, CENTRE_LAT)
T0 = datetime(2024, 3, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
FLAT = "翻身路12栋302室"


def incidents(rows: list[tuple]) -> pl.DataFrame:
    """Frame from (raw address, metres east, metres north, day offset[, category]) rows.

    ``None`` for the east offset leaves the incident without coordinates.
    """
    lat, lng = [], []
    for row in rows:
        if row[1] is None:
            lat.append(None)
            lng.append(None)
        else:
            x, y = _TO_WGS84.transform(CENTRE_X + row[1], CENTRE_Y + row[2])
            lat.append(y)
            lng.append(x)
    return pl.DataFrame(
        {
            "incident_no": [f"J{i:03d}" for i in range(len(rows))],
            "reported_at": [T0 + timedelta(days=row[3]) for row in rows],
            "category": [row[4] if len(row) > 4 else "domestic_violence" for row in rows],
            "address_raw": [row[0] for row in rows],
            "address_key": [None] * len(rows),
            "lat": lat,
            "lng": lng,
        },
        schema_overrides={
            "reported_at": pl.Datetime("us", "UTC"),
            "address_key": pl.String,
            "lat": pl.Float64,
            "lng": pl.Float64,
        },
    )


def at(day_offsets: list[float], raw: str = FLAT, east: float = 0.0) -> pl.DataFrame:
    return incidents([(raw, east, 0.0, d) for d in day_offsets])


def one_row(frame: pl.DataFrame, **params) -> dict:
    result = compute(frame, RepeatAddressParams(**params))
    assert result.height == 1, result
    return result.row(0, named=True)


def test_layer_id_and_schema():
    assert LAYER_ID == "repeat_addresses"
    result = compute(at([0, 1]))
    assert result.schema == pl.Schema(OUTPUT_SCHEMA)


def test_spelling_variants_within_30_m_are_one_address():
    frame = incidents(
        [
            ("宝安区新安街道翻身路12栋302室", 0, 0, 0),
            ("翻身路１２栋３０２室", 10, 5, 3),
            ("翻身路十二栋三〇二室", -8, 12, 7),
            ("翻身路12幢302房", 20, -10, 20),
            ("翻身路12号楼302", 0, 0, 30),
            ("翻身路12-302", 25, 15, 31),
            ("深圳市宝安区翻身路12栋302", 3, 3, 45),
        ]
    )
    row = one_row(frame)
    assert row["address_key"] == FLAT
    assert row["address_id"] == f"{FLAT}#1"
    assert row["count"] == 7
    assert row["incident_ids"] == [f"J{i:03d}" for i in range(7)]
    assert row["first_at"] == T0
    assert row["last_at"] == T0 + timedelta(days=45)
    x, y = _TO_UTM.transform(row["lng"], row["lat"])
    assert np.hypot(x - (CENTRE_X + 50 / 7), y - (CENTRE_Y + 25 / 7)) < 0.05


def test_same_building_different_flat_stay_apart():
    frame = at([0, 5], raw="翻身路12栋302").vstack(at([1, 6], raw="翻身路12栋303"))
    result = compute(frame)
    assert sorted(result["address_key"].to_list()) == ["翻身路12栋302室", "翻身路12栋303室"]
    assert result["count"].to_list() == [2, 2]


def test_same_key_50_m_apart_is_one_address():
    frame = incidents([(FLAT, 0, 0, 0), (FLAT, 30, 40, 10)])  # 50 m
    assert one_row(frame)["count"] == 2


def test_same_key_5_km_apart_is_two_addresses_numbered_by_first_incident():
    frame = incidents([(FLAT, 5000, 0, 0), (FLAT, 5000, 10, 9), (FLAT, 0, 0, 2), (FLAT, 0, 20, 3)])
    result = compute(frame).sort("address_id")
    assert result["address_id"].to_list() == [f"{FLAT}#1", f"{FLAT}#2"]
    assert result["incident_ids"].to_list() == [["J000", "J001"], ["J002", "J003"]]
    assert (result["address_key"] == FLAT).all()


def test_single_linkage_chains_hops_within_the_snap_distance():
    chain = incidents([(FLAT, 0, 0, 0), (FLAT, 90, 0, 1), (FLAT, 180, 0, 2)])
    assert one_row(chain)["count"] == 3  # 0–180 m apart, but no hop over 100 m
    gap = incidents([(FLAT, 0, 0, 0), (FLAT, 150, 0, 1)])
    assert compute(gap, RepeatAddressParams(min_incidents=1)).height == 2


def test_snap_distance_is_a_parameter():
    frame = incidents([(FLAT, 0, 0, 0), (FLAT, 150, 0, 1)])
    assert one_row(frame, snap_distance_m=200.0)["count"] == 2


def _partition(result: pl.DataFrame) -> set[frozenset[str]]:
    return {frozenset(ids) for ids in result["incident_ids"].to_list()}


def test_many_points_of_one_key_cluster_as_brute_force_single_linkage():
    # 300 distinct points (the triangulated path), against every pair within 100 m.
    rng = np.random.default_rng(7)
    east = np.concatenate([rng.uniform(0, 600, 150), rng.uniform(3000, 3400, 150)])
    north = rng.uniform(0, 500, 300)
    frame = incidents(
        [(FLAT, e, n, i / 10) for i, (e, n) in enumerate(zip(east, north, strict=True))]
    )
    within = squareform(pdist(np.column_stack([east, north]))) <= 100.0
    labels = connected_components(within, directed=False)[1]
    expected = {
        frozenset(f"J{i:03d}" for i in np.flatnonzero(labels == label))
        for label in np.unique(labels)
    }
    result = compute(frame, RepeatAddressParams(min_incidents=1))
    assert _partition(result) == expected
    assert len(expected) >= 2


def test_keys_sharing_places_never_merge():
    # Two flats, each seen at two spots 150 m apart: four addresses, whichever path clusters.
    for copies in (1, 40):  # 4 and 160 distinct points per key
        rows = []
        for flat in ("翻身路12栋302", "翻身路12栋303"):
            for spot in (0.0, 150.0):
                rows += [(flat, spot + k, 0.0, k) for k in range(copies)]
        result = compute(incidents(rows), RepeatAddressParams(min_incidents=1))
        assert sorted(result["count"].to_list()) == [copies] * 4
        assert result["address_key"].n_unique() == 2


def test_many_collinear_points_of_one_key():
    # Geocodes along one road: a degenerate case for a triangulation.
    frame = incidents([(FLAT, 60.0 * i, 0, i) for i in range(70)] + [(FLAT, 9000, 0, 80)])
    result = compute(frame, RepeatAddressParams(min_incidents=1)).sort("address_id")
    assert result["count"].to_list() == [70, 1]


def test_many_points_on_a_lattice_of_one_key():
    # Cocircular points (a 70 m lattice, two blocks 500 m apart): another degenerate case.
    rows = [(FLAT, 70.0 * i, 70.0 * j, i + j / 10) for i in range(9) for j in range(9)]
    rows += [(FLAT, 1060.0 + 70.0 * i, 0.0, 20 + i) for i in range(3)]
    result = compute(incidents(rows), RepeatAddressParams(min_incidents=1))
    assert sorted(result["count"].to_list()) == [3, 81]


def test_unlocated_incident_joins_the_only_address_of_its_key():
    frame = incidents([(FLAT, 0, 0, 0), (FLAT, None, None, 1)])
    row = one_row(frame)
    assert row["count"] == 2
    assert row["address_id"] == f"{FLAT}#1"
    assert row["lat"] is not None


def test_unlocated_incidents_of_a_split_key_form_their_own_address():
    frame = incidents(
        [
            (FLAT, 0, 0, 0),
            (FLAT, 0, 0, 1),
            (FLAT, 5000, 0, 2),
            (FLAT, 5000, 0, 3),
            (FLAT, None, None, 4),
            (FLAT, None, None, 5),
        ]
    )
    result = compute(frame).sort("address_id")
    assert result["address_id"].to_list() == [f"{FLAT}#0", f"{FLAT}#1", f"{FLAT}#2"]
    unplaced = result.row(0, named=True)
    assert unplaced["lat"] is None and unplaced["lng"] is None
    assert unplaced["incident_ids"] == ["J004", "J005"]


def test_key_with_no_coordinates_at_all_is_one_unplaced_address():
    frame = incidents([(FLAT, None, None, 0), (FLAT, None, None, 3)])
    row = one_row(frame)
    assert row["address_id"] == f"{FLAT}#1"
    assert row["lat"] is None


def test_null_island_and_nan_count_as_no_coordinates():
    frame = incidents([(FLAT, 0, 0, 0), (FLAT, 5000, 0, 1), (FLAT, None, None, 2)])
    frame = frame.with_columns(
        pl.Series("lat", [frame["lat"][0], frame["lat"][1], 0.0]),
        pl.Series("lng", [frame["lng"][0], frame["lng"][1], 0.0]),
    )
    frame = pl.concat(
        [frame, frame.slice(2, 1).with_columns(lat=float("nan"), incident_no=pl.lit("J9"))]
    )
    result = compute(frame, RepeatAddressParams(min_incidents=1)).sort("address_id")
    assert result["address_id"].to_list() == [f"{FLAT}#0", f"{FLAT}#1", f"{FLAT}#2"]
    assert result.row(0, named=True)["incident_ids"] == ["J002", "J9"]


def test_address_key_is_taken_when_given_and_filled_from_raw_when_null():
    frame = at([0, 1]).with_columns(
        address_key=pl.Series(["given-key", None]),
        address_raw=pl.Series(["whatever", "翻身路12-302"]),
    )
    keys = compute(frame, RepeatAddressParams(min_incidents=1))["address_key"].sort().to_list()
    assert keys == ["given-key", FLAT]


def test_frame_with_raw_address_only():
    frame = at([0, 2]).drop("address_key")
    assert one_row(frame)["address_key"] == FLAT


def test_frame_with_key_only_shows_the_key_as_raw_address():
    frame = at([0, 2]).drop("address_raw").with_columns(address_key=pl.lit(FLAT))
    assert one_row(frame)["address_raw"] == FLAT


def test_rows_without_address_or_time_are_left_out():
    frame = at([0, 1, 2]).with_columns(
        address_raw=pl.Series([FLAT, FLAT, None]),
        reported_at=pl.Series([T0, None, T0], dtype=pl.Datetime("us", "UTC")),
    )
    assert compute(frame).height == 0
    assert one_row(frame, min_incidents=1)["incident_ids"] == ["J000"]


def test_representative_raw_address_is_the_most_common_spelling():
    frame = incidents(
        [("翻身路12-302", 0, 0, 0), ("翻身路12号楼302", 0, 0, 1), ("翻身路12号楼302", 0, 0, 2)]
    )
    assert one_row(frame)["address_raw"] == "翻身路12号楼302"


def test_min_incidents_and_ordering():
    frame = at([0, 1, 2]).vstack(at([0, 1], raw="翻身路12栋303")).vstack(at([5], raw="前进路1号"))
    result = compute(frame)
    assert result["address_key"].to_list() == [FLAT, "翻身路12栋303室"]
    assert compute(frame, RepeatAddressParams(min_incidents=3))["address_key"].to_list() == [FLAT]
    assert compute(frame, RepeatAddressParams(min_incidents=1)).height == 3


def test_window_is_half_open_and_address_ids_do_not_depend_on_it():
    frame = incidents(
        [
            (FLAT, 0, 0, 0),
            (FLAT, 0, 0, 1),
            (FLAT, 5000, 0, 10),
            (FLAT, 5000, 0, 20),
            (FLAT, 5000, 0, 30),
        ]
    )
    row = one_row(frame, start=T0 + timedelta(days=5), end=T0 + timedelta(days=30))
    assert row["address_id"] == f"{FLAT}#2"  # #1 is the address with no incident in the window
    assert row["incident_ids"] == ["J002", "J003"]  # day 30 is the (excluded) end


def test_window_in_another_time_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    frame = at([0, 1, 2])  # 12:00 Shanghai on 1, 2 and 3 March
    start = datetime(2024, 3, 2, 12, 0, tzinfo=shanghai)  # the second incident, to the minute
    assert one_row(frame, start=start)["incident_ids"] == ["J001", "J002"]


def test_gaps_and_median_gap_in_days():
    row = one_row(at([0, 10, 12.5, 13]))
    assert row["gaps_days"] == [10.0, 2.5, 0.5]
    assert row["median_gap_days"] == 2.5


@pytest.mark.parametrize(
    ("days", "escalating"),
    [
        ([0, 40, 70, 82, 86], True),  # gaps 40, 30, 12, 4: p = 1/24
        ([0, 30, 42, 46], False),  # 30, 12, 4: p = 1/6, one trendless history in six
        ([0, 20, 25], False),  # 20, 5: p = 1/2 (the former rule flagged it)
        ([0, 40, 70, 82, 94], False),  # 40, 30, 12, 12: a tie is not an inversion
        ([0, 2, 42, 62, 71], False),  # 2, 40, 20, 9: the first gap is shorter (p = 7/24)
        ([0, 50, 90, 120, 140, 150, 155], True),  # 50, 40, 30, 20, 10, 5: p = 1/720
        ([0, 9], False),  # one gap is no trend
    ],
)
def test_escalation(days, escalating):
    assert one_row(at(days))["escalating"] is escalating


def test_escalation_expression_on_gap_lists():
    gaps = pl.DataFrame({"g": [[40.0, 30.0, 12.0, 4.0], [30.0, 12.0, 4.0], [4.0, 12.0], [], [1.0]]})
    result = gaps.select(escalation_expr(pl.col("g")))
    assert result.to_series().to_list() == [True, False, False, False, False]
    p = gaps.select(escalation_p_expr(pl.col("g"))).to_series().to_list()
    assert p == pytest.approx([1 / 24, 1 / 6, 1.0, 1.0, 1.0])


def test_escalation_p_values_equal_one_history_at_a_time(monkeypatch):
    """The p-values come from all histories of one length at once; each must equal the
    inversions counted one history at a time (the definition), ties, gaps in a list,
    empty and missing lists included, and lengths past a counting chunk."""
    from layers import repeat_addresses
    from layers.repeat_addresses import _mahonian_sf

    monkeypatch.setattr(repeat_addresses, "_INVERSION_CHUNK", 5_000)  # several chunks a length
    rng = np.random.default_rng(5)
    lists: list[list[float | None] | None] = [None, [], [3.0], [2.0, 2.0], [5.0, None, 1.0]]
    for _ in range(3000):
        m = int(rng.integers(2, 12))
        lists.append([float(v) for v in rng.integers(0, 6, m)])  # many ties
    lists += [list(rng.random(60)) for _ in range(5)] + [list(rng.random(150))]
    lists += [sorted(rng.random(int(rng.integers(5, 10))), reverse=True) for _ in range(100)]

    def one_at_a_time(values: list[float | None] | None) -> float:
        if values is None or len(values) < 2:
            return 1.0
        g = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        return _mahonian_sf(g.size, int(np.triu(g[:, None] > g[None, :], 1).sum()))

    frame = pl.DataFrame({"g": lists}, schema={"g": pl.List(pl.Float64)})
    got = frame.select(escalation_p_expr(pl.col("g"))).to_series().to_list()
    assert got == [one_at_a_time(v) for v in lists]  # exactly, not approximately
    assert sum(p <= 0.05 for p in got) >= 100  # the 100 shrinking histories at least


def test_escalation_test_keeps_its_false_positive_rate_and_finds_planted_escalation():
    """Planted truth: 2,000 trendless households (steady Poisson, 3-8 incidents) and 2,000
    escalating ones (each gap 0.55-0.70 of the one before, 5-8 incidents, a little noise).

    The former rule (last three gaps strictly shrinking) flagged about half of the 3-incident
    trendless histories; the test flags at most its stated 5 %.
    """
    rng = np.random.default_rng(11)
    null_gaps, esc_gaps = [], []
    for _ in range(2000):
        n = int(rng.integers(3, 9))
        null_gaps.append(list(rng.exponential(30.0, n - 1)))
        n = int(rng.integers(5, 9))
        ratio = rng.uniform(0.55, 0.70)
        first = rng.uniform(80.0, 160.0)
        ladder = first * ratio ** np.arange(n - 1) * rng.uniform(0.85, 1.15, n - 1)
        esc_gaps.append(list(ladder))
    frame = pl.DataFrame(
        {"g": null_gaps + esc_gaps, "truth": [False] * 2000 + [True] * 2000},
        schema={"g": pl.List(pl.Float64), "truth": pl.Boolean},
    )
    flagged = frame.with_columns(escalation_expr(pl.col("g")).alias("test"))
    old_rule = pl.col("g").list.tail(3).list.eval(pl.element().diff().drop_nulls() < 0).list.all()
    flagged = flagged.with_columns(old_rule.alias("old"))
    null = flagged.filter(~pl.col("truth"))
    fp_rate = null["test"].mean()
    old_fp_rate = null["old"].mean()
    three = null.filter(pl.col("g").list.len() == 2)
    recall = flagged.filter(pl.col("truth"))["test"].mean()
    precision = flagged.filter(pl.col("test"))["truth"].mean()
    print(
        f"\nescalation test: false-positive rate {fp_rate:.3f} on trendless histories "
        f"(former rule {old_fp_rate:.3f}; on 3-incident histories {three['old'].mean():.2f}); "
        f"recall {recall:.3f} on planted escalations, precision {precision:.3f} (1:1 mix)"
    )
    assert fp_rate <= 0.05
    assert three["old"].mean() > 0.4 and three["test"].sum() == 0
    assert recall >= 0.9


@pytest.mark.parametrize(
    ("days", "flag"),
    [
        ([0, 100, 365], True),  # three within 365 days (inclusive)
        ([0, 100, 366], False),
        ([0, 200, 400, 600], False),  # never three within a year
        ([0, 500, 600, 700], True),  # the last three
        ([0, 10], False),
    ],
)
def test_marac_flag(days, flag):
    assert timedelta(days=365) == MARAC_WINDOW
    assert one_row(at(days), min_incidents=1)["marac_flag"] is flag


def test_marac_flag_counts_inside_the_window_only():
    frame = at([0, 100, 200])
    assert one_row(frame)["marac_flag"] is True
    assert one_row(frame, start=T0 + timedelta(days=50))["marac_flag"] is False


def test_categories_are_counted_most_frequent_first():
    frame = incidents(
        [
            (FLAT, 0, 0, 0, "family_dispute"),
            (FLAT, 0, 0, 1, "domestic_violence"),
            (FLAT, 0, 0, 2, "domestic_violence"),
            (FLAT, 0, 0, 3, "child_abuse"),
        ]
    )
    assert one_row(frame)["categories"] == [
        {"category": "domestic_violence", "count": 2},
        {"category": "child_abuse", "count": 1},
        {"category": "family_dispute", "count": 1},
    ]


def test_naive_reported_at_is_read_as_utc():
    frame = at([0, 1]).with_columns(pl.col("reported_at").dt.replace_time_zone(None))
    assert one_row(frame)["first_at"] == T0


def test_id_column_falls_back_to_id():
    frame = at([0, 1]).drop("incident_no").with_columns(id=pl.Series([7, 8]))
    assert one_row(frame)["incident_ids"] == ["7", "8"]


def test_empty_frame_gives_empty_result_with_schema():
    result = compute(at([]))
    assert result.height == 0
    assert result.schema == pl.Schema(OUTPUT_SCHEMA)


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (["reported_at"], "reported_at"),
        (["lat"], "lat"),
        (["category"], "category"),
        (["incident_no"], r"incident_no \(or id\)"),
        (["address_raw", "address_key"], r"address_key \(or address_raw\)"),
    ],
)
def test_missing_columns_are_named(drop, message):
    with pytest.raises(ValueError, match=f"incident frame lacks columns: {message}"):
        compute(at([0, 1]).drop(drop))


def test_bad_inputs():
    with pytest.raises(TypeError, match="'incidents' should be a polars DataFrame"):
        compute(at([0, 1]).to_pandas())
    bad = at([0, 1]).with_columns(lat=pl.Series([22.5, 122.5]))
    with pytest.raises(ValueError, match=r"'lat' holds 1 value\(s\) outside ±90° .*'J001'"):
        compute(bad)
    with pytest.raises(ValueError, match="'reported_at' should be a Datetime"):
        compute(at([0, 1]).with_columns(pl.col("reported_at").cast(pl.String)))


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"min_incidents": 0}, ValueError, "'min_incidents' should be an integer >= 1"),
        ({"min_incidents": 2.5}, ValueError, "'min_incidents' should be an integer >= 1"),
        ({"snap_distance_m": 0}, ValueError, "'snap_distance_m' should be > 0"),
        ({"snap_distance_m": float("inf")}, ValueError, "'snap_distance_m' should be > 0"),
        ({"start": datetime(2024, 1, 1)}, ValueError, "'start' should be timezone-aware"),
        ({"end": "2024-01-01"}, TypeError, "'end' should be a datetime"),
        ({"start": T0, "end": T0}, ValueError, "'start' .* should be before 'end'"),
    ],
)
def test_bad_params(params, error, message):
    with pytest.raises(error, match=message):
        RepeatAddressParams(**params)


@pytest.mark.parametrize(
    ("lng", "lat", "epsg"),
    [(113.88, 22.55, 32649), (-87.68, 41.84, 32616), (151.2, -33.9, 32756), (-180.0, 0.0, 32601)],
)
def test_utm_zone(lng, lat, epsg):
    assert utm_epsg(lng, lat) == epsg
