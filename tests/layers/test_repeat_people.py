"""Repeat victims and offenders: hand-built incident frames with known answers.

Coordinates are not read by this layer; the frames carry WGS-84 lat/lng near Bao'an district
government (22.5550 N 113.8830 E) only so that they are complete incident frames.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from layers import repeat_addresses, repeat_people
from layers.repeat_people import LAYER_ID, OUTPUT_SCHEMA, RepeatPeopleParams, compute

T0 = datetime(2024, 3, 1, 4, 0, tzinfo=UTC)


def incidents(rows: list[tuple]) -> pl.DataFrame:
    """Frame from (victim key, offender key, raw address, day offset, station[, category])."""
    return pl.DataFrame(
        {
            "incident_no": [f"J{i:03d}" for i in range(len(rows))],
            "reported_at": [T0 + timedelta(days=r[3]) for r in rows],
            "category": [r[5] if len(r) > 5 else "domestic_violence" for r in rows],
            "address_raw": [r[2] for r in rows],
            "lat": [22.5550] * len(rows),
            "lng": [113.8830] * len(rows),
            "station_code": [r[4] for r in rows],
            "victim_key": [r[0] for r in rows],
            "offender_key": [r[1] for r in rows],
        },
        schema_overrides={
            "reported_at": pl.Datetime("us", "UTC"),
            "victim_key": pl.String,
            "offender_key": pl.String,
            "address_raw": pl.String,
            "station_code": pl.String,
        },
    )


def person(result: pl.DataFrame, key: str, role: str) -> dict:
    rows = result.filter((pl.col("person_key") == key) & (pl.col("role") == role))
    assert rows.height == 1, result
    return rows.row(0, named=True)


def test_layer_id_and_schema():
    assert LAYER_ID == "repeat_people"
    result = compute(incidents([("v1", "o1", "翻身路12栋302", 0, "S01")] * 2))
    assert result.schema == pl.Schema(OUTPUT_SCHEMA)


def test_victim_who_moved_keeps_one_history():
    frame = incidents(
        [
            ("v1", "o1", "翻身路12栋302", 0, "S01"),
            ("v1", "o1", "翻身路12-302", 20, "S01"),  # same flat, other spelling
            ("v1", "o1", "前进路3栋101", 60, "S02"),  # moved: other address, other station
            ("v1", "o2", "兴华路8号", 70, "S03"),  # moved again, new partner
        ]
    )
    result = compute(frame)
    victim = person(result, "v1", "victim")
    assert victim["count"] == 4
    assert victim["address_count"] == 3
    assert victim["first_at"] == T0
    assert victim["last_at"] == T0 + timedelta(days=70)
    assert victim["latest_station"] == "S03"
    assert victim["gaps_days"] == [20.0, 40.0, 10.0]
    assert victim["incident_ids"] == ["J000", "J001", "J002", "J003"]
    offender = person(result, "o1", "offender")
    assert offender["count"] == 3
    assert offender["address_count"] == 2
    assert offender["latest_station"] == "S02"
    assert result.filter(pl.col("person_key") == "o2").height == 0  # one incident only


def test_one_person_in_two_roles_has_two_rows():
    frame = incidents(
        [
            ("p1", "o1", "翻身路1号", 0, "S01"),
            ("p1", "o1", "翻身路1号", 5, "S01"),
            ("v9", "p1", "翻身路1号", 9, "S01"),
            ("v8", "p1", "翻身路1号", 12, "S01"),
        ]
    )
    result = compute(frame)
    assert person(result, "p1", "victim")["incident_ids"] == ["J000", "J001"]
    assert person(result, "p1", "offender")["incident_ids"] == ["J002", "J003"]


def test_escalation_and_marac_use_the_repeat_address_rules():
    assert repeat_people.history_summary is repeat_addresses.history_summary
    days = [0, 40, 70, 82, 86]  # gaps 40, 30, 12, 4: escalating; five within a year: MARAC
    frame = incidents([("v1", None, f"路{d}号", d, "S01") for d in days])
    victim = person(compute(frame), "v1", "victim")
    assert victim["escalating"] is True
    assert victim["marac_flag"] is True
    assert victim["median_gap_days"] == 21.0

    slow = incidents([("v2", None, "翻身路1号", d, "S01") for d in (0, 200, 400)])
    victim = person(compute(slow), "v2", "victim")
    assert victim["escalating"] is False
    assert victim["marac_flag"] is False


def test_latest_station_skips_a_missing_station():
    frame = incidents([("v1", None, "翻身路1号", 0, "S01"), ("v1", None, "翻身路1号", 3, None)])
    assert person(compute(frame), "v1", "victim")["latest_station"] == "S01"


def test_categories_counted_per_person():
    frame = incidents(
        [
            ("v1", None, "翻身路1号", 0, "S01", "relationship_dispute"),
            ("v1", None, "翻身路1号", 1, "S01", "domestic_violence"),
            ("v1", None, "翻身路1号", 2, "S01", "domestic_violence"),
        ]
    )
    assert person(compute(frame), "v1", "victim")["categories"] == [
        {"category": "domestic_violence", "count": 2},
        {"category": "relationship_dispute", "count": 1},
    ]


def test_null_keys_are_nobody():
    frame = incidents([(None, None, "翻身路1号", d, "S01") for d in range(3)])
    assert compute(frame).height == 0


def test_window_min_incidents_and_roles():
    frame = incidents(
        [("v1", "o1", "翻身路1号", d, "S01") for d in (0, 10, 20)]
        + [("v2", "o2", "翻身路2号", d, "S01") for d in (0, 30)]
    )
    windowed = compute(frame, RepeatPeopleParams(start=T0 + timedelta(days=5)))
    assert sorted(windowed["person_key"].to_list()) == ["o1", "v1"]
    assert windowed["count"].to_list() == [2, 2]
    three = compute(frame, RepeatPeopleParams(min_incidents=3))
    assert sorted(three["person_key"].to_list()) == ["o1", "v1"]
    victims = compute(frame.drop("offender_key"), RepeatPeopleParams(roles=("victim",)))
    assert set(victims["role"]) == {"victim"}
    assert victims.height == 2


def test_address_is_optional():
    frame = incidents([("v1", None, None, d, "S01") for d in (0, 1)]).drop("address_raw")
    victim = person(compute(frame), "v1", "victim")
    assert victim["address_count"] == 0
    assert victim["count"] == 2


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("victim_key", "440306199001011234"),  # resident ID card
        ("victim_key", "44030619900101123X"),
        ("offender_key", "13800138000"),  # mobile phone
    ],
)
def test_raw_identifiers_are_refused(column, value):
    frame = incidents([("v1", "o1", "翻身路1号", 0, "S01")] * 2)
    frame = frame.with_columns(pl.Series(column, [value, "k2"]))
    with pytest.raises(ValueError, match=f"column '{column}' holds 1 value.*'J000'"):
        compute(frame)


def test_missing_columns_are_named():
    frame = incidents([("v1", "o1", "翻身路1号", 0, "S01")])
    with pytest.raises(ValueError, match="incident frame lacks columns: offender_key"):
        compute(frame.drop("offender_key"))
    with pytest.raises(ValueError, match="incident frame lacks columns: station_code"):
        compute(frame.drop("station_code"))


def test_bad_params():
    with pytest.raises(ValueError, match="'roles' should be a non-empty subset"):
        RepeatPeopleParams(roles=("witness",))
    with pytest.raises(ValueError, match="'min_incidents' should be an integer >= 1"):
        RepeatPeopleParams(min_incidents=0)
    with pytest.raises(ValueError, match="'end' should be timezone-aware"):
        RepeatPeopleParams(end=datetime(2024, 1, 1))
