"""Real exports imported without editing them (issue 14, "Importing real exports").

Each test names the point it covers; each fails on the code before that point's fix:
repeated header names, keep patterns, date and time in two columns, zero-padded codes,
bogus coordinates kept out of the layers, and the rejects file written every time.
"""

from __future__ import annotations

import argparse
import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from importer_fixtures import CHICAGO, CN110_HEADERS, STATION_A, cn110_rows, write_csv
from openpyxl import Workbook
from sqlalchemy import select

from dashboard.parts.tables import detail_rows
from data.access import CaseAccess, IncidentFilter, Scope
from data.importers.cli import EXIT_OK, EXIT_REJECTS, add_import_commands, run_command
from data.importers.readers import read_table
from data.importers.run import import_file
from data.importers.stations import import_stations
from data.models import Incident
from data.store import save_stations
from layers import near_repeat
from layers.registry import located_positions_only

CRIMES = CHICAGO / "crimes_2017_2019_sample.csv"
DISTRICTS = CHICAGO / "police_districts.geojson"
SHANGHAI = ZoneInfo("Asia/Shanghai")
needs_chicago = pytest.mark.skipif(not CRIMES.is_file(), reason="shared Chicago data not present")


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_import_commands(parser.add_subparsers(dest="command"))
    return run_command(parser.parse_args(list(argv)))


def _stored(engine, *cols: str) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Incident.incident_no, *(getattr(Incident, c) for c in cols))
        ).all()
    return {r[0]: dict(zip(cols, r[1:], strict=True)) for r in rows}


def _chicago_head(tmp_path, rows: int = 3000) -> tuple:
    """The first ``rows`` rows of the real Chicago export, bytes unchanged."""
    with CRIMES.open("rb") as handle:
        lines = [next(handle) for _ in range(rows + 1)]
    path = tmp_path / "crimes_head.csv"
    path.write_bytes(b"".join(lines))
    return path, pl.read_csv(path, infer_schema=False)


