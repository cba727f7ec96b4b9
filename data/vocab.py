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

# -- closing the loop (issue 13) ---------------------------------------------------------------
#: 支援请求 — the states of a station's support request, in the order of the loop.
SUPPORT_STATES: tuple[str, ...] = (
    "requested",  # 已请求
    "accepted",  # 已响应
    "supporting",  # 支援中
    "feedback_given",  # 已反馈
    "closed",  # 已办结
    "declined",  # 已拒绝 (with a reason; answers the clock)
)
#: States in which a request still asks something of someone.
SUPPORT_OPEN_STATES: tuple[str, ...] = ("requested", "accepted", "supporting", "feedback_given")
#: How soon a unit must answer.
SUPPORT_URGENCIES: tuple[str, ...] = ("urgent", "normal")
#: Why a station asks (seed 003, item 8: repeated calls, mediation failed, 民转刑 risk …).
SUPPORT_REASONS: tuple[str, ...] = (
    "repeat_calls",  # 多次调处无果仍重复报警
    "mediation_failed",  # 调解无果
    "escalation_risk",  # 可能“民转刑”
    "extreme_violence",  # 可能引发个人极端暴力
    "minor_at_risk",  # 未成年人受害
    "other",
)
#: What a request was filed from.
SUPPORT_SUBJECTS: tuple[str, ...] = ("household", "address", "case", "warning")
#: What a department did on a case (enters the case's status history).
TASK_ACTIONS: tuple[str, ...] = ("visit", "mediation", "referral", "protection_order")
#: The states of a department task.
TASK_STATES: tuple[str, ...] = ("open", "done")
