"""The canonical vocabulary of an incident: codes stored in the database.

Codes are stable ASCII identifiers; the words users read for them live in
``dashboard.parts.i18n`` (Chinese and English). Importers map source values onto these codes.
"""

from __future__ import annotations

#: 案源渠道 — where a case came from.
SOURCES: tuple[str, ...] = (
    "call_110",  # 110报警
    "grid_patrol",  # 网格员巡查
    "court",  # 法院受理
    "womens_federation",  # 妇联投诉
    "mediation_referral",  # 人民调解转介
    "mandatory_report",  # 强制报告 (schools, hospitals, communities, property managers)
    "other",
)

#: Kind of incident.
CATEGORIES: tuple[str, ...] = (
    "domestic_violence",  # 家庭暴力
    "relationship_dispute",  # 婚恋情感纠纷
    "family_dispute",  # 家庭纠纷
    "child_abuse",  # 虐待儿童
    "elder_abuse",  # 虐待老人
    "other",
)

#: 风险等级 — decides routing and follow-up intensity.
RISK_LEVELS: tuple[str, ...] = ("high", "medium", "low")

#: The closed loop: report → dispatch → handling → follow-up visits → closed.
STATUSES: tuple[str, ...] = ("reported", "dispatched", "handling", "following_up", "closed")

#: Departments a case is dispatched to ("首接负责, 多方联动").
DEPARTMENTS: tuple[str, ...] = ("police", "womens_federation", "justice", "court", "community")

#: Whether an incident could be placed on the map inside a jurisdiction.
LOCATION_STATES: tuple[str, ...] = ("located", "unlocated", "outside")

#: Service levels published by Bao'an, in hours.
SLA_HANDLED_HOURS = 24
SLA_CLOSED_HOURS = 15 * 24
SLA_FOLLOW_UP_VISITS = 4
SLA_FOLLOW_UP_WINDOW_DAYS = 61