def _mapping(tmp_path, text: str, name: str = "mapping.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ 1. repeated header names


def _gb18030_with_two_times(path, rows: list[dict], second: list[str]):
    headers = [*CN110_HEADERS, "接警时间"]  # the export repeats 接警时间 (a re-dispatch time)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row, again in zip(rows, second, strict=True):
        writer.writerow([row.get(h, "") for h in CN110_HEADERS] + [again])
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return path


def test_a_repeated_header_is_read_by_position_and_the_profile_picks_either(
    engine_with_stations, tmp_path
):
    rows = cn110_rows(count=3)
    path = _gb18030_with_two_times(
        tmp_path / "重复列.csv", rows, ["2024-03-02 08:15:00", "2024-03-03 09:00:00", ""]
    )
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.columns[-1] == "接警时间#2"
    assert table.repeated == {"接警时间": ["接警时间", "接警时间#2"]}

    # The first copy by its own name ...
    first = import_file(engine_with_stations, path, "cn-110")
    assert (first.inserted, first.rejected) == (3, 0)
    text = "\n".join(first.lines())
    assert "column '接警时间' appears 2 times: read as '接警时间', '接警时间#2'" in text
    assert first.as_dict()["repeated_columns"] == {"接警时间": ["接警时间", "接警时间#2"]}
    # ... the second by its number (an empty cell there is an empty time: rejected).
    mapping = _mapping(tmp_path, '[columns]\nreported_at = "接警时间#2"\n')
    second = import_file(engine_with_stations, path, "cn-110", mapping=mapping)
    assert (second.updated, second.rejected) == (2, 1)
    stored = _stored(engine_with_stations, "reported_at")
    assert stored["J0001"]["reported_at"] == datetime(2024, 3, 2, 0, 15)  # 08:15 Shanghai
    assert stored["J0003"]["reported_at"] == datetime(2024, 3, 1, 2, 0)  # first import kept


def test_a_repeated_header_in_a_workbook(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["警情编号", "地址", "地址", "地址"])
    sheet.append(["J1", "宝安区", "翻身路12栋", "302室"])
    path = tmp_path / "重复.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.columns == ["警情编号", "地址", "地址#2", "地址#3"]
    assert table.frame.row(0, named=True)["地址#3"] == "302室"
    assert table.repeated == {"地址": ["地址", "地址#2", "地址#3"]}


# ------------------------------------------------------------------ 2. keep rules with patterns


@needs_chicago
def test_keep_by_glob_and_regex_on_the_real_chicago_export(db_engine, tmp_path):
    path, raw = _chicago_head(tmp_path)
    # 'DOMESTIC BATTERY SIMPLE', 'DOMESTIC BATTERY AGG…': a prefix, as users write it.
    mapping = _mapping(
        tmp_path, '[keep]\ncolumn = "description"\nvalues = []\nglobs = ["domestic*"]\n'
    )
    summary = import_file(db_engine, path, "chicago", mapping=mapping)
    expected = raw.filter(pl.col("description").str.starts_with("DOMESTIC")).height
    assert expected > 100
    assert (summary.inserted, summary.filtered) == (expected, raw.height - expected)
    assert summary.keep_unmatched == 0

    # IUCR codes 0486 etc. lost their leading zero upstream: a regex takes both forms.
    mapping = _mapping(
        tmp_path, '[keep]\ncolumn = "iucr"\nvalues = []\nregex = ["0?48[0-9]"]\n', "iucr.toml"
    )
    summary = import_file(db_engine, path, "chicago", mapping=mapping)
    expected = raw.filter(pl.col("iucr").str.contains(r"^0?48[0-9]$")).height
    assert expected > 100
    assert summary.filtered == raw.height - expected


@needs_chicago
def test_a_keep_value_that_matches_no_row_warns_and_exits_3(
    created_db_url, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("ANNING_DATABASE_URL", created_db_url)
    path, raw = _chicago_head(tmp_path)
    # '04*' written as an exact value: it matches nothing (and the zeros are gone anyway).
    mapping = _mapping(tmp_path, '[keep]\ncolumn = "iucr"\nvalues = ["486", "04*"]\n')
    status = _run("import", str(path), "--profile", "chicago", "--mapping", str(mapping))
    out = capsys.readouterr().out
    assert status == EXIT_REJECTS
    kept = raw.filter(pl.col("iucr") == "486").height
    assert "[keep] values '04*' matched no row of column 'iucr'" in out
    assert "write a prefix as globs = ['04*']" in out
    assert f"{kept:,} of {raw.height:,} rows kept" in out


def test_keep_patterns_are_checked_when_the_profile_loads(tmp_path):
    from data.importers.profiles import ProfileError, load_profile

    bad = _mapping(tmp_path, '[keep]\ncolumn = "domestic"\nregex = ["(unclosed"]\n')
    with pytest.raises(ProfileError, match=r"\[keep\] 'regex': '\(unclosed' is not a regular"):
        load_profile("chicago", bad)


# ------------------------------------------------------------------ 3. date and time columns

DATE_TIME_MAPPING = """
[columns]
reported_at = ["报警日期", "报警时间"]
"""


def _date_time_rows() -> list[tuple]:
    """(number, date cell, time cell, expected local time or None if rejected)."""
    return [
        ("D1", date(2024, 3, 1), 930, datetime(2024, 3, 1, 9, 30)),
        ("D2", date(2024, 3, 2), 5, datetime(2024, 3, 2, 0, 5)),
        ("D3", date(2024, 3, 3), 2359, datetime(2024, 3, 3, 23, 59)),
        ("D4", date(2024, 3, 4), 0, datetime(2024, 3, 4, 0, 0)),
        ("D5", date(2024, 3, 5), "18:45", datetime(2024, 3, 5, 18, 45)),
        ("D6", date(2024, 3, 6), "7:05", datetime(2024, 3, 6, 7, 5)),
        ("D7", date(2024, 3, 7), 2460, None),  # minute 60: no time of day
    ]


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def test_reported_at_from_a_date_and_an_hhmm_column_of_a_workbook(engine_with_stations, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["警情编号", "报警日期", "报警时间", "经度", "纬度"])
    for number, day, clock, _ in _date_time_rows():
        sheet.append([number, day, clock, 113.82, 22.62])
    for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].number_format = "yyyy-mm-dd"  # a date cell, as the export writes it
    path = tmp_path / "分列时间.xlsx"
    book.save(path)
    mapping = _mapping(tmp_path, DATE_TIME_MAPPING)
    summary = import_file(engine_with_stations, path, "cn-110", mapping=mapping)
    assert (summary.inserted, summary.rejected) == (6, 1)
    reject = summary.rejects.row(0, named=True)
    assert (reject["column"], reject["value"]) == ("报警时间", "2460")
    assert "not a time of day (expected HHMM from 0 to 2359" in reject["reason"]
    stored = _stored(engine_with_stations, "reported_at")
    for number, _, _, local in _date_time_rows():
        if local is not None:
            assert stored[number]["reported_at"] == _utc(local), number
    # The hour x weekday view reads these hours, not midnight for every row.
    local_hours = {
        v["reported_at"].replace(tzinfo=UTC).astimezone(SHANGHAI).hour for v in stored.values()
    }
    assert local_hours == {9, 0, 23, 18, 7}


def test_date_and_time_columns_of_a_gb18030_csv(engine_with_stations, tmp_path):
    headers = ("警情编号", "报警日期", "报警时间", "经度", "纬度")
    rows = [
        {"警情编号": "C1", "报警日期": "2024/03/01", "报警时间": "845", "经度": "113.82"},
        {"警情编号": "C2", "报警日期": "2024-03-02", "报警时间": "", "经度": "113.82"},
        {"警情编号": "C3", "报警日期": "2024年3月3日", "报警时间": "21:07:30", "经度": "113.82"},
        {"警情编号": "C4", "报警日期": "3 March", "报警时间": "1200", "经度": "113.82"},
    ]
    for row in rows:
        row["纬度"] = "22.62"
    path = write_csv(tmp_path / "分列.csv", rows, encoding="gb18030", headers=headers)
    mapping = _mapping(tmp_path, DATE_TIME_MAPPING)
    summary = import_file(engine_with_stations, path, "cn-110", mapping=mapping)
    assert (summary.inserted, summary.rejected) == (3, 1)
    assert summary.rejects.row(0, named=True)["column"] == "报警日期"
    assert any(w.kind == "no_time_of_day" and w.count == 1 for w in summary.warnings)
    stored = _stored(engine_with_stations, "reported_at")
    assert stored["C1"]["reported_at"] == _utc(datetime(2024, 3, 1, 8, 45))
    assert stored["C2"]["reported_at"] == _utc(datetime(2024, 3, 2))
    assert stored["C3"]["reported_at"] == _utc(datetime(2024, 3, 3, 21, 7, 30))


# ------------------------------------------------------------------ 4. codes written differently


@needs_chicago
def test_zero_padded_districts_match_the_stored_stations(db_engine, tmp_path):
    import_stations(db_engine, DISTRICTS, "DIST_NUM", "DIST_LABEL")
    _, raw = _chicago_head(tmp_path, rows=600)
    # The portal writes district '008' and beat '0832'; the stored districts are '8'. The
    # rows lose their coordinates, so only the district column can place them.
    padded = raw.with_columns(
        pl.col("district").cast(pl.Int64).cast(pl.String).str.zfill(3),
        pl.lit(None, pl.String).alias("latitude"),
        pl.lit(None, pl.String).alias("longitude"),
    )
    padded.write_csv(tmp_path / "padded.csv")
    mapping = _mapping(tmp_path, "[codes]\nstrip_zeros = true\n")
    summary = import_file(db_engine, tmp_path / "padded.csv", "chicago", mapping=mapping)
    assert not [w for w in summary.warnings if w.kind == "unknown_station"]
    stored = _stored(db_engine, "station_code")
    expected = dict(raw.filter(pl.col("domestic") == "True").select("id", "district").iter_rows())
    assert expected and {n: s["station_code"] for n, s in stored.items()} == expected


def test_zero_padded_codes_of_a_value_table(engine_with_stations, tmp_path):
    rows = cn110_rows(
        {"警情编号": "R1", "风险等级": "01"},
        {"警情编号": "R2", "风险等级": "002"},
        {"警情编号": "R3", "风险等级": "3"},
        {"警情编号": "R4", "风险等级": "甲A1", "管辖单位": "00a"},
    )
    path = write_csv(tmp_path / "codes.csv", rows, encoding="gb18030")
    mapping = _mapping(
        tmp_path,
        '[codes]\nwidth = 4\n\n[values.risk_level]\n"1" = "high"\n"2" = "medium"\n"0003" = "low"\n',
    )
    summary = import_file(engine_with_stations, path, "cn-110", mapping=mapping)
    stored = _stored(engine_with_stations, "risk_level", "station_code")
    assert [stored[n]["risk_level"] for n in ("R1", "R2", "R3")] == ["high", "medium", "low"]
    assert stored["R4"]["station_code"] == "A"  # 'a' stays 'a' (only digits are padded)
    assert summary.inserted == 4


# ------------------------------------------------------------------ 5. bogus coordinates


def _bogus_rows() -> list[dict]:
    """Two incidents at one address in station A, a third there with a point in Beijing,
    one at (0, 0), one at longitude 0, one without coordinates, and near-repeat material:
    30 incidents in station A over 60 days."""
    address = "宝安区翻身路12栋302室"
    start = datetime(2024, 3, 1, 10, 0)
    rows = [
        {"警情编号": "H1", "发案地址": address, "接警时间": "2024-03-01 10:00:00"},
        {"警情编号": "H2", "发案地址": address, "接警时间": "2024-03-09 10:00:00"},
        {
            "警情编号": "H3",
            "发案地址": address,
            "接警时间": "2024-03-20 10:00:00",
            "经度": "116.4",
            "纬度": "39.9",
        },
        {"警情编号": "Z1", "发案地址": "宝安区某处", "经度": "0", "纬度": "0"},
        # Half a placeholder: longitude 0 with a real latitude is a point off Africa.
        {"警情编号": "X1", "发案地址": "宝安区另一处", "经度": "0", "纬度": "22.62"},
        {"警情编号": "N1", "发案地址": "宝安区别处", "经度": "", "纬度": ""},
    ]
    for i in range(30):
        at = start + timedelta(days=2 * i, hours=i % 7)
        rows.append(
            {
                "警情编号": f"P{i:02d}",
                "发案地址": f"宝安区新安路{i}号",
                "接警时间": f"{at:%Y-%m-%d %H:%M:%S}",
                "经度": f"{113.81 + 0.001 * (i % 10):.4f}",
                "纬度": f"{22.61 + 0.001 * (i // 10):.4f}",
            }
        )
    return cn110_rows(*rows)


def test_far_away_and_zero_points_are_kept_apart_from_the_layers(engine_with_stations, tmp_path):
    path = write_csv(tmp_path / "bogus.csv", _bogus_rows(), encoding="gb18030")
    summary = import_file(engine_with_stations, path, "cn-110")
    assert summary.rejected == 0
    stored = _stored(
        engine_with_stations, "location_state", "lng", "lat", "h3_cell", "source_lng", "source_lat"
    )
    far, zero = stored["H3"], stored["Z1"]
    assert far["location_state"] == "outside"
    assert (far["lng"], far["lat"], far["h3_cell"]) == (None, None, None)
    assert (far["source_lng"], far["source_lat"]) == (116.4, 39.9)
    assert zero["location_state"] == "unlocated"
    assert (zero["lng"], zero["lat"], zero["source_lng"], zero["source_lat"]) == (None, None, 0, 0)
    assert stored["H1"]["source_lng"] is None and stored["H1"]["lng"] == pytest.approx(113.82)
    assert stored["X1"]["location_state"] == "outside" and stored["X1"]["lng"] is None

    access = CaseAccess(engine_with_stations)
    scope = Scope(user="t", personal_details=True)
    now = datetime(2024, 5, 1, tzinfo=UTC)
    repeats = access.layer(scope, IncidentFilter(), "repeat_addresses", now=now)
    assert repeats.height == 1  # one address, not split by the point in Beijing
    row = repeats.row(0, named=True)
    assert row["count"] == 3 and row["incident_ids"] == ["H1", "H2", "H3"]
    assert row["lng"] == pytest.approx(113.82)
    # The Knox test reads 180 days: the Beijing row in it no longer stretches the area.
    zones = access.layer(
        scope, IncidentFilter(), "near_repeat", {"history_days": 180, "permutations": 19}, now=now
    )
    assert isinstance(zones, pl.DataFrame)  # was: "incidents span 113.8° of longitude"
    knox = near_repeat.knox_test(
        located_positions_only(access.incidents(scope, IncidentFilter())).filter(
            pl.col("lat").is_not_null()
        ),
        near_repeat.NearRepeatParams(permutations=19),
    )
    assert knox.get_column("metric_crs").unique().to_list() == ["EPSG:32649"]
    # The case page shows where the source put it, to those who may see personal details.
    with engine_with_stations.connect() as conn:
        far_id = conn.execute(select(Incident.id).where(Incident.incident_no == "H3")).scalar()
    fields = access.case_detail(scope, far_id).fields
    assert (fields["lat"], fields["source_lat"], fields["source_lng"]) == (None, 39.9, 116.4)
    masked = access.case_detail(Scope(user="t"), far_id).fields
    assert (masked["source_lat"], masked["source_lng"]) == (None, None)
    shown = {name: value for name, _, value in detail_rows(fields, "en", {})}
    assert shown["source_lng"] == "116.40000" and "lat" not in shown


def test_the_layers_never_read_a_position_of_a_row_not_located():
    frame = pl.DataFrame(
        {
            "location_state": ["located", "outside", "unlocated"],
            "lat": [22.6, 39.9, 0.0],
            "lng": [113.8, 116.4, 0.0],
            "h3_cell": [1, 2, None],
            "h3_7": [10, 20, None],
            "station_code": ["A", None, None],
        }
    )
    out = located_positions_only(frame)
    assert out["lat"].to_list() == [22.6, None, None]
    assert out["h3_7"].to_list() == [10, None, None]
    assert out["station_code"].to_list() == ["A", None, None]


def test_migration_0007_moves_stored_outside_points_to_the_source_columns(db_url):
    from alembic import command
    from alembic.config import Config

    from data.database import MIGRATIONS_DIR, make_engine, upgrade

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
    save_stations(engine, [STATION_A])
    columns = (
        "source_system, incident_no, source_channel, category, risk_level, reported_at, "
        "lat, lng, h3_cell, location_state, status, warning_letter, protection_order, "
        "minor_involved, created_at, updated_at"
    )
    with engine.begin() as conn:
        for no, lat, lng, cell, state in (
            ("M1", 22.62, 113.82, 617733123123123123, "located"),
            ("M2", 39.9, 116.4, None, "outside"),
        ):
            conn.exec_driver_sql(
                f"INSERT INTO incident ({columns}) VALUES ('110', '{no}', 'call_110', "
                f"'domestic_violence', 'high', '2024-03-01 02:00:00', {lat}, {lng}, "
                f"{cell if cell else 'NULL'}, '{state}', 'reported', false, false, false, "
                "'2024-03-01 02:00:00', '2024-03-01 02:00:00')"
            )
    upgrade(engine)
    stored = _stored(engine, "lat", "lng", "source_lat", "source_lng")
    assert stored["M1"] == {"lat": 22.62, "lng": 113.82, "source_lat": None, "source_lng": None}
    assert stored["M2"] == {"lat": None, "lng": None, "source_lat": 39.9, "source_lng": 116.4}
    engine.dispose()


# ------------------------------------------------------------------ 6. always account on paper


def test_the_rejects_file_is_written_with_only_its_header_when_none_are_rejected(
    created_db_url, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("ANNING_DATABASE_URL", created_db_url)
    path = write_csv(tmp_path / "clean.csv", _bogus_rows(), encoding="gb18030")
    rejects = tmp_path / "out" / "rejects.csv"
    assert _run("import", str(path), "--profile", "cn-110", "--rejects", str(rejects)) == EXIT_OK
    out = capsys.readouterr().out
    assert rejects.read_bytes().decode("utf-8-sig").splitlines() == [
        ",".join([*CN110_HEADERS, "row_number", "column", "value", "reason"])
    ]
    assert f"no rows rejected: {rejects} holds the header only" in out
    # (0, 0) is counted apart from rows without coordinates.
    assert "1 rows have coordinates (0, 0), a placeholder for no position" in out
    assert "1 rows have no coordinates: kept as unlocated" in out


def test_a_missing_time_column_reads_its_dates_at_midnight(engine_with_stations, tmp_path):
    headers = ("警情编号", "报警日期", "报警时间", "办结日期")
    rows = [
        {"警情编号": "M1", "报警日期": "2024-03-01", "报警时间": "1015", "办结日期": "2024-03-04"}
    ]
    path = write_csv(tmp_path / "缺列.csv", rows, encoding="gb18030", headers=headers)
    mapping = _mapping(tmp_path, DATE_TIME_MAPPING + 'closed_at = ["办结日期", "办结时间"]\n')
    summary = import_file(engine_with_stations, path, "cn-110", mapping=mapping)
    assert (summary.inserted, summary.rejected) == (1, 0)
    assert any(w.kind == "missing_column" and "办结时间" in w.message for w in summary.warnings)
    stored = _stored(engine_with_stations, "reported_at", "closed_at")["M1"]
    assert stored["reported_at"] == _utc(datetime(2024, 3, 1, 10, 15))
    assert stored["closed_at"] == _utc(datetime(2024, 3, 4))
