"""The Bao'an demo district: a deterministic, streaming generator of incidents.

:func:`generate` yields :class:`DemoBatch` es of three polars frames (incidents, status events,
follow-up visits) that conform to :data:`data.frames.INCIDENT_SCHEMA`,
:data:`~data.frames.STATUS_EVENT_SCHEMA` and :data:`~data.frames.FOLLOW_UP_SCHEMA`, ready for
:func:`data.store.insert_incidents`.

The shape follows the figures in ``DESIGN.md`` (Bao'an's first months: 957 cases, 211 warning
letters, 18 protection orders, 78.7 % handled) and what police describe: evening and weekend
peaks, a Spring-Festival bump, a slow upward trend, clusters in dense urban villages (城中村),
chronic households whose address is written many ways, and escalating households whose
incidents come faster and grow riskier until a protection order is issued.

Determinism and memory
----------------------
Everything is a function of ``(n_incidents, seed, end, config)``. A small *plan* is drawn
first for the whole run (every incident's time and household, a few bytes per incident); the
incidents are then filled in blocks of :data:`BLOCK_SIZE`, each from its own generator seeded
by ``(seed, block index)``. Blocks are re-cut to the caller's ``chunk_size``, so the frames do
not depend on it, and only one chunk of frames is alive at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple

import numpy as np
import polars as pl
import shapely

from data.demo.baoan import STATIONS, STREETS, jurisdictions
from data.frames import FOLLOW_UP_SCHEMA, INCIDENT_SCHEMA, STATUS_EVENT_SCHEMA, conform
from data.vocab import CATEGORIES, DEPARTMENTS, RISK_LEVELS, SOURCES, STATUSES
from geo.h3cells import latlng_to_cells
from geo.jurisdictions import assign_stations

__all__ = [
    "DEFAULT_END",
    "DEFAULT_INCIDENTS",
    "DEFAULT_SEED",
    "SOURCE_SYSTEM",
    "DemoBatch",
    "DemoConfig",
    "generate",
    "resolve_end",
]

# ------------------------------------------------------------------------------ run defaults

#: ``source_system`` of every demo incident (how :func:`data.store.delete_source_system`
#: finds them again).
SOURCE_SYSTEM = "demo"
#: About three years at one district's ~10k incidents a year (DESIGN.md, "Scale path").
DEFAULT_INCIDENTS = 30_000
DEFAULT_SEED = 20240601
#: A fixed end (2026-11-20 23:59 in Shanghai) so that the default demo is reproducible;
#: pass ``end="now"`` for a district that looks live.
DEFAULT_END = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)
DEFAULT_CHUNK_SIZE = 50_000
#: Incidents per internal block. Fixed: the random stream of incident ``i`` depends on
#: ``i // BLOCK_SIZE`` only, which is what makes the output independent of ``chunk_size``.
BLOCK_SIZE = 10_000
#: Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset is
#: exact for every date the demo covers and needs no time-zone database (air-gapped hosts).
LOCAL_UTC_OFFSET = timedelta(hours=8)

# ------------------------------------------------------------------ calibrated shares (DESIGN.md)

#: Kind of incident. Bao'an's 957 cases were 72 % relationship disputes and 28 % domestic
#: violence; family disputes and abuse of children and elders are split off from both.
CATEGORY_SHARES: Mapping[str, float] = {
    "relationship_dispute": 0.55,
    "domestic_violence": 0.26,
    "family_dispute": 0.13,
    "child_abuse": 0.03,
    "elder_abuse": 0.02,
    "other": 0.01,
}
#: Where cases come from: most through 110, the rest through the platform's partner channels.
SOURCE_SHARES: Mapping[str, float] = {
    "call_110": 0.62,
    "grid_patrol": 0.12,
    "mediation_referral": 0.08,
    "womens_federation": 0.07,
    "court": 0.05,
    "mandatory_report": 0.04,
    "other": 0.02,
}
RISK_SHARES: Mapping[str, float] = {"high": 0.12, "medium": 0.33, "low": 0.55}
#: 211 warning letters (告诫书) for 957 cases.
WARNING_LETTER_SHARE = 211 / 957
#: 18 personal-safety protection orders (人身安全保护令) for 957 cases.
PROTECTION_ORDER_SHARE = 18 / 957
#: Cases involving a minor; 35 mandatory reports about minors among 957 cases, plus child
#: abuse and children caught up in other cases.
MINOR_SHARE = 0.06
#: Child abuse mostly reaches the police through schools and hospitals (强制报告).
MANDATORY_REPORT_SHARE_OF_CHILD_ABUSE = 0.6
#: 753 of 957 cases handled to the end (办结, 78.68 %).
CLOSED_SHARE = 753 / 957

#: Relative odds of a warning letter by category and by risk (multiplied, then scaled so the
#: overall share is :data:`WARNING_LETTER_SHARE`); chosen so no probability exceeds 1.
WARNING_LETTER_CATEGORY_WEIGHTS: Mapping[str, float] = {
    "domestic_violence": 2.0,
    "relationship_dispute": 0.7,
    "family_dispute": 0.4,
    "child_abuse": 1.5,
    "elder_abuse": 1.0,
    "other": 0.3,
}
WARNING_LETTER_RISK_WEIGHTS: Mapping[str, float] = {"high": 2.0, "medium": 1.2, "low": 0.6}
#: Relative odds of a protection order by category and risk: courts issue them mostly for
#: high-risk domestic violence. Scaled like the warning letters.
PROTECTION_ORDER_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "domestic_violence": {"high": 10.0, "medium": 1.5, "low": 0.1},
    "relationship_dispute": {"high": 2.0, "medium": 0.3, "low": 0.02},
    "family_dispute": {"high": 1.0, "medium": 0.2, "low": 0.0},
    "child_abuse": {"high": 6.0, "medium": 1.0, "low": 0.1},
    "elder_abuse": {"high": 3.0, "medium": 0.5, "low": 0.0},
    "other": {"high": 0.0, "medium": 0.0, "low": 0.0},
}

# --------------------------------------------------------------------------------- time shape

#: Relative intensity per local hour 0–23: a trough before dawn, a long evening peak 19–23h
#: when families are at home (and drinking), as 110 call logs show.
HOUR_WEIGHTS: tuple[float, ...] = (
    0.90, 0.60, 0.40, 0.30, 0.25, 0.30,  # 00–05
    0.40, 0.55, 0.70, 0.80, 0.85, 0.90,  # 06–11
    1.00, 0.90, 0.85, 0.90, 0.95, 1.05,  # 12–17
    1.25, 1.90, 2.20, 2.30, 2.00, 1.45,  # 18–23
)  # fmt: skip
#: Relative intensity Monday … Sunday: weekends, and Friday nights, run higher.
WEEKDAY_WEIGHTS: tuple[float, ...] = (0.95, 0.92, 0.92, 0.95, 1.05, 1.30, 1.25)
#: Year-on-year growth of reported cases (new channels, more awareness).
ANNUAL_GROWTH = 0.08
#: Intensity multiplier around the Spring Festival, when families reunite.
SPRING_FESTIVAL_FACTOR = 1.4
#: Days around 正月初一 that the bump covers (from, to inclusive).
SPRING_FESTIVAL_WINDOW: tuple[int, int] = (-7, 10)
#: 正月初一 by year. Outside these years the bump is simply absent.
SPRING_FESTIVAL_DATES: tuple[date, ...] = (
    date(2018, 2, 16), date(2019, 2, 5), date(2020, 1, 25), date(2021, 2, 12),
    date(2022, 2, 1), date(2023, 1, 22), date(2024, 2, 10), date(2025, 1, 29),
    date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26), date(2029, 2, 13),
    date(2030, 2, 3), date(2031, 1, 23), date(2032, 2, 11), date(2033, 1, 31),
    date(2034, 2, 19), date(2035, 2, 8),
)  # fmt: skip

# ---------------------------------------------------------------------------------- geography

#: Share of households per station, roughly by resident (largely migrant) population.
STATION_WEIGHTS: Mapping[str, float] = {
    "BA01": 0.11, "BA02": 0.16, "BA03": 0.09, "BA04": 0.11, "BA05": 0.08,
    "BA06": 0.12, "BA07": 0.09, "BA08": 0.09, "BA09": 0.05, "BA10": 0.10,
}  # fmt: skip


class UrbanVillage(NamedTuple):
    """A dense community (城中村) where incidents cluster: placed by its offset from the
    station centre, so it stays inside the station's (Voronoi) jurisdiction."""

    station_code: str
    name: str
    east_km: float
    north_km: float
    weight: float


