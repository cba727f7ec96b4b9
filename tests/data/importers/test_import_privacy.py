"""Pseudonyms and masking: the same person matches, numbers never reach the database."""

from __future__ import annotations

import stat

import polars as pl
import pytest
from importer_fixtures import cn110_rows, write_csv
from sqlalchemy import inspect, select, text

from data.importers.masking import mask_numbers
from data.importers.pseudonyms import (
    PSEUDONYM_HEX_CHARS,
    SECRET_BYTES,
    SecretError,
    load_or_create_secret,
    normalise_ids,
    pseudonymise,
)
from data.importers.run import import_file
from data.models import Incident
from tests.backends import ON_POSTGRES

RAW_ID = "44030619900101123X"
FULL_WIDTH_ID = "４４０３０６１９９００１０１１２３ｘ"
PHONE = "13800138000"


def test_secret_is_created_once_with_mode_0600(private_secret):
    first = load_or_create_secret()
    assert len(first) == SECRET_BYTES
    assert private_secret.is_file()
    assert stat.S_IMODE(private_secret.stat().st_mode) == 0o600
    assert load_or_create_secret() == first


def test_a_damaged_secret_is_refused(tmp_path):
    path = tmp_path / "short.key"
    path.write_bytes(b"x" * 5)
    with pytest.raises(SecretError, match="should be 32 bytes, found 5"):
        load_or_create_secret(path)


def test_ids_are_normalised_before_hashing():
    ids = pl.Series([RAW_ID, FULL_WIDTH_ID, " 44030619900101123x ", "", None])
    assert normalise_ids(ids).to_list() == [RAW_ID, RAW_ID, RAW_ID, None, None]


def test_same_person_same_pseudonym_and_the_key_matters():
    ids = pl.Series([RAW_ID, FULL_WIDTH_ID, "440306199001011234", None])
    keys = pseudonymise(ids, b"k" * SECRET_BYTES).to_list()
    assert keys[0] == keys[1] != keys[2]
    assert keys[3] is None
    assert len(keys[0]) == PSEUDONYM_HEX_CHARS and int(keys[0], 16) >= 0
    assert pseudonymise(ids, b"j" * SECRET_BYTES)[0] != keys[0]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话13800138000，身份证44030619900101123X", "电话***，身份证***"),
        ("手机号：138-0013-8000 住址", "手机号：*** 住址"),
        ("对方+86 139 1234 5678打来", "对方***打来"),
        ("座机(0755)2345678或0755-23456789", "座机***或***"),
        ("联系电话 2345678。", "联系电话 ***。"),
        ("旧证440306900101123号", "旧证***号"),
        ("全角１３８００１３８０００与４４０３０６１９９００１０１１２３ｘ", "全角***与***"),
        ("欠款5000元，2024年3月1日", "欠款5000元，2024年3月1日"),
    ],
)
def test_summaries_have_phones_and_ids_masked(text, masked):
    assert mask_numbers(pl.Series([text])).item() == masked


def test_raw_ids_and_phones_never_reach_the_database_file(engine_with_stations, tmp_path):
    rows = cn110_rows(
        {"警情编号": "J1", "受害人证件号": RAW_ID, "简要案情": f"电话{PHONE}"},
        {
            "警情编号": "J2",
            "受害人证件号": FULL_WIDTH_ID,
            "加害人证件号": "440306198505054321",
            "简要案情": f"身份证{RAW_ID}，联系 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}",
        },
    )
    path = write_csv(tmp_path / "ids.csv", rows, encoding="gb18030")
    summary = import_file(engine_with_stations, path, "cn-110")
    assert summary.inserted == 2
    with engine_with_stations.connect() as conn:
        stored = conn.execute(select(Incident.victim_key, Incident.offender_key)).all()
    assert stored[0][0] == stored[1][0]  # the full-width ID is the same person
    assert stored[1][1] is not None and stored[0][1] is None
    if ON_POSTGRES:  # no file to read: every value of every table, as the server returns it
        with engine_with_stations.connect() as conn:
            blob = " ".join(
                str(v)
                for table in inspect(conn).get_table_names()
                for row in conn.execute(text(f'SELECT * FROM "{table}"'))
                for v in row
            ).encode()
        assert len(blob) > 1000
    else:
        engine_with_stations.dispose()
        db_file = tmp_path / "anning.sqlite"
        blob = b"".join(p.read_bytes() for p in tmp_path.glob("anning.sqlite*"))
        assert db_file.stat().st_size > 0
    for secret in (RAW_ID, RAW_ID.lower(), "440306198505054321", PHONE, "138 0013"):
        assert secret.encode() not in blob, secret
    assert FULL_WIDTH_ID.encode() not in blob
