"""Strings of the case list (``/cases``), the page every number opens."""

STRINGS: dict[str, dict[str, str]] = {
    "caselist.title": {"zh": "案件清单", "en": "Case list"},
    "caselist.bad": {
        "zh": "无法读取该清单的筛选条件：{why}",
        "en": "This list's filter cannot be read: {why}",
    },
    "caselist.count": {
        "zh": "共 {n} 起，本页第 {first}–{last} 起",
        "en": "{n} cases; this page: {first}–{last}",
    },
    "caselist.count_all": {"zh": "共 {n} 起", "en": "{n} cases"},
    "caselist.empty": {"zh": "没有符合条件的案件。", "en": "No cases match."},
    "caselist.csv": {"zh": "导出全部（CSV）", "en": "Export all (CSV)"},
    "caselist.area_title": {"zh": "所画区域", "en": "The drawn area"},
    "caselist.area_circle": {"zh": "半径 {r} 米的圆", "en": "a circle of {r} m radius"},
    "caselist.area_polygon": {"zh": "{n} 个顶点的多边形", "en": "a polygon of {n} corners"},
    "caselist.area_weeks": {"zh": "近 {n} 周（每周）", "en": "Last {n} weeks (weekly)"},
    "caselist.all_stations": {"zh": "全部派出所", "en": "All stations"},
    "caselist.judged_at": {"zh": "判定时间 {time}", "en": "judged at {time}"},
    "caselist.prev": {"zh": "上一页", "en": "Previous"},
    "caselist.next": {"zh": "下一页", "en": "Next"},
    "caselist.open_list": {"zh": "查看这些案件", "en": "Open these cases"},
    "caselist.warning": {"zh": "预警涉及的案件", "en": "Cases behind an early warning"},
    "caselist.follow_ups_overdue": {"zh": "回访已逾期的在办案件", "en": "Overdue follow-up visits"},
    "caselist.all_of": {"zh": "查看全部 {n} 条", "en": "All {n}"},
    "caselist.pulse": {"zh": "近 24 小时新事件（地图闪烁）", "en": "New in 24 h (pulsing)"},
    "caselist.def.pulse": {
        "zh": "最近 24 小时接报、有位置的事件，最新的 40 起（即地图上闪烁的点）。",
        "en": "Located incidents of the last 24 h, the newest 40 (the pulsing dots of the map).",
    },
    "caselist.hotspot": {"zh": "热点网格内的事件", "en": "Incidents in hot-spot cells"},
    "caselist.def.hotspot": {
        "zh": "该置信等级热点网格（Getis-Ord Gi*）内、在所示日期范围接报的事件。",
        "en": "Incidents reported in the dates shown inside the hot-spot cells (Getis-Ord Gi*) "
        "of this confidence class.",
    },
    "caselist.def.open": {
        "zh": "所示日期范围内接报、现在尚未办结（状态不是“已办结”）的事件。",
        "en": "Incidents reported in the dates shown that are not closed now.",
    },
    "caselist.cells": {"zh": "网格 {cells}", "en": "hexagon {cells}"},
    "caselist.cell_place": {"zh": "{cell}（{place}）", "en": "{cell} ({place})"},
    "caselist.def.warning": {
        "zh": "该条预警所依据的全部事件。",
        "en": "Every incident this early-warning entry rests on.",
    },
    "caselist.lists.sla_compliance": {
        "zh": "清单列出未达标的案件：本期至少一项服务时限超时的案件。",
        "en": "The list holds the misses: the period's cases with at least one late level.",
    },
    "caselist.lists.handled_24h_share": {
        "zh": "清单列出未达标的案件：接报后超过 24 小时才处置或仍未处置的案件。",
        "en": "The list holds the misses: cases not handled within 24 h.",
    },
    "caselist.lists.median_days_to_close": {
        "zh": "清单列出计入中位数的案件：本期截至现在已办结的案件。",
        "en": "The list holds the cases of the median: the period's cases closed by now.",
    },
    "caselist.lists.visits_done": {
        "zh": "清单列出本期有回访的案件（一案多次回访只列一次）。",
        "en": "The list holds the cases visited in the period (once each, however many visits).",
    },
    "audit_action.view_case_list": {"zh": "查看案件清单", "en": "Case list viewed"},
}