#: Real Bao'an community names, four or five per street. Offsets are chosen so each centre
#: lies at least ~600 m (two cluster sigmas) inside its station's jurisdiction polygon.
URBAN_VILLAGES: tuple[UrbanVillage, ...] = (
    UrbanVillage("BA01", "翻身", 0.5, 1.5, 1.3),
    UrbanVillage("BA01", "上川", -1.0, 0.5, 1.0),
    UrbanVillage("BA01", "洪浪", 1.2, 0.6, 0.8),
    UrbanVillage("BA01", "安乐", 0.3, -0.8, 0.9),
    UrbanVillage("BA01", "上合", -1.5, -0.8, 0.7),
    UrbanVillage("BA02", "固戍", -1.5, 0.6, 1.4),
    UrbanVillage("BA02", "臣田", 0.8, 0.5, 1.1),
    UrbanVillage("BA02", "河东", -0.5, -1.0, 0.9),
    UrbanVillage("BA02", "黄麻布", 2.5, 1.5, 0.6),
    UrbanVillage("BA02", "渔业", -2.5, -0.5, 0.7),
    UrbanVillage("BA03", "黄田", 0.5, 0.5, 1.3),
    UrbanVillage("BA03", "钟屋", 1.5, 1.5, 1.0),
    UrbanVillage("BA03", "鹤洲", -1.0, 1.0, 0.9),
    UrbanVillage("BA03", "九围", 1.8, -0.5, 0.6),
    UrbanVillage("BA03", "三围", -0.5, -1.2, 0.8),
    UrbanVillage("BA04", "凤凰", 2.0, 0.5, 1.2),
    UrbanVillage("BA04", "白石厦", -0.5, -0.8, 1.1),
    UrbanVillage("BA04", "怀德", -1.5, 0.3, 0.8),
    UrbanVillage("BA04", "福永", 0.0, 0.8, 0.9),
    UrbanVillage("BA04", "兴围", 0.8, -1.5, 0.6),
    UrbanVillage("BA05", "桥头", -0.5, -1.0, 1.2),
    UrbanVillage("BA05", "新和", 0.5, 0.8, 0.9),
    UrbanVillage("BA05", "和平", -1.5, 1.5, 0.8),
    UrbanVillage("BA05", "塘尾", -0.5, -2.0, 0.7),
    UrbanVillage("BA05", "稔田", -0.5, 0.0, 0.8),
    UrbanVillage("BA06", "沙井", 0.0, 0.5, 1.3),
    UrbanVillage("BA06", "沙头", -1.0, 0.0, 0.9),
    UrbanVillage("BA06", "后亭", 0.8, 1.5, 0.8),
    UrbanVillage("BA06", "共和", -0.8, -1.2, 0.8),
    UrbanVillage("BA06", "衙边", 0.0, -0.6, 0.7),
    # 万丰 and 新二 belong to 新桥 since the 2019 split of 沙井 street.
    UrbanVillage("BA07", "新桥", 0.2, 0.3, 1.1),
    UrbanVillage("BA07", "万丰", -0.5, -1.0, 1.2),
    UrbanVillage("BA07", "新二", 1.0, 1.5, 1.0),
    UrbanVillage("BA07", "上寮", 0.8, -1.8, 0.8),
    UrbanVillage("BA07", "黄埔", 0.0, 1.2, 0.6),
    UrbanVillage("BA08", "楼岗", 0.3, 0.5, 1.1),
    UrbanVillage("BA08", "潭头", -1.5, 0.0, 1.1),
    UrbanVillage("BA08", "松岗", 0.0, -0.8, 1.0),
    UrbanVillage("BA08", "东方", 1.0, 0.3, 0.7),
    UrbanVillage("BA08", "红星", -0.5, 1.5, 0.7),
    UrbanVillage("BA09", "燕川", 0.0, 0.3, 1.1),
    UrbanVillage("BA09", "罗田", 1.5, 1.5, 0.9),
    UrbanVillage("BA09", "塘下涌", -0.8, -1.0, 1.0),
    UrbanVillage("BA09", "山门", 1.0, -0.5, 0.6),
    UrbanVillage("BA10", "官田", 0.5, 1.0, 1.1),
    UrbanVillage("BA10", "浪心", -0.5, -0.5, 1.2),
    UrbanVillage("BA10", "石龙", 1.5, -1.0, 0.8),
    UrbanVillage("BA10", "上屋", -1.5, 1.5, 0.8),
    UrbanVillage("BA10", "水田", 1.0, 2.5, 0.7),
)

#: Road and compound names are ``<community><suffix>`` (固戍一路, 白石厦新村 …).
ROAD_SUFFIXES: tuple[str, ...] = ("一路", "二路", "三路", "大道", "新村", "中路", "东路", "北街")
BUILDING_RANGE: tuple[int, int] = (1, 60)
#: Handshake buildings (握手楼) in urban villages rarely pass nine floors.
FLOOR_RANGE: tuple[int, int] = (1, 9)
FLATS_PER_FLOOR = 6
_METRES_PER_DEGREE_LAT = 111_320.0
#: Rejection sampling gives up after this many rounds and puts the rest on the centre
#: (which lies inside by construction); with the default sigmas it never gets there.
_MAX_REJECTION_ROUNDS = 50

# ---------------------------------------------------------------------------------- households

CHRONIC_MIN_INCIDENTS = 3
CHRONIC_MAX_INCIDENTS = 15
#: A chronic household's incidents fall within a span of this many days.
CHRONIC_SPAN_DAYS: tuple[int, int] = (180, 900)
#: Incidents per escalating household (inclusive range).
ESCALATION_INCIDENTS: tuple[int, int] = (4, 6)
#: First gap between incidents, in days, then each gap is this ratio of the one before.
#: With these ranges consecutive gaps differ by more than two days, so placing each incident
#: at an evening hour of its day cannot undo the shrinking.
ESCALATION_FIRST_GAP_DAYS: tuple[float, float] = (80.0, 160.0)
ESCALATION_GAP_RATIO: tuple[float, float] = (0.55, 0.70)
#: Near-repeats (non-escalating chronic households): this share of a household's later
#: incidents follows the one before within days, at the same address, the gap drawn from an
#: exponential distribution with this mean. The literature on domestic abuse finds the risk
#: of a repeat highest in the days right after an incident and decaying over weeks (Lloyd,
#: Farrell & Pease 1994; Bland & Ariel 2015; Chainey 2016 on near-repeat domestic abuse).
NEAR_REPEAT_SHARE = 0.7
NEAR_REPEAT_MEAN_DAYS = 3.0
#: Random stream of the near-repeat draws (apart from the plan's, which stays as it was).
_NEAR_REPEAT_STREAM = 7
#: A follow-up visit to an escalating household finds things worse this often.
ESCALATING_VISIT_ESCALATED_SHARE = 0.4


class AddressForm(NamedTuple):
    """One way of writing a household's address."""

    prefix: str  # which administrative prefix is written before the community
    digits: Literal["ascii", "fullwidth", "chinese"]
    building_word: str  # 栋 / 幢 / 号楼 / 座, or "-" for the 12-302 form
    room_word: str  # 室 or nothing


#: The forms call-takers, grid workers and clerks write. Form 0 is the canonical one; one-off
#: households use forms 0 and 1, chronic households cycle through all of them. Every form
#: keeps the community, since the address key keeps everything below the street office.
ADDRESS_FORMS: tuple[AddressForm, ...] = (
    AddressForm("district_street", "ascii", "栋", "室"),  # 宝安区西乡街道固戍社区固戍一路12栋302室
    AddressForm("city_district_street", "ascii", "栋", "室"),
    AddressForm("city_district_street", "fullwidth", "栋", "室"),  # …１２栋３０２室
    AddressForm("street", "chinese", "栋", "室"),  # 西乡街道…十二栋三〇二室
    AddressForm("city_district", "ascii", "幢", "室"),
    AddressForm("none", "ascii", "号楼", ""),  # 固戍社区固戍一路12号楼302
    AddressForm("district_street", "ascii", "-", ""),  # …固戍一路12-302
    AddressForm("district", "ascii", "座", "室"),
)
_ONE_OFF_FORMS = 2

# ---------------------------------------------------------------------------------- lifecycle

#: Dispatch within 2 seconds is Bao'an's published service level; a few are slower.
DISPATCH_SECONDS: tuple[float, float] = (0.3, 1.9)
DISPATCH_SLOW_SECONDS: tuple[float, float] = (2.5, 30.0)
#: Median hours from report to handling by risk: high risk is handled first.
HANDLING_MEDIAN_HOURS: Mapping[str, float] = {"high": 0.6, "medium": 1.5, "low": 3.0}
HANDLING_LOG_SIGMA = 1.0
HANDLING_MIN_HOURS = 5 / 60
#: On-time handling is within the 24-hour service level; overdue handling takes this long.
HANDLING_ON_TIME_MAX_HOURS = 23.5
HANDLING_OVERDUE_HOURS: tuple[float, float] = (24.5, 96.0)
FOLLOW_UP_STAGE_DELAY_HOURS: tuple[float, float] = (2.0, 72.0)
#: Closing within the 15-day service level, and how late the overdue ones close.
CLOSED_ON_TIME_DAYS: tuple[float, float] = (0.5, 14.5)
CLOSED_OVERDUE_DAYS: tuple[float, float] = (15.5, 45.0)
#: Hours after the previous step that a closure takes at least.
CLOSED_AFTER_PREVIOUS_HOURS: tuple[float, float] = (1.0, 48.0)
#: Of the cases never closed, this share sits in follow-up, the rest still in handling.
OPEN_IN_FOLLOW_UP_SHARE = 0.7
#: Follow-up visits within the 2-month window: probabilities of 0, 1, 2, 3, 4 visits by risk
#: (the service level asks for 4; high-risk cases mostly get them).
VISIT_COUNT_SHARES: Mapping[str, tuple[float, ...]] = {
    "high": (0.0, 0.05, 0.10, 0.20, 0.65),
    "medium": (0.10, 0.30, 0.35, 0.20, 0.05),
    "low": (0.35, 0.40, 0.20, 0.05, 0.0),
}
VISIT_WINDOW_DAYS = 61
VISIT_OUTCOMES: Mapping[str, float] = {
    "stable": 0.50, "improved": 0.30, "escalated": 0.08, "no_contact": 0.12,
}  # fmt: skip
VISIT_DEPARTMENTS: Mapping[str, float] = {
    "police": 0.35,
    "community": 0.45,
    "womens_federation": 0.20,
}

