"""Address keys: spelling variants that must meet, decoys that must stay apart."""

from __future__ import annotations

import polars as pl
import pytest

import geo.addresses as addresses
from geo.addresses import normalise_address, normalise_addresses

FLAT = "翻身路12栋302室"
# The numbered zone (宝城28区) is kept: it is below the street office (module docstring).
FLAT_IN_ZONE = "宝城28区翻身路12栋302室"

VARIANTS = [
    "翻身路12栋302室",
    "翻身路１２栋３０２室",  # full-width digits
    "翻身路十二栋三〇二室",  # Chinese numerals, 〇 as zero
    "翻身路12幢302房",
    "翻身路12号楼302",
    "翻身路12-302",
    "翻身路12栋-302",
    "翻身路12座302号",
    "翻身路12#302",
    "翻身路 12 栋，302 室。",
    "翻身路12栋3楼302",  # the floor repeats the room number's first digit
    "深圳市宝安区翻身路12栋302",
    "广东省深圳市宝安区新安街道翻身路12栋302室",
    "广东深圳市宝安区翻身路十二号楼三零二",
    "中国广东省深圳市宝安区翻身路１２－３０２",
]

VARIANTS_IN_ZONE = [
    "宝安区新安街道宝城28区翻身路12栋302室",
    "宝城28区翻身路１２栋３０２室",
    "宝城二十八区翻身路十二栋三〇二室",
    "宝城28区翻身路12幢302房",
    "宝城28区翻身路12号楼302",
    "宝城28区翻身路12-302",
    "深圳市宝安区宝城28区翻身路12栋302",
]


@pytest.mark.parametrize("text", VARIANTS)
def test_spelling_variants_give_one_key(text):
    assert normalise_address(text) == FLAT


@pytest.mark.parametrize("text", VARIANTS_IN_ZONE)
def test_variants_naming_the_zone_give_one_key(text):
    assert normalise_address(text) == FLAT_IN_ZONE


def test_community_zone_is_kept_so_with_and_without_it_are_two_keys():
    assert normalise_address("宝安区新安街道宝城28区翻身路12栋302室") != normalise_address(
        "翻身路12栋302室"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("翻身路12栋302", "翻身路12栋303"),  # same building, other flat
        ("翻身路12栋302", "翻身路13栋302"),  # other building
        ("翻身路12栋302", "翻身路12栋3单元302"),  # a unit is named in one only
        ("翻身路12-1号", "翻身路121号"),  # dashed door number is not door 121
        ("翻身路12号", "翻身路12栋302"),  # door number alone vs a flat
        ("翻身路12栋302", "前进路12栋302"),  # other road
        ("宝城28区翻身路12栋302", "宝城29区翻身路12栋302"),  # other zone
        ("固戍一村3巷5号", "固戍二村3巷5号"),  # other village
    ],
)
def test_decoys_stay_apart(a, b):
    assert normalise_address(a) != normalise_address(b)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("翻身路十二栋", "翻身路12栋"),
        ("翻身路12栋三百零二室", "翻身路12栋302室"),
        ("翻身路12栋二〇五室", "翻身路12栋205室"),
        ("翻身路12栋三百二十号", "翻身路12栋320室"),
        ("兴华路三百二号", "兴华路320号"),  # colloquial: 三百二 is 320
        ("兴华路两百号", "兴华路200号"),
        ("兴华路一千零五号", "兴华路1005号"),
        ("宝城二十八区", "宝城28区"),
        ("第三栋301", "3栋301室"),
        ("固戍一村三巷5号", "固戍1村3巷5号"),
        ("百花二路5号", "百花2路5号"),  # 百 of the name stays
        ("九围新村5号", "九围新村5号"),  # a numeral in a name is not a number
        ("翻身路12栋三〇二", "翻身路12栋302室"),  # numeral ending the text after a building
    ],
)
def test_chinese_numerals_in_number_positions(text, key):
    assert normalise_address(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("翻身路12号楼3单元302", "翻身路12栋3单元302室"),
        ("翻身路12-3-302", "翻身路12栋3单元302室"),
        ("翻身路12栋3-302", "翻身路12栋3单元302室"),
        ("翻身路十二号楼三单元三〇二", "翻身路12栋3单元302室"),
        ("翻身路12栋3单元3楼302", "翻身路12栋3单元302室"),
        ("翻身路12楼302", "翻身路12栋302室"),  # 楼 before a room that does not repeat it
        ("海景大厦12楼1203", "海景大厦1203室"),  # 楼 repeated by the room: a floor
        ("海景大厦12层1203室", "海景大厦1203室"),
        ("翻身路12栋5楼", "翻身路12栋5层"),  # a floor with no room is kept
        ("翻身路3#楼502", "翻身路3栋502室"),
        ("翻身路A座1201", "翻身路A栋1201室"),
        ("翻身路a座1201", "翻身路A栋1201室"),
        ("翻身路12栋302号房", "翻身路12栋302室"),
        ("翻身路28号3栋302", "翻身路28号3栋302室"),  # door number, then building
        ("翻身路12号", "翻身路12号"),  # a door number alone is not a room
        ("翻身路12-1号", "翻身路12-1号"),
    ],
)
def test_building_unit_floor_and_room_words(text, key):
    assert normalise_address(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("北京路12号", "北京路12号"),  # a province name used as a road name
        ("坪洲小区3栋201", "坪洲小区3栋201室"),  # 小区 is no district
        ("凤凰社区3栋201", "凤凰社区3栋201室"),  # the community is kept
        ("华润城市花园3栋201", "华润城市花园3栋201室"),  # 城市 is no city
        ("沙井市场3号", "沙井市场3号"),
        ("大鹏新区葵涌街道溪涌村5号", "溪涌村5号"),
        ("宝安区西乡街道办固戍一村5号", "固戍1村5号"),
        ("湖南省长沙市岳麓区橘子洲街道新民路3号", "新民路3号"),
        ("沙井镇新桥村5号", "沙井镇新桥村5号"),  # towns are kept
    ],
)
def test_administrative_prefixes(text, key):
    assert normalise_address(text) == key


