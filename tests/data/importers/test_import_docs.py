"""docs/importing.md is a guide a user can follow alone: its codes table, examples and
mappings are checked against the code (issue 14, point 7).

* every vocabulary code is in the codes table, and every Chinese word the table gives for a
  code is read as that code by the shipped ``cn-110`` profile (已回访, 已受理, 家庭矛盾纠纷 …);
* every TOML example in the guide loads, the mapping examples laid over their profile;
* the stale advice to keep districts and beats in separate databases is gone.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import polars as pl
import pytest

from data import vocab
from data.importers.profiles import Profile, load_profile
from data.importers.validate import _lookup, _map_values

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "importing.md"
#: The codes table's field words → (profile field, vocabulary).
FIELDS = {
    "status": ("status", vocab.STATUSES),
    "category": ("category", vocab.CATEGORIES),
    "source": ("source_channel", vocab.SOURCES),
    "risk": ("risk_level", vocab.RISK_LEVELS),
    "department": ("department", vocab.DEPARTMENTS),
}


def _section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    return text[start : end if end >= 0 else len(text)]


def _codes_table() -> dict[str, dict[str, list[str]]]:
    """field → code → the Chinese words the table lists for it."""
    out: dict[str, dict[str, list[str]]] = {}
    field = None
    for line in _section("### The vocabulary codes").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.search(r"`[a-z_0-9]+`", cells[1]):
            continue
        if cells[0]:
            field = cells[0].split()[0]
        codes = re.findall(r"`([a-z_0-9]+)`", cells[1])
        words = re.sub(r"\([^)]*\)", "", cells[2])
        groups = words.split(" / ") if len(codes) > 1 else [words]
        assert len(groups) == len(codes), line
        for code, group in zip(codes, groups, strict=True):
            listed = [w.strip() for w in group.split(",") if w.strip()]
            out.setdefault(field, {})[code] = listed
    return out


def test_the_codes_table_lists_every_code_with_its_words():
    table = _codes_table()
    assert set(table) == set(FIELDS)
    for field, (_, codes) in FIELDS.items():
        assert set(table[field]) == set(codes), field
        assert all(table[field][c] for c in codes), field


def test_the_words_of_the_codes_table_are_what_cn110_reads():
    profile = load_profile("cn-110")
    for field, by_code in _codes_table().items():
        name = FIELDS[field][0]
        if name is None:
            continue  # departments are entered in Anning, not imported
        for code, words in by_code.items():
            mapped = _map_values(pl.Series(words), _lookup(profile, name), profile.codes)
            assert mapped.to_list() == [code] * len(words), (field, code, words)
    # The three words the issue asks about.
    table = _codes_table()
    assert "已回访" in table["status"]["following_up"]
    assert "已受理" in table["status"]["reported"]
    assert "家庭矛盾纠纷" in table["category"]["family_dispute"]


def _toml_examples() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(_toml_examples())))
def test_every_toml_example_of_the_guide_loads(index, tmp_path):
    example = _toml_examples()[index]
    doc = tomllib.loads(example)
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    if "profile" in doc:
        profile = load_profile(path)
    else:  # a mapping: laid over the profile its comment or keys suit
        base = "chicago" if doc.get("keep", {}).get("column") == "iucr" else "cn-110"
        profile = load_profile(base, path)
    assert isinstance(profile, Profile)


def test_the_mapping_example_only_adds_values(tmp_path):
    example = next(e for e in _toml_examples() if "--mapping" in e)
    assert set(tomllib.loads(example)) == {"values"}
    path = tmp_path / "mapping.toml"
    path.write_text(example, encoding="utf-8")
    laid = load_profile("cn-110", path)
    shipped = load_profile("cn-110")
    for table, entries in shipped.values.items():
        assert entries.items() <= laid.values[table].items()  # nothing of the profile lost
    assert laid.values["status"]["已签收"] == "dispatched"


def test_the_guide_says_what_happens_to_far_points_and_zero_and_the_datum_column():
    far = _section("### Points far away and (0, 0)")
    assert "source_lng" in far and "`0, 0`" in far and "outside" in far
    assert 'datum = "坐标系"' in _section("### The datum of each row")
    assert "separate databases" not in GUIDE.read_text(encoding="utf-8")