#: The department that records the report, by source channel.
REPORTING_DEPARTMENT: Mapping[str, str] = {
    "call_110": "police",
    "grid_patrol": "community",
    "court": "court",
    "womens_federation": "womens_federation",
    "mediation_referral": "justice",
    "mandatory_report": "police",
    "other": "community",
}
#: The lead department a case is dispatched to, by category (首接负责, 多方联动).
LEAD_DEPARTMENT_SHARES: Mapping[str, Mapping[str, float]] = {
    "domestic_violence": {"police": 0.8, "womens_federation": 0.2},
    "relationship_dispute": {"police": 0.5, "justice": 0.35, "community": 0.15},
    "family_dispute": {"justice": 0.5, "community": 0.4, "police": 0.1},
    "child_abuse": {"police": 0.7, "womens_federation": 0.3},
    "elder_abuse": {"police": 0.5, "community": 0.5},
    "other": {"community": 0.6, "police": 0.4},
}
#: Who carries out the follow-up stage.
FOLLOW_UP_DEPARTMENT_SHARES: Mapping[str, float] = {
    "community": 0.5,
    "womens_federation": 0.3,
    "police": 0.2,
}

STATUS_NOTES: Mapping[str, str] = {
    "reported": "接警登记",
    "dispatched": "任务分拨",
    "handling": "分类处置",
    "following_up": "转入回访跟踪",
    "closed": "办结归档",
}
VISIT_NOTES: Mapping[str, str] = {
    "stable": "回访情况稳定",
    "improved": "双方关系有所改善",
    "escalated": "矛盾升级，已提升关注等级",
    "no_contact": "未能联系到当事人",
}
#: One short sentence per incident, by category; never names, phone or ID numbers.
SUMMARIES: Mapping[str, tuple[str, ...]] = {
    "domestic_violence": (
        "丈夫酒后与报警人发生争执并动手殴打，民警到场制止。",
        "报警人称遭配偶推搡、掌掴，面部轻微受伤。",
        "双方因家庭琐事争吵升级为肢体冲突，一方有殴打行为。",
        "报警人称长期遭受家暴，本次再次被打，要求处理。",
        "一方因经济问题与报警人争吵并摔砸物品、威胁伤害。",
    ),
    "relationship_dispute": (
        "报警人与男友因感情问题发生争吵，情绪激动，民警到场调解。",
        "双方因分手问题纠缠不休，一方到对方住处吵闹。",
        "报警人称前男友多次纠缠骚扰，要求民警处理。",
        "情侣因财物分割发生纠纷，经调解双方情绪平复。",
        "夫妻因感情不和闹离婚，双方发生激烈争吵。",
    ),
    "family_dispute": (
        "家庭成员因赡养问题发生争吵，社区网格员协助调解。",
        "兄弟姐妹因房屋分配产生纠纷，双方言语冲突。",
        "婆媳因生活琐事发生口角，民警到场劝解。",
        "父母与成年子女因经济问题争吵，情绪激动。",
        "家庭成员因子女抚养问题发生纠纷，转人民调解。",
    ),
    "child_abuse": (
        "学校发现学生身上有多处淤伤，疑似遭家长殴打，依法强制报告。",
        "邻居反映听到儿童长时间哭喊，疑似遭受家长体罚。",
        "医院接诊儿童外伤，伤情与家长陈述不符，已报告公安。",
        "社区反映儿童长期无人照管，生活状况堪忧。",
    ),
    "elder_abuse": (
        "老人称遭子女辱骂、推搡，要求民警处理。",
        "社区反映独居老人遭家属长期冷落、不给生活费。",
        "老人因赡养问题与儿子发生冲突，手臂擦伤。",
        "家属限制老人外出并扣留其养老金，老人求助。",
    ),
    "other": (
        "报警人称家中发生纠纷，民警到场后双方已平息。",
        "邻居反映隔壁住户夜间持续争吵，民警到场劝解。",
        "报警人称亲属上门吵闹，要求民警到场。",
    ),
}

# ------------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class DemoConfig:
    """Shares and rates that shape the demo district.

    Every share is a fraction of incidents unless its name says otherwise; the defaults are
    the module constants of the same name, calibrated on DESIGN.md's Bao'an figures.

    Attributes
    ----------
    history_days : int
        Length of the history that ends at ``end`` (three years).
    category_shares, source_shares, risk_shares : mapping of code to share
        Marginal mix of categories, source channels and risk levels (codes of
        :mod:`data.vocab`; each sums to 1).
    warning_letter_share, protection_order_share : float
        Share of incidents with a warning letter / protection order. Their odds rise with
        risk and with domestic violence (:data:`WARNING_LETTER_CATEGORY_WEIGHTS`,
        :data:`PROTECTION_ORDER_WEIGHTS`).
    minor_share : float
        Share of incidents involving a minor; always true for child abuse and mandatory
        reports.
    mandatory_report_share_of_child_abuse : float
        Share of child-abuse cases that arrive as a mandatory report.
    closed_share : float
        Share of incidents closed once the closing window is long past (78.7 %).
    handled_overdue_share, closed_overdue_share : float
        Share handled after 24 hours / of closures after 15 days (service levels).
    dispatch_slow_share : float
        Share dispatched after the 2-second service level.
    follow_up_stage_share : float
        Share of medium- and low-risk cases that pass through a follow-up stage (all
        high-risk cases do).
    unlocated_share : float
        Share of incidents whose address could not be placed on the map.
    chronic_incident_share : float
        Share of incidents from chronic households (repeat addresses, same people).
    chronic_extra_incidents_mean : float
        Mean number of incidents of a chronic household beyond the minimum of three.
    escalating_household_share : float
        Share of chronic households that escalate (shrinking gaps, rising risk, a warning
        letter, then a protection order).
    chronic_category_stickiness : float
        Chance that a chronic household's incident has the household's usual category.
    near_repeat_share, near_repeat_mean_days : float
        Share of a non-escalating chronic household's later incidents that follow the one
        before within days (same address), and the mean of that exponential gap in days.
    urban_village_share : float
        Share of households inside an urban-village cluster (the rest spread around their
        station's centre).
    urban_village_sigma_m, background_sigma_m : float
        Standard deviation, in metres, of the cluster blobs and of the background spread.
    hour_weights, weekday_weights : tuple of float
        Relative intensity per local hour (24) and per weekday, Monday first (7).
    annual_growth : float
        Year-on-year growth of the incident rate.
    spring_festival_factor : float
        Intensity multiplier in the days around the Spring Festival.
    """

    history_days: int = 1096
    category_shares: Mapping[str, float] = field(default_factory=lambda: dict(CATEGORY_SHARES))
    source_shares: Mapping[str, float] = field(default_factory=lambda: dict(SOURCE_SHARES))
    risk_shares: Mapping[str, float] = field(default_factory=lambda: dict(RISK_SHARES))
    warning_letter_share: float = WARNING_LETTER_SHARE
    protection_order_share: float = PROTECTION_ORDER_SHARE
    minor_share: float = MINOR_SHARE
    mandatory_report_share_of_child_abuse: float = MANDATORY_REPORT_SHARE_OF_CHILD_ABUSE
    closed_share: float = CLOSED_SHARE
    handled_overdue_share: float = 0.03
    closed_overdue_share: float = 0.04
    dispatch_slow_share: float = 0.01
    follow_up_stage_share: float = 0.6
    unlocated_share: float = 0.005
    chronic_incident_share: float = 0.15
    chronic_extra_incidents_mean: float = 2.5
    escalating_household_share: float = 0.2
    chronic_category_stickiness: float = 0.8
    near_repeat_share: float = NEAR_REPEAT_SHARE
    near_repeat_mean_days: float = NEAR_REPEAT_MEAN_DAYS
    urban_village_share: float = 0.65
    urban_village_sigma_m: float = 300.0
    background_sigma_m: float = 1800.0
    hour_weights: tuple[float, ...] = HOUR_WEIGHTS
    weekday_weights: tuple[float, ...] = WEEKDAY_WEIGHTS
    annual_growth: float = ANNUAL_GROWTH
    spring_festival_factor: float = SPRING_FESTIVAL_FACTOR

    def __post_init__(self) -> None:
        for name, codes in (
            ("category_shares", CATEGORIES),
            ("source_shares", SOURCES),
            ("risk_shares", RISK_LEVELS),
        ):
            shares = getattr(self, name)
            unknown = set(shares) - set(codes)
            if unknown:
                raise ValueError(f"DemoConfig.{name} has unknown codes: {sorted(unknown)}")
            if any(v < 0 for v in shares.values()) or not math.isclose(
                sum(shares.values()), 1.0, abs_tol=1e-6
            ):
                raise ValueError(
                    f"DemoConfig.{name} should be non-negative and sum to 1, got {dict(shares)}"
                )
        if len(self.hour_weights) != 24 or len(self.weekday_weights) != 7:
            raise ValueError("DemoConfig.hour_weights needs 24 values, weekday_weights 7")
        if self.history_days < 30:
            raise ValueError(
                f"DemoConfig.history_days should be at least 30, got {self.history_days}"
            )