@pytest.mark.parametrize(
    "text", [None, "", "   ", "\u3000", "，。、", "广东省深圳市宝安区新安街道"]
)
def test_no_address_gives_none(text):
    assert normalise_address(text) is None


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError, match="'text' should be str or None, got int"):
        normalise_address(12)


@pytest.mark.parametrize(
    "text",
    [
        "012XX W MADISON ST",
        "12XX W Madison Street",
        "12xx  west madison street.",
        "０１２XX W MADISON ST",
    ],
)
def test_chicago_block_variants_give_one_key(text):
    assert normalise_address(text) == "12XX W MADISON ST"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0000X E WACKER DR", "0X E WACKER DR"),  # one zero kept
        ("047XX S Cottage Grove Avenue", "47XX S COTTAGE GROVE AVE"),
        ("015XX N Lake Shore Drive", "15XX N LAKE SHORE DR"),
        ("041XX W Washington Boulevard", "41XX W WASHINGTON BLVD"),
        ("043XX N Pulaski Road", "43XX N PULASKI RD"),
        ("007XX S Federal Place", "7XX S FEDERAL PL"),
        ("100 North Ave", "100 NORTH AVE"),  # NORTH is the street's name here
        ("048XX W NORTH AVE", "48XX W NORTH AVE"),
        ("12XX W MADISON ST", "12XX W MADISON ST"),
    ],
)
def test_english_rules(text, key):
    assert normalise_address(text) == key


def test_english_decoys_stay_apart():
    assert normalise_address("012XX W MADISON ST") != normalise_address("013XX W MADISON ST")
    assert normalise_address("012XX W MADISON ST") != normalise_address("012XX E MADISON ST")


def test_series_matches_scalar_and_normalises_each_distinct_value_once(monkeypatch):
    raw = pl.Series(
        "address_raw",
        ["翻身路12-302", None, "翻身路12号楼302", "翻身路12-302", "  ", "翻身路12-302"],
    )
    calls: list[str] = []
    scalar = addresses.normalise_address

    def counting(text):
        calls.append(text)
        return scalar(text)

    monkeypatch.setattr(addresses, "normalise_address", counting)
    keys = normalise_addresses(raw)

    assert keys.name == "address_raw"
    assert keys.dtype == pl.String
    assert keys.to_list() == [FLAT, None, FLAT, FLAT, None, FLAT]
    assert sorted(calls) == sorted({"翻身路12-302", "翻身路12号楼302", "  "})


def test_series_all_null_and_empty():
    assert normalise_addresses(pl.Series("a", [None, None])).to_list() == [None, None]
    assert normalise_addresses(pl.Series("a", [], dtype=pl.String)).len() == 0


def test_series_of_non_strings_is_a_type_error():
    with pytest.raises(TypeError, match="'series' \\('a'\\) should hold strings"):
        normalise_addresses(pl.Series("a", [1, 2]))
    with pytest.raises(TypeError, match="should be a polars Series"):
        normalise_addresses(["翻身路12栋302"])
