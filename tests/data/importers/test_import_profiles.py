"""Mapping profiles: the shipped ones load, mistakes are named by file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.importers.profiles import (
    ISO_TIME_FORMATS,
    PROFILES_DIR,
    ProfileError,
    available_profiles,
    load_profile,
)

MINIMAL = """
[profile]
source_system = "test"
[columns]
incident_no = "no"
reported_at = "time"
[time]
timezone = "Asia/Shanghai"
"""


def _profile(tmp_path, text: str, name: str = "mine.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_profiles_load():
    assert {"cn-110", "chicago"} <= set(available_profiles())
    cn = load_profile("cn-110")
    assert cn.source_system == "110"
    assert cn.columns["incident_no"] == ("警情编号",)
    assert cn.values["category"]["家庭暴力"] == "domestic_violence"
    assert cn.values["source_channel"]["110报警"] == "call_110"
    assert cn.values["flag"]["是"] is True
    assert cn.timezone == "Asia/Shanghai"
    chicago = load_profile("chicago")
    assert chicago.keep is not None and chicago.keep.values == ("true",)
    assert chicago.columns["summary"] == ("primary_type", "description", "location_description")
    assert chicago.time_formats[-len(ISO_TIME_FORMATS) :] == ISO_TIME_FORMATS


def test_a_profile_path_works_like_a_name(tmp_path):
    profile = load_profile(_profile(tmp_path, MINIMAL))
    assert profile.name == "mine" and profile.datum == "wgs84" and profile.keep is None


def test_unknown_profile_lists_the_shipped_ones():
    with pytest.raises(ProfileError, match=r"no profile 'nope'; shipped profiles: .*cn-110"):
        load_profile("nope")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[values.category]\n"家暴" = "violence"',
            r"mine.toml: \[values.category\] '家暴': 'violence' is not a category code",
        ),
        ("[colums]\nx = 1", r"mine.toml: unknown table \[colums\]"),
        (
            '[coordinates]\ndatum = "gcj"',
            r"mine.toml: \[coordinates\] 'datum': 'gcj' is not a datum",
        ),
        ('[values.flag]\n"是" = "yes"', r"\[values.flag\] '是': should be true or false"),
        ('[keep]\ncolumn = "domestic"', r"\[keep\] 'values': should be a list"),
        ('[defaults]\nrisk_level = "severe"', r"\[defaults\] 'risk_level': 'severe' is not"),
    ],
)
def test_mistakes_name_file_key_and_problem(tmp_path, extra, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(_profile(tmp_path, MINIMAL + extra))


def test_missing_required_parts(tmp_path):
    with pytest.raises(ProfileError, match=r"\[profile\] 'source_system': missing"):
        load_profile(_profile(tmp_path, MINIMAL.replace('source_system = "test"', "")))
    with pytest.raises(ProfileError, match=r"\[columns\] 'reported_at': missing"):
        load_profile(_profile(tmp_path, MINIMAL.replace('reported_at = "time"', "")))
    with pytest.raises(ProfileError, match=r"\[time\] 'timezone': unknown time zone 'Mars/Base'"):
        load_profile(_profile(tmp_path, MINIMAL.replace("Asia/Shanghai", "Mars/Base")))
    with pytest.raises(ProfileError, match=r"\[columns\] 'lat': missing: map both lng and lat"):
        load_profile(_profile(tmp_path, MINIMAL.replace('time"', 'time"\nlng = "x"')))
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(_profile(tmp_path, "[profile\n"))


def test_a_mapping_file_adapts_a_profile_and_is_named_in_errors(tmp_path):
    mapping = _profile(
        tmp_path,
        '[columns]\nreported_at = "报警时间"\n[values.category]\n"打架" = "family_dispute"\n',
        "ours.toml",
    )
    profile = load_profile("cn-110", mapping)
    assert profile.columns["reported_at"] == ("报警时间",)
    assert profile.values["category"]["打架"] == "family_dispute"
    assert profile.values["category"]["家庭暴力"] == "domestic_violence"  # the rest stays
    assert profile.files == (PROFILES_DIR / "cn-110.toml", mapping)
    bad = _profile(tmp_path, '[values.status]\n"了结" = "done"\n', "bad.toml")
    with pytest.raises(ProfileError, match=r"^bad.toml: \[values.status\] '了结'"):
        load_profile("cn-110", bad)


def test_the_example_in_the_documentation_is_a_valid_profile(tmp_path):
    doc = (Path(__file__).resolve().parents[3] / "docs" / "importing.md").read_text("utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    profile = load_profile(_profile(tmp_path, example, "grid.toml"))
    assert profile.source_system == "grid-xixiang" and profile.header_row == 2
    assert profile.columns["address"] == ("社区", "详细地址")
    assert profile.datum == "bd09" and profile.values["station"]["西乡所"] == "BA02"