class DemoBatch(NamedTuple):
    """One chunk of the demo: incidents with their status events and follow-up visits.

    Events and visits refer to their incident by ``incident_no`` and all lie in the same
    batch, so ``insert_incidents(engine, *batch)`` stores a batch in one transaction.
    """

    incidents: pl.DataFrame
    status_events: pl.DataFrame
    follow_ups: pl.DataFrame


def resolve_end(end: datetime | Literal["now"] | None) -> datetime:
    """The UTC end of the demo history.

    Parameters
    ----------
    end : datetime, "now" or None
        A time-zone-aware datetime; ``"now"`` for the current time (to the second), so the
        district looks live; ``None`` for the fixed :data:`DEFAULT_END`.

    Returns
    -------
    datetime
        Aware UTC datetime.

    Raises
    ------
    ValueError
        If ``end`` is a naive datetime or an unknown string.
    """
    if end is None:
        return DEFAULT_END
    if isinstance(end, str):
        if end != "now":
            raise ValueError(f"'end' should be a datetime, 'now' or None, got {end!r}")
        return datetime.now(UTC).replace(microsecond=0)
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError(f"'end' should be time-zone aware, got naive {end.isoformat()}")
    return end.astimezone(UTC)


def generate(
    n_incidents: int = DEFAULT_INCIDENTS,
    seed: int = DEFAULT_SEED,
    end: datetime | Literal["now"] | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    config: DemoConfig | None = None,
) -> Iterator[DemoBatch]:
    """Generate the Bao'an demo district, chunk by chunk.

    Parameters
    ----------
    n_incidents : int
        Number of incidents over the whole history.
    seed : int
        Seed of every random draw; the same ``(n_incidents, seed, end, config)`` gives the
        same frames, whatever ``chunk_size``.
    end : datetime, "now" or None
        End of the history (see :func:`resolve_end`): ``None`` for the fixed
        :data:`DEFAULT_END`, ``"now"`` for a district that looks live. Incidents near the end
        are still open in early statuses; nothing happens after it.
    chunk_size : int
        Incidents per yielded batch; the last batch may be smaller.
    config : DemoConfig, optional
        Shares and rates; the calibrated defaults when omitted.

    Yields
    ------
    DemoBatch
        Frames conforming to ``INCIDENT_SCHEMA`` (without ``id``), ``STATUS_EVENT_SCHEMA`` and
        ``FOLLOW_UP_SCHEMA``; incidents in order of ``reported_at``, ``incident_no`` of the
        form ``BA`` + local date + five-digit serial of that day.

    Raises
    ------
    ValueError
        If ``n_incidents`` is negative, ``chunk_size`` is not positive, or ``end`` is naive.

    Notes
    -----
    Memory stays bounded: a plan of about 16 bytes per incident for the whole run, plus one
    chunk of frames. ``address_key`` comes from :func:`geo.addresses.normalise_addresses`.
    """
    if not isinstance(n_incidents, int | np.integer) or n_incidents < 0:
        raise ValueError(f"'n_incidents' should be a non-negative integer, got {n_incidents!r}")
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ValueError(f"'chunk_size' should be a positive integer, got {chunk_size!r}")
    cfg = config or DemoConfig()
    end_utc = resolve_end(end)
    return _generate(int(n_incidents), int(seed), end_utc, int(chunk_size), cfg)


def _generate(
    n: int, seed: int, end_utc: datetime, chunk_size: int, cfg: DemoConfig
) -> Iterator[DemoBatch]:
    if n == 0:
        return
    plan = _make_plan(n, seed, _to_us(end_utc), cfg)
    pending: list[DemoBatch] = []
    pending_rows = 0
    next_cut = chunk_size  # global index where the next yielded chunk ends
    for block in range(plan.n_blocks):
        batch = _make_block(plan, block)
        pending.append(batch)
        pending_rows += batch.incidents.height
        while pending_rows >= chunk_size or (pending and block == plan.n_blocks - 1):
            merged = DemoBatch(*(pl.concat(frames) for frames in zip(*pending, strict=True)))
            head = DemoBatch(*(f.filter(pl.col("_i") < next_cut) for f in merged))
            tail = DemoBatch(*(f.filter(pl.col("_i") >= next_cut) for f in merged))
            yield DemoBatch(*(f.drop("_i") for f in head))
            pending = [tail] if tail.incidents.height else []
            pending_rows = tail.incidents.height
            next_cut += chunk_size


# ------------------------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class _Households:
    """Where households live and who they are; one entry per household."""

    station: np.ndarray  # int, index into STATIONS
    community: np.ndarray  # int, index into URBAN_VILLAGES
    lng: np.ndarray
    lat: np.ndarray
    road: np.ndarray  # index into ROAD_SUFFIXES
    building: np.ndarray
    room: np.ndarray
    victim_key: np.ndarray  # '<U32'
    offender_key: np.ndarray

    def take(self, idx: np.ndarray) -> _Households:
        return _Households(**{k: v[idx] for k, v in self.__dict__.items()})


@dataclass(frozen=True)
class _Plan:
    """What the whole run shares: every incident's time and household, and the calibration."""

    n: int
    seed: int
    cfg: DemoConfig
    start_us: int
    end_us: int
    time_us: np.ndarray  # int64 UTC microseconds, sorted
    household: np.ndarray  # int32 chronic household, -1 for a one-off incident
    position: np.ndarray  # int16 order of the incident within its household
    households: _Households  # the chronic households
    hh_escalating: np.ndarray  # bool per chronic household
    hh_length: np.ndarray  # incidents per chronic household
    hh_category: np.ndarray  # usual category per chronic household
    hh_form_offset: np.ndarray  # address form of the first incident
    hh_form_step: np.ndarray  # step through ADDRESS_FORMS, coprime with their number
    category_p: np.ndarray  # category mix of incidents outside escalating households
    risk_p: np.ndarray
    source_p_child: np.ndarray  # source mix for child abuse
    source_p_other: np.ndarray  # source mix for every other category
    warning_letter_p: np.ndarray  # [category, risk] probability
    protection_order_p: np.ndarray
    minor_extra_p: float  # minors outside child abuse and mandatory reports
    unlocated_p: float  # per one-off incident
    day_labels: list[str]  # 'YYYYMMDD' per local day from the first local day
    first_local_day: int  # local epoch day of day_labels[0]

    @property
    def n_blocks(self) -> int:
        return math.ceil(self.n / BLOCK_SIZE)


_US = 1_000_000
_HOUR_US = 3600 * _US
_DAY_US = 24 * _HOUR_US
_OFFSET_US = int(LOCAL_UTC_OFFSET.total_seconds()) * _US
_PLAN_STREAM = 0
_BLOCK_STREAM = 1


def _to_us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _index(codes: tuple[str, ...], shares: Mapping[str, float]) -> np.ndarray:
    """Shares as an array in the order of ``codes`` (absent codes get 0)."""
    return np.array([float(shares.get(c, 0.0)) for c in codes])


