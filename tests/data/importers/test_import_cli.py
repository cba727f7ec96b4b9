"""The ``import`` and ``stations`` commands: exit codes, one-line errors, the rejects file."""

from __future__ import annotations

import argparse

import pytest
from importer_fixtures import STATION_A, cn110_rows, write_csv

from data.importers.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTS, add_import_commands, run_command


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="app.py")
    add_import_commands(parser.add_subparsers(dest="command"))
    return run_command(parser.parse_args(list(argv)))


@pytest.fixture
def database(created_db_url, monkeypatch):
    monkeypatch.setenv("ANNING_DATABASE_URL", created_db_url)
    return created_db_url


def test_import_prints_the_summary_and_exits_0(database, tmp_path, capsys):
    path = write_csv(tmp_path / "ok.csv", cn110_rows(count=3), encoding="gb18030")
    assert _run("import", str(path), "--profile", "cn-110") == EXIT_OK
    out = capsys.readouterr().out
    assert "ok.csv (profile cn-110, gb18030): 3 rows read" in out
    assert "inserted 3 · updated 0 · unchanged 0 · rejected 0" in out


def test_rejected_rows_go_to_a_file_and_exit_3(database, tmp_path, capsys):
    rows = cn110_rows({"警情编号": "J1"}, {"警情编号": "J2", "接警时间": "32/13/2024"})
    path = write_csv(tmp_path / "some.csv", rows)
    assert _run("import", str(path), "--profile", "cn-110") == EXIT_REJECTS
    out = capsys.readouterr().out
    assert "some.csv: row 3: column 接警时间: value '32/13/2024': not a time" in out
    written = list(tmp_path.glob("some.rejects-*.csv"))
    assert len(written) == 1 and str(written[0]) in out


def test_errors_are_one_line_without_a_stack_trace(database, tmp_path, capsys):
    path = write_csv(tmp_path / "ok.csv", cn110_rows(count=1))
    assert _run("import", str(path), "--profile", "nope") == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: no profile 'nope'") and err.count("\n") == 1
    assert "Traceback" not in err
    assert _run("import", str(tmp_path / "missing.csv"), "--profile", "cn-110") == EXIT_ERROR
    assert "missing.csv: no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.csv"
    broken.write_bytes("警情编号,接警时间\n".encode() + b"J1,\xff\xff\n")
    assert _run("import", str(broken), "--profile", "cn-110") == EXIT_ERROR
    assert "broken.csv: row 2: byte 0xff is not valid" in capsys.readouterr().err


def test_stations_command(database, tmp_path, capsys):
    import geopandas as gpd

    path = tmp_path / "stations.geojson"
    gpd.GeoDataFrame(
        {"code": ["A"], "name": ["甲派出所"]}, geometry=[STATION_A.boundary], crs="EPSG:4326"
    ).to_file(path, driver="GeoJSON")
    assert _run("stations", str(path), "--code-field", "code", "--name-field", "name") == EXIT_OK
    assert "stations.geojson: 1 stations from 1 features" in capsys.readouterr().out
    assert _run("stations", str(path), "--code-field", "x", "--name-field", "name") == EXIT_ERROR
    assert "--code-field 'x' is not a field" in capsys.readouterr().err