class _Timeline:
    """The incident rate over the history, per local hour, and its inverse CDF.

    Times are seconds since the start of the history; ``cdf`` is the share of incidents
    before each bin edge, so ``np.interp(u, cdf, edges)`` draws a time for uniform ``u``.
    """

    def __init__(self, start_us: int, end_us: int, cfg: DemoConfig) -> None:
        first_hour = (start_us + _OFFSET_US) // _HOUR_US  # local hours since the epoch
        last_hour = (end_us + _OFFSET_US - 1) // _HOUR_US
        hours = np.arange(first_hour, last_hour + 1)
        lo = np.maximum(hours * _HOUR_US - _OFFSET_US, start_us)
        hi = np.minimum((hours + 1) * _HOUR_US - _OFFSET_US, end_us)
        days = hours // 24
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        years = (lo - start_us) / (365.25 * _DAY_US)
        rate = (
            np.asarray(cfg.hour_weights)[hours % 24]
            * np.asarray(cfg.weekday_weights)[weekday]
            * (1.0 + cfg.annual_growth) ** years
            * _spring_festival_factor(days, cfg.spring_festival_factor)
        )
        mass = rate * (hi - lo)
        self.edges = np.concatenate([[0.0], (hi - start_us) / _US])
        self.cdf = np.concatenate([[0.0], np.cumsum(mass) / mass.sum()])

    def cdf_at(self, seconds: np.ndarray) -> np.ndarray:
        return np.interp(seconds, self.edges, self.cdf)

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Seconds since the start for uniform ``u`` in [0, 1]."""
        return np.interp(u, self.cdf, self.edges)


def _spring_festival_factor(days: np.ndarray, factor: float) -> np.ndarray:
    epoch = date(1970, 1, 1)
    festival = np.array([(d - epoch).days for d in SPRING_FESTIVAL_DATES])
    offset = days[:, None] - festival[None, :]
    near = ((offset >= SPRING_FESTIVAL_WINDOW[0]) & (offset <= SPRING_FESTIVAL_WINDOW[1])).any(1)
    return np.where(near, factor, 1.0)


def _make_plan(n: int, seed: int, end_us: int, cfg: DemoConfig) -> _Plan:
    rng = np.random.default_rng([seed, _PLAN_STREAM])
    start_us = end_us - cfg.history_days * _DAY_US
    timeline = _Timeline(start_us, end_us, cfg)
    history_s = (end_us - start_us) / _US

    # Chronic households: how many, and how many incidents each.
    lo_e, hi_e = ESCALATION_INCIDENTS
    mean_len = (1 - cfg.escalating_household_share) * (
        CHRONIC_MIN_INCIDENTS + cfg.chronic_extra_incidents_mean
    ) + cfg.escalating_household_share * (lo_e + hi_e) / 2
    n_hh = int(n * cfg.chronic_incident_share // mean_len)
    n_esc = round(n_hh * cfg.escalating_household_share)
    length = np.concatenate(
        [
            rng.integers(lo_e, hi_e + 1, n_esc),
            np.minimum(
                CHRONIC_MIN_INCIDENTS + rng.poisson(cfg.chronic_extra_incidents_mean, n_hh - n_esc),
                CHRONIC_MAX_INCIDENTS,
            ),
        ]
    ).astype(np.int64)
    # Tiny runs: drop households until their incidents fit.
    while length.sum() > n:
        length = length[:-1]
    n_hh = length.size
    n_esc = min(n_esc, n_hh)
    escalating = np.arange(n_hh) < n_esc
    hh_of = np.repeat(np.arange(n_hh), length)
    pos = np.arange(hh_of.size) - np.repeat(np.cumsum(length) - length, length)

    # Escalating households: the last incident at a drawn time, each earlier one a shrinking
    # gap before it; earlier incidents then move to an evening-weighted hour of their day.
    first_gap = rng.uniform(*ESCALATION_FIRST_GAP_DAYS, n_esc)
    ratio = rng.uniform(*ESCALATION_GAP_RATIO, n_esc)
    esc_rows = np.flatnonzero(escalating[hh_of])
    h_esc = hh_of[esc_rows]
    k = length[h_esc]
    # gap j (between incident j and j+1) is first_gap * ratio**j; incident pos p lies
    # sum_{j=p}^{k-2} gap_j before the last one.
    span_days = first_gap * (1 - ratio ** (length[:n_esc] - 1)) / (1 - ratio)
    # A short history squeezes the ladder to fit (never with the default three years).
    squeeze = np.minimum(1.0, (cfg.history_days - 2) / np.maximum(span_days, 1e-9))
    first_gap, span_days = first_gap * squeeze, span_days * squeeze
    before_last = (
        first_gap[h_esc]
        * (ratio[h_esc] ** pos[esc_rows] - ratio[h_esc] ** (k - 1))
        / (1 - ratio[h_esc])
    )
    lo_u = timeline.cdf_at(np.minimum(span_days * 86400.0 + 86400.0, history_s))
    last_s = timeline.draw(lo_u + rng.random(n_esc) * (1.0 - lo_u))
    esc_s = last_s[h_esc] - before_last * 86400.0
    earlier = pos[esc_rows] < k - 1
    esc_s[earlier] = _evening_of_day(rng, esc_s[earlier], start_us, cfg)

    # Other chronic households: incidents scattered over a span of the history.
    chr_rows = np.flatnonzero(~escalating[hh_of])
    n_chr = n_hh - n_esc
    span_max = min(CHRONIC_SPAN_DAYS[1], cfg.history_days)
    span = rng.uniform(min(CHRONIC_SPAN_DAYS[0], span_max), span_max, n_chr) * 86400.0
    # Spans are laid on the history's (trend- and season-weighted) time scale as on a circle,
    # a span running past the end going on at the start: every part of the history, the
    # last weeks included (where near-repeats are looked for), holds as many chronic
    # incidents as any other, with no pile-up at either end.
    begin = rng.random(n_chr)
    width = span / history_s
    h_chr = hh_of[chr_rows] - n_esc
    u = (begin[h_chr] + rng.random(chr_rows.size) * width[h_chr]) % 1.0
    chr_s = timeline.draw(u)

    chronic_s = np.empty(hh_of.size)
    chronic_s[esc_rows] = esc_s
    chronic_s[chr_rows] = chr_s
    # Positions follow time within a household.
    order = np.lexsort((chronic_s, hh_of))
    chronic_s = chronic_s[order]
    chronic_s = _near_repeats(chronic_s, hh_of, pos, escalating, seed, start_us, history_s, cfg)

    background_s = timeline.draw(rng.random(n - hh_of.size))
    seconds = np.concatenate([background_s, chronic_s])
    household = np.concatenate([np.full(background_s.size, -1), hh_of]).astype(np.int32)
    position = np.concatenate([np.zeros(background_s.size, np.int64), pos]).astype(np.int16)
    time_us = start_us + np.minimum(np.round(seconds * _US).astype(np.int64), end_us - start_us)
    sort = np.argsort(time_us, kind="stable")

    # Household arrays get one unused entry when a tiny run has no chronic household, so
    # that blocks can index them without special cases.
    n_slots = max(n_hh, 1)
    households = _draw_households(rng, n_slots, cfg)
    form_offset = rng.integers(0, len(ADDRESS_FORMS), n_slots)
    steps = np.array(
        [s for s in range(1, len(ADDRESS_FORMS)) if math.gcd(s, len(ADDRESS_FORMS)) == 1]
    )
    form_step = rng.choice(steps, n_slots)

    # Calibration: escalating incidents are all domestic violence with a fixed risk ladder,
    # one warning letter and one protection order per household; the rest are drawn from
    # mixes corrected so that the whole run keeps the configured marginals.
    n_esc_inc = esc_rows.size
    share_esc = n_esc_inc / n
    cat_target = _index(CATEGORIES, cfg.category_shares)
    dv = CATEGORIES.index("domestic_violence")
    category_p = _corrected(cat_target, share_esc, np.eye(len(CATEGORIES))[dv])
    esc_risk = _escalation_risk(pos[esc_rows], k)
    esc_risk_mix = np.bincount(esc_risk, minlength=len(RISK_LEVELS)) / max(n_esc_inc, 1)
    risk_p = _corrected(_index(RISK_LEVELS, cfg.risk_shares), share_esc, esc_risk_mix)
    hh_category = rng.choice(len(CATEGORIES), n_slots, p=category_p)
    hh_category[:n_esc] = dv

    src = _index(SOURCES, cfg.source_shares)
    mand = SOURCES.index("mandatory_report")
    child = CATEGORIES.index("child_abuse")
    p_child = cat_target[child]
    m_child = cfg.mandatory_report_share_of_child_abuse
    m_other = max(0.0, (src[mand] - p_child * m_child) / max(1.0 - p_child, 1e-12))
    rest = src.copy()
    rest[mand] = 0.0
    rest /= rest.sum()
    source_p_child = rest * (1 - m_child)
    source_p_child[mand] = m_child
    source_p_other = rest * (1 - m_other)
    source_p_other[mand] = m_other

    n_rest = max(n - n_esc_inc, 1)
    joint = np.outer(category_p, risk_p)  # category x risk mix outside escalating households
    wl_w = np.outer(
        _index(CATEGORIES, WARNING_LETTER_CATEGORY_WEIGHTS),
        _index(RISK_LEVELS, WARNING_LETTER_RISK_WEIGHTS),
    )
    po_w = np.array([_index(RISK_LEVELS, PROTECTION_ORDER_WEIGHTS.get(c, {})) for c in CATEGORIES])
    wl_p = _scaled(wl_w, joint, (cfg.warning_letter_share * n - n_esc) / n_rest)
    po_p = _scaled(po_w, joint, (cfg.protection_order_share * n - n_esc) / n_rest)
    p_union = p_child + src[mand] - p_child * m_child
    minor_extra = max(0.0, (cfg.minor_share - p_union) / max(1.0 - p_union, 1e-12))
    one_off_share = max((n - hh_of.size) / n, 1e-12)

    first_day = (start_us + _OFFSET_US) // _DAY_US
    last_day = (end_us + _OFFSET_US) // _DAY_US
    epoch = date(1970, 1, 1)
    labels = [
        (epoch + timedelta(days=int(d))).strftime("%Y%m%d") for d in range(first_day, last_day + 1)
    ]

    return _Plan(
        n=n,
        seed=seed,
        cfg=cfg,
        start_us=start_us,
        end_us=end_us,
        time_us=time_us[sort],
        household=household[sort],
        position=position[sort],
        households=households,
        hh_escalating=np.arange(n_slots) < n_esc,
        hh_length=np.pad(length, (0, n_slots - n_hh)),
        hh_category=hh_category,
        hh_form_offset=form_offset,
        hh_form_step=form_step,
        category_p=category_p,
        risk_p=risk_p,
        source_p_child=source_p_child,
        source_p_other=source_p_other,
        warning_letter_p=wl_p,
        protection_order_p=po_p,
        minor_extra_p=minor_extra,
        unlocated_p=min(1.0, cfg.unlocated_share / one_off_share),
        day_labels=labels,
        first_local_day=int(first_day),
    )


def _near_repeats(
    seconds: np.ndarray,
    hh_of: np.ndarray,
    pos: np.ndarray,
    escalating: np.ndarray,
    seed: int,
    start_us: int,
    history_s: float,
    cfg: DemoConfig,
) -> np.ndarray:
    """Chronic incident times (sorted within each household) with near-repeats planted.

    For non-escalating households, a share ``cfg.near_repeat_share`` of the later incidents
    move to an exponential gap of mean ``cfg.near_repeat_mean_days`` after the household's
    incident before them (at an evening-weighted hour of that day; never later than they
    were). Drawn from a stream of their own: the rest of the plan is unchanged.
    ``hh_of`` is grouped by household (each household's rows contiguous).
    """
    if seconds.size == 0 or cfg.near_repeat_share <= 0:
        return seconds
    rng = np.random.default_rng([seed, _PLAN_STREAM, _NEAR_REPEAT_STREAM])
    later = (pos > 0) & ~escalating[hh_of]
    chosen = later & (rng.random(seconds.size) < cfg.near_repeat_share)
    if not chosen.any():
        return seconds
    previous = np.concatenate([[0.0], seconds[:-1]])
    short = rng.exponential(cfg.near_repeat_mean_days * 86400.0, int(chosen.sum()))
    rebuilt = seconds.copy()
    rebuilt[chosen] = np.minimum(previous[chosen] + short, seconds[chosen])
    rebuilt[chosen] = _evening_of_day(rng, rebuilt[chosen], start_us, cfg)
    # The evening hour may fall before the previous incident of the same day: re-sort within
    # each household (households stay grouped, positions follow time again).
    return rebuilt[np.lexsort((rebuilt, hh_of))]


def _corrected(target: np.ndarray, share: float, forced: np.ndarray) -> np.ndarray:
    """Mix for the free part so that ``share`` drawn from ``forced`` plus the rest gives
    ``target``."""
    if share >= 1.0:
        return target
    mix = np.clip((target - share * forced) / (1.0 - share), 0.0, None)
    return mix / mix.sum()


def _scaled(weights: np.ndarray, joint: np.ndarray, target: float) -> np.ndarray:
    """Probabilities proportional to ``weights`` whose mean under ``joint`` is ``target``."""
    mean = float((weights * joint).sum())
    if mean <= 0 or target <= 0:
        return np.zeros_like(weights)
    return np.clip(weights * (target / mean), 0.0, 1.0)


def _escalation_risk(position: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Risk index along an escalation: low first, then medium, high for the last two."""
    high, medium, low = (RISK_LEVELS.index(r) for r in ("high", "medium", "low"))
    risk = np.full(position.shape, medium)
    risk[position == 0] = low
    risk[position >= length - 2] = high
    return risk


def _evening_of_day(
    rng: np.random.Generator, seconds: np.ndarray, start_us: int, cfg: DemoConfig
) -> np.ndarray:
    """Move each time to an hour of its own local day drawn from the hour weights."""
    local_us = start_us + np.round(seconds * _US).astype(np.int64) + _OFFSET_US
    midnight = local_us // _DAY_US * _DAY_US
    w = np.asarray(cfg.hour_weights)
    hour = rng.choice(24, seconds.size, p=w / w.sum())
    moved = midnight + hour * _HOUR_US + rng.integers(0, _HOUR_US, seconds.size)
    return (moved - _OFFSET_US - start_us) / _US


# ---------------------------------------------------------------------------------- households


@lru_cache(maxsize=1)
def _geometry() -> tuple[list, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Prepared station polygons, station centres and urban-village centres (lng, lat)."""
    polys = [j.boundary for j in jurisdictions()]
    shapely.prepare(polys)  # contains_xy is then fast; assign_stations prepares them too
    centre = np.array([c for *_, c in STATIONS])
    codes = [code for code, *_ in STATIONS]
    v_station = np.array([codes.index(v.station_code) for v in URBAN_VILLAGES])
    lat0 = centre[v_station, 1]
    v_lng = centre[v_station, 0] + np.array([v.east_km for v in URBAN_VILLAGES]) * 1000 / (
        _METRES_PER_DEGREE_LAT * np.cos(np.radians(lat0))
    )
    v_lat = lat0 + np.array([v.north_km for v in URBAN_VILLAGES]) * 1000 / _METRES_PER_DEGREE_LAT
    return polys, centre, v_station, v_lng, v_lat


def village_centres() -> list[tuple[UrbanVillage, float, float]]:
    """Each urban village with the centre (lng, lat, WGS-84) its incidents cluster around."""
    _, _, _, v_lng, v_lat = _geometry()
    return [(v, float(x), float(y)) for v, x, y in zip(URBAN_VILLAGES, v_lng, v_lat, strict=True)]


def _draw_households(rng: np.random.Generator, m: int, cfg: DemoConfig) -> _Households:
    polys, centre, v_station, v_lng, v_lat = _geometry()
    codes = [code for code, *_ in STATIONS]
    w = _index(tuple(codes), STATION_WEIGHTS)
    station = rng.choice(len(codes), m, p=w / w.sum())
    in_village = rng.random(m) < cfg.urban_village_share
    village = np.zeros(m, dtype=np.int64)
    v_weight = np.array([v.weight for v in URBAN_VILLAGES])
    for s in range(len(codes)):
        rows = np.flatnonzero((station == s) & in_village)
        choices = np.flatnonzero(v_station == s)
        p = v_weight[choices] / v_weight[choices].sum()
        village[rows] = rng.choice(choices, rows.size, p=p)
    cx = np.where(in_village, v_lng[village], centre[station, 0])
    cy = np.where(in_village, v_lat[village], centre[station, 1])
    sigma = np.where(in_village, cfg.urban_village_sigma_m, cfg.background_sigma_m)
    lng, lat = _sample_inside(rng, polys, station, cx, cy, sigma)
    # A background household belongs to the nearest community of its own station.
    far = np.flatnonzero(~in_village)
    if far.size:
        dx = (lng[far, None] - v_lng[None, :]) * np.cos(np.radians(lat[far, None]))
        dist = dx**2 + (lat[far, None] - v_lat[None, :]) ** 2
        dist[v_station[None, :] != station[far, None]] = np.inf
        village[far] = dist.argmin(axis=1)
    floor = rng.integers(FLOOR_RANGE[0], FLOOR_RANGE[1] + 1, m)
    return _Households(
        station=station,
        community=village,
        lng=lng,
        lat=lat,
        road=rng.integers(0, len(ROAD_SUFFIXES), m),
        building=rng.integers(BUILDING_RANGE[0], BUILDING_RANGE[1] + 1, m),
        room=floor * 100 + rng.integers(1, FLATS_PER_FLOOR + 1, m),
        victim_key=_hex_keys(rng, m),
        offender_key=_hex_keys(rng, m),
    )


def _sample_inside(
    rng: np.random.Generator,
    polys: list,
    station: np.ndarray,
    cx: np.ndarray,
    cy: np.ndarray,
    sigma_m: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian points around (cx, cy), redrawn until each lies in its station's polygon."""
    lng = cx.astype(np.float64).copy()
    lat = cy.astype(np.float64).copy()
    todo = np.arange(cx.size)
    for _ in range(_MAX_REJECTION_ROUNDS):
        if todo.size == 0:
            break
        dy = rng.normal(0.0, sigma_m[todo]) / _METRES_PER_DEGREE_LAT
        dx = rng.normal(0.0, sigma_m[todo]) / (
            _METRES_PER_DEGREE_LAT * np.cos(np.radians(cy[todo]))
        )
        x, y = cx[todo] + dx, cy[todo] + dy
        inside = np.zeros(todo.size, dtype=bool)
        for s in np.unique(station[todo]):
            sel = station[todo] == s
            inside[sel] = shapely.contains_xy(polys[s], x[sel], y[sel])
        lng[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    return lng, lat


def _hex_keys(rng: np.random.Generator, m: int) -> np.ndarray:
    """``m`` random 128-bit pseudonyms as 32 lower-case hex characters (vectorised)."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).astype(np.uint32)
    nibbles = rng.integers(0, 16, size=(m, 32), dtype=np.uint8)
    return np.ascontiguousarray(digits[nibbles]).view("<U32").reshape(m)


# ---------------------------------------------------------------------------------- one block


def _make_block(plan: _Plan, block: int) -> DemoBatch:
    cfg = plan.cfg
    rng = np.random.default_rng([plan.seed, _BLOCK_STREAM, block])
    lo, hi = block * BLOCK_SIZE, min(plan.n, (block + 1) * BLOCK_SIZE)
    m = hi - lo
    gi = np.arange(lo, hi)
    t0 = plan.time_us[lo:hi]
    hh = plan.household[lo:hi].astype(np.int64)
    pos = plan.position[lo:hi].astype(np.int64)
    chronic = hh >= 0
    hh_safe = np.where(chronic, hh, 0)
    escalating = chronic & plan.hh_escalating[hh_safe]
    length = np.where(chronic, plan.hh_length[hh_safe], 0)

    # Who and where: one-off incidents get a fresh household, chronic ones their own.
    fresh = _draw_households(rng, m, cfg)
    known = plan.households.take(hh_safe)
    homes = _Households(
        **{k: np.where(chronic, getattr(known, k), v) for k, v in fresh.__dict__.items()}
    )

    # What: category, source, risk and instruments.
    category = rng.choice(len(CATEGORIES), m, p=plan.category_p)
    sticky = chronic & (rng.random(m) < cfg.chronic_category_stickiness)
    category = np.where(sticky | escalating, plan.hh_category[hh_safe], category)
    child = category == CATEGORIES.index("child_abuse")
    source = np.where(
        child,
        rng.choice(len(SOURCES), m, p=plan.source_p_child),
        rng.choice(len(SOURCES), m, p=plan.source_p_other),
    )
    risk = rng.choice(len(RISK_LEVELS), m, p=plan.risk_p)
    risk = np.where(escalating, _escalation_risk(pos, length), risk)
    u_wl, u_po, u_minor = rng.random(m), rng.random(m), rng.random(m)
    warning = np.where(escalating, pos == length - 2, u_wl < plan.warning_letter_p[category, risk])
    protection = np.where(
        escalating, pos == length - 1, u_po < plan.protection_order_p[category, risk]
    )
    minor = child | (source == SOURCES.index("mandatory_report")) | (u_minor < plan.minor_extra_p)
    # Unlocated incidents keep their full address text but no coordinates, as exports do
    # when the call-taker did not pin the location; placing them needs a gazetteer.
    unlocated = ~chronic & (rng.random(m) < plan.unlocated_p)

    # Address forms: one-off households the canonical form with or without 深圳市; chronic
    # households step through every form, so three incidents give three different texts.
    form = np.where(
        chronic,
        (plan.hh_form_offset[hh_safe] + pos * plan.hh_form_step[hh_safe]) % len(ADDRESS_FORMS),
        rng.integers(0, _ONE_OFF_FORMS, m),
    )
    address = _addresses(homes, form)

    lng = np.where(unlocated, np.nan, homes.lng)
    lat = np.where(unlocated, np.nan, homes.lat)
    station_code = assign_stations(lng, lat, list(jurisdictions()))
    cells = latlng_to_cells(lat, lng)

    life = _lifecycle(rng, plan, t0, category, source, risk, escalating)

    local_day = (t0 + _OFFSET_US) // _DAY_US
    day_start_utc = local_day * _DAY_US - _OFFSET_US
    serial = gi - np.searchsorted(plan.time_us, day_start_utc, side="left") + 1
    incident_no = pl.select(
        pl.concat_str(
            pl.lit("BA"),
            pl.Series(plan.day_labels).gather(local_day - plan.first_local_day),
            pl.Series(serial).cast(pl.String).str.zfill(5),
        )
    ).to_series()

    summary_idx = _summary_index(rng, category)
    communities = pl.Series([f"{v.name}社区" for v in URBAN_VILLAGES])
    incidents = pl.DataFrame(
        {
            "_i": gi,
            "incident_no": incident_no,
            "source_channel": pl.Series(SOURCES).gather(source),
            "category": pl.Series(CATEGORIES).gather(category),
            "risk_level": pl.Series(RISK_LEVELS).gather(risk),
            "reported_at": _utc(t0),
            "address_raw": address,
            "lat": lat,
            "lng": lng,
            "h3_cell": pl.Series(cells).replace(-1, None),
            "location_state": np.where(unlocated, "unlocated", "located"),
            "station_code": pl.Series(station_code.tolist(), dtype=pl.String),
            "community": communities.gather(homes.community).set(pl.Series(unlocated), None),
            "status": pl.Series(STATUSES).gather(life.status),
            "handled_at": _utc(life.handled_at),
            "closed_at": _utc(life.closed_at),
            "warning_letter": warning,
            "protection_order": protection,
            "minor_involved": minor,
            "victim_key": homes.victim_key,
            "offender_key": homes.offender_key,
            "summary": _SUMMARY_TEXTS.gather(summary_idx),
            "created_at": _utc(t0),
            "updated_at": _utc(life.updated_at),
        }
    ).with_columns(pl.col("lat", "lng").fill_nan(None), source_system=pl.lit(SOURCE_SYSTEM))

    from geo.addresses import normalise_addresses  # owned by geo/, imported where needed

    incidents = incidents.with_columns(
        normalise_addresses(incidents["address_raw"]).alias("address_key")
    )
    incidents = conform(
        incidents, {"_i": pl.Int64} | {k: v for k, v in INCIDENT_SCHEMA.items() if k != "id"}
    )
    events = _status_events(gi, incident_no, life)
    visits = _follow_ups(rng, plan, gi, incident_no, t0, risk, escalating, life)
    return DemoBatch(incidents, events, visits)


_SUMMARY_TEXTS = pl.Series([s for c in CATEGORIES for s in SUMMARIES[c]])
_SUMMARY_OFFSET = np.cumsum([0] + [len(SUMMARIES[c]) for c in CATEGORIES])[:-1]
_SUMMARY_COUNT = np.array([len(SUMMARIES[c]) for c in CATEGORIES])


def _summary_index(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    return (
        _SUMMARY_OFFSET[category]
        + rng.integers(0, 1 << 30, category.size) % _SUMMARY_COUNT[category]
    )


def _utc(us: np.ndarray) -> pl.Series:
    """UTC datetimes from epoch microseconds; -1 marks a missing time."""
    series = pl.Series(us, dtype=pl.Int64)
    return (
        pl.select(pl.when(series >= 0).then(pl.from_epoch(series, time_unit="us")))
        .to_series()
        .dt.replace_time_zone("UTC")
    )


# ------------------------------------------------------------------------------------ addresses

_FULLWIDTH = [chr(0xFF10 + d) for d in range(10)]
_CHINESE_DIGITS = list("〇一二三四五六七八九")
_ASCII_DIGITS = [str(d) for d in range(10)]


def _chinese_count(number: int) -> str:
    """Counting numeral for 1–99 (十二, 二十, 三十五), as buildings are written."""
    tens, ones = divmod(number, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CHINESE_DIGITS[tens] + "十")
    return head + (_CHINESE_DIGITS[ones] if ones else "")


_CHINESE_COUNTS = pl.Series([""] + [_chinese_count(i) for i in range(1, 100)])


def _addresses(homes: _Households, form: np.ndarray) -> pl.Series:
    """Raw address text of each incident in its address form."""
    codes = [code for code, *_ in STATIONS]
    street = pl.Series([STREETS[c] for c in codes]).gather(homes.station)
    names = pl.Series([v.name for v in URBAN_VILLAGES])
    community = names.gather(homes.community)
    road = community + pl.Series(list(ROAD_SUFFIXES)).gather(homes.road)
    building = pl.Series(homes.building).cast(pl.String)
    room = pl.Series(homes.room).cast(pl.String)
    forms = ADDRESS_FORMS
    frame = pl.DataFrame(
        {
            "street": street,
            "community": community,
            "road": road,
            "b": building,
            "r": room,
            "b_cn": _CHINESE_COUNTS.gather(homes.building),
            "prefix": pl.Series([f.prefix for f in forms]).gather(form),
            "digits": pl.Series([f.digits for f in forms]).gather(form),
            "bword": pl.Series([f.building_word for f in forms]).gather(form),
            "rword": pl.Series([f.room_word for f in forms]).gather(form),
        }
    )
    street_office = pl.col("street") + pl.lit("街道")
    prefix = (
        pl.when(pl.col("prefix") == "district_street")
        .then(pl.lit("宝安区") + street_office)
        .when(pl.col("prefix") == "city_district_street")
        .then(pl.lit("深圳市宝安区") + street_office)
        .when(pl.col("prefix") == "street")
        .then(street_office)
        .when(pl.col("prefix") == "city_district")
        .then(pl.lit("深圳市宝安区"))
        .when(pl.col("prefix") == "district")
        .then(pl.lit("宝安区"))
        .otherwise(pl.lit(""))
    )
    fullwidth = pl.col("digits") == "fullwidth"
    chinese = pl.col("digits") == "chinese"
    bnum = (
        pl.when(fullwidth)
        .then(pl.col("b").str.replace_many(_ASCII_DIGITS, _FULLWIDTH))
        .when(chinese)
        .then(pl.col("b_cn"))
        .otherwise(pl.col("b"))
    )
    rnum = (
        pl.when(fullwidth)
        .then(pl.col("r").str.replace_many(_ASCII_DIGITS, _FULLWIDTH))
        .when(chinese)
        .then(pl.col("r").str.replace_many(_ASCII_DIGITS, _CHINESE_DIGITS))
        .otherwise(pl.col("r"))
    )
    placed = pl.concat_str(
        prefix,
        pl.col("community"),
        pl.lit("社区"),
        pl.col("road"),
        bnum,
        pl.col("bword"),
        rnum,
        pl.col("rword"),
    )
    return frame.select(placed.alias("address_raw")).to_series()


# ------------------------------------------------------------------------------------ lifecycle


class _Lifecycle(NamedTuple):
    """Step times per incident (epoch µs, -1 where the step did not happen by ``end``)."""

    at: tuple[np.ndarray, ...]  # one array per status in STATUSES
    department: tuple[np.ndarray, ...]  # department index per status
    status: np.ndarray  # index of the last status reached
    handled_at: np.ndarray
    closed_at: np.ndarray
    updated_at: np.ndarray
    has_follow_up: np.ndarray  # the case reached following_up or closed by ``end``


def _lifecycle(
    rng: np.random.Generator,
    plan: _Plan,
    t0: np.ndarray,
    category: np.ndarray,
    source: np.ndarray,
    risk: np.ndarray,
    escalating: np.ndarray,
) -> _Lifecycle:
    cfg = plan.cfg
    m = t0.size
    high = risk == RISK_LEVELS.index("high")

    slow = rng.random(m) < cfg.dispatch_slow_share
    dispatch_s = np.where(
        slow, rng.uniform(*DISPATCH_SLOW_SECONDS, m), rng.uniform(*DISPATCH_SECONDS, m)
    )
    t_dispatch = t0 + np.round(dispatch_s * _US).astype(np.int64)

    median = np.array([HANDLING_MEDIAN_HOURS[r] for r in RISK_LEVELS])[risk]
    hours = median * np.exp(rng.normal(0.0, HANDLING_LOG_SIGMA, m))
    # Redraw the long tail inside the service level instead of piling it up at 24 h.
    tail = (hours > HANDLING_ON_TIME_MAX_HOURS) | (hours < HANDLING_MIN_HOURS)
    hours = np.where(tail, rng.uniform(1.0, HANDLING_ON_TIME_MAX_HOURS, m), hours)
    overdue = rng.random(m) < cfg.handled_overdue_share
    hours = np.where(overdue, rng.uniform(*HANDLING_OVERDUE_HOURS, m), hours)
    t_handle = t0 + np.round(hours * _HOUR_US).astype(np.int64)

    closes = rng.random(m) < cfg.closed_share
    follow = high | (rng.random(m) < cfg.follow_up_stage_share)
    follow |= ~closes & (rng.random(m) < OPEN_IN_FOLLOW_UP_SHARE)
    fu_hours = rng.uniform(*FOLLOW_UP_STAGE_DELAY_HOURS, m)
    t_follow = np.where(follow, t_handle + np.round(fu_hours * _HOUR_US).astype(np.int64), -1)

    # Closing days skew early (most cases close within days); a few close late.
    on_time = CLOSED_ON_TIME_DAYS[0] + (CLOSED_ON_TIME_DAYS[1] - CLOSED_ON_TIME_DAYS[0]) * (
        rng.random(m) ** 2
    )
    late = rng.random(m) < cfg.closed_overdue_share
    days = np.where(late, rng.uniform(*CLOSED_OVERDUE_DAYS, m), on_time)
    previous = np.maximum(t_handle, t_follow)
    after = np.round(rng.uniform(*CLOSED_AFTER_PREVIOUS_HOURS, m) * _HOUR_US).astype(np.int64)
    t_close = np.where(
        closes, np.maximum(t0 + np.round(days * _DAY_US).astype(np.int64), previous + after), -1
    )

    # Nothing happens after the end of the history.
    end = plan.end_us
    at = tuple(
        np.where((t >= 0) & (t <= end), t, -1)
        for t in (t0, t_dispatch, t_handle, t_follow, t_close)
    )
    reached = np.stack([a >= 0 for a in at])
    status = (len(STATUSES) - 1) - np.argmax(reached[::-1], axis=0)
    updated = np.max(np.stack(at), axis=0)

    reporting = np.array([DEPARTMENTS.index(REPORTING_DEPARTMENT[s]) for s in SOURCES])[source]
    lead = np.empty(m, dtype=np.int64)
    for c, code in enumerate(CATEGORIES):
        rows = np.flatnonzero(category == c)
        shares = LEAD_DEPARTMENT_SHARES[code]
        lead[rows] = rng.choice(
            [DEPARTMENTS.index(d) for d in shares], rows.size, p=list(shares.values())
        )
    # Court cases stay with the court that received them.
    lead = np.where(source == SOURCES.index("court"), DEPARTMENTS.index("court"), lead)
    follow_dept = rng.choice(
        [DEPARTMENTS.index(d) for d in FOLLOW_UP_DEPARTMENT_SHARES],
        m,
        p=list(FOLLOW_UP_DEPARTMENT_SHARES.values()),
    )
    return _Lifecycle(
        at=at,
        department=(reporting, lead, lead, follow_dept, lead),
        status=status,
        handled_at=at[2],
        closed_at=at[4],
        updated_at=updated,
        has_follow_up=(at[3] >= 0) | (at[4] >= 0),
    )


def _status_events(gi: np.ndarray, incident_no: pl.Series, life: _Lifecycle) -> pl.DataFrame:
    parts = []
    for s, status in enumerate(STATUSES):
        rows = np.flatnonzero(life.at[s] >= 0)
        parts.append(
            pl.DataFrame(
                {
                    "_i": gi[rows],
                    "_step": np.full(rows.size, s, dtype=np.int8),
                    "incident_no": incident_no.gather(rows),
                    "at": _utc(life.at[s][rows]),
                    "department": pl.Series(DEPARTMENTS).gather(life.department[s][rows]),
                }
            ).with_columns(status=pl.lit(status), note=pl.lit(STATUS_NOTES[status]))
        )
    events = pl.concat(parts).sort("_i", "_step").drop("_step")
    return conform(events, {"_i": pl.Int64} | STATUS_EVENT_SCHEMA)


def _follow_ups(
    rng: np.random.Generator,
    plan: _Plan,
    gi: np.ndarray,
    incident_no: pl.Series,
    t0: np.ndarray,
    risk: np.ndarray,
    escalating: np.ndarray,
    life: _Lifecycle,
) -> pl.DataFrame:
    """Follow-up visits within the 2-month window after handling, up to ``end``."""
    m = t0.size
    count = np.zeros(m, dtype=np.int64)
    for r, level in enumerate(RISK_LEVELS):
        rows = np.flatnonzero((risk == r) & life.has_follow_up)
        p = np.asarray(VISIT_COUNT_SHARES[level])
        count[rows] = rng.choice(p.size, rows.size, p=p)
    owner = np.repeat(np.arange(m), count)
    start = np.where(life.at[3] >= 0, life.at[3], life.at[2])[owner] + _HOUR_US
    stop = t0[owner] + VISIT_WINDOW_DAYS * _DAY_US
    when = start + (rng.random(owner.size) * np.maximum(stop - start, 0)).astype(np.int64)
    outcome = rng.choice(len(VISIT_OUTCOMES), owner.size, p=list(VISIT_OUTCOMES.values()))
    worse = escalating[owner] & (rng.random(owner.size) < ESCALATING_VISIT_ESCALATED_SHARE)
    outcome = np.where(worse, list(VISIT_OUTCOMES).index("escalated"), outcome)
    dept = rng.choice(
        [DEPARTMENTS.index(d) for d in VISIT_DEPARTMENTS],
        owner.size,
        p=list(VISIT_DEPARTMENTS.values()),
    )
    keep = when <= plan.end_us
    owner, when, outcome, dept = owner[keep], when[keep], outcome[keep], dept[keep]
    order = np.lexsort((when, owner))
    owner, when, outcome, dept = owner[order], when[order], outcome[order], dept[order]
    codes = list(VISIT_OUTCOMES)
    visits = pl.DataFrame(
        {
            "_i": gi[owner],
            "incident_no": incident_no.gather(owner),
            "visited_at": _utc(when),
            "department": pl.Series(DEPARTMENTS).gather(dept),
            "outcome": pl.Series(codes).gather(outcome),
            "note": pl.Series([VISIT_NOTES[c] for c in codes]).gather(outcome),
        }
    )
    return conform(visits, {"_i": pl.Int64} | FOLLOW_UP_SCHEMA)
