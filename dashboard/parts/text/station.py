"""Interface strings of the station screen (keys start with ``station.``)."""

STRINGS: dict[str, dict[str, str]] = {
    "station.def.due": {
        "zh": "仍未办结、第 4 次回访的截止时间（接报后 61 天）在今后 {days} 天内、尚未完成的案件。",
        "en": "Open cases whose 4th follow-up visit is not made yet and due (61 days after the "
        "report) within the next {days} days.",
    },
    "station.def.overdue": {
        "zh": "仍未办结、第 4 次回访已超过截止时间（接报后 61 天）的案件；与大屏、研判中“超时"
        "未办结”的回访部分同一口径。",
        "en": "Open cases past their follow-up deadline (4 visits within 61 days of the "
        "report): the follow-up part of the wall's and the review's late open cases.",
    },
    "station.title": {"zh": "{station} · 派出所工作台", "en": "{station} · station workspace"},
    "station.not_found": {
        "zh": "没有这个派出所：请检查链接中的派出所编号。",
        "en": "There is no such station: check the station code in the link.",
    },
    "station.switch": {"zh": "切换派出所", "en": "Switch station"},
    "station.cases_title": {"zh": "本所案件", "en": "Cases of the station"},
    "station.search": {"zh": "按地址搜索", "en": "Search by address"},
    "station.search_placeholder": {
        "zh": "输入街道、小区或楼栋…",
        "en": "Street, compound or building…",
    },
    "station.status": {"zh": "处置状态", "en": "Status"},
    "station.risk": {"zh": "风险等级", "en": "Risk level"},
    "station.category": {"zh": "警情类别", "en": "Category"},
    "station.all": {"zh": "全部", "en": "All"},
    "station.clear": {"zh": "清除筛选", "en": "Clear filters"},
    "station.total": {"zh": "共 {n} 起", "en": "{n} cases"},
    "station.loading": {"zh": "正在加载…", "en": "Loading…"},
    "station.empty.cases": {
        "zh": "没有符合条件的案件（{why}）。请放宽或清除筛选条件。",
        "en": "No case matches ({why}). Widen or clear the filters.",
    },
    "station.empty.none": {
        "zh": "本所暂无案件记录。",
        "en": "This station has no cases on record.",
    },
    "station.why.address": {"zh": "地址含“{q}”", "en": "address contains “{q}”"},
    "station.why.status": {"zh": "状态：{v}", "en": "status: {v}"},
    "station.why.risk": {"zh": "风险：{v}", "en": "risk: {v}"},
    "station.why.category": {"zh": "类别：{v}", "en": "category: {v}"},
    "station.export_csv": {"zh": "导出 CSV", "en": "Export CSV"},
    "station.export_xlsx": {"zh": "导出 Excel", "en": "Export Excel"},
    "station.export_hint": {
        "zh": "导出当前筛选结果，导出记录写入审计日志。",
        "en": "Exports the filtered list; each export is recorded in the audit trail.",
    },
    "station.export_sheet": {"zh": "案件清单", "en": "Cases"},
    "station.row_hint": {"zh": "点击一行查看案件详情", "en": "Click a row to open the case"},
    "station.masked": {
        "zh": "地址已按您的权限隐去门牌号。",
        "en": "House numbers are hidden for your role.",
    },
    # -- side panels -------------------------------------------------------------------------
    "station.due_title": {"zh": "本周到期回访", "en": "Follow-ups due this week"},
    "station.due_at": {"zh": "到期", "en": "Due"},
    "station.visits": {"zh": "已回访", "en": "Visits"},
    "station.visits_of": {"zh": "{n}/{of} 次", "en": "{n} of {of}"},
    "station.overdue_note": {
        "zh": "另有 {n} 起在办案件回访已逾期。",
        "en": "{n} open cases are already past their follow-up deadline.",
    },
    "station.empty.due": {
        "zh": "未来 {days} 天内没有到期的回访。",
        "en": "No follow-up falls due in the next {days} days.",
    },
    "station.warning_lists": {
        "zh": "风险预警 {risk} 条（排在前面）· 超过服务时限 {service} 条",
        "en": "{risk} risk warnings (listed first) · {service} past a service level",
    },
    "station.warnings_title": {"zh": "预警对象", "en": "Early warnings"},
    "station.kind": {"zh": "类型", "en": "Kind"},
    "station.reason": {"zh": "原因", "en": "Why"},
    "station.where": {"zh": "地点", "en": "Where"},
    "station.last_at": {"zh": "最近警情", "en": "Last incident"},
    "station.empty.warnings": {
        "zh": "当前没有预警对象：近期没有高风险、升级或新发的重复警情。",
        "en": "No early warning now: no recent high-risk, escalating or repeat incident.",
    },
    "station.repeats_title": {"zh": "重复警情地址", "en": "Repeat addresses"},
    "station.incidents": {"zh": "警情数", "en": "Incidents"},
    "station.flags": {"zh": "标记", "en": "Flags"},
    "station.flag_escalating": {"zh": "升级", "en": "Escalating"},
    "station.flag_marac": {"zh": "一年3次以上", "en": "3+ in a year"},
    "station.empty.repeats": {
        "zh": "本所没有发生两次以上警情的地址。",
        "en": "No address of the station has had more than one incident.",
    },
    "station.more": {"zh": "另有 {n} 条未列出。", "en": "{n} more not listed."},
    "station.plan_title": {"zh": "巡逻计划", "en": "Patrol plan"},
    "station.cell_no": {"zh": "网格号", "en": "Cell"},
    "station.incidents_12w": {
        "zh": "近12周警情（本格/含邻格）",
        "en": "Incidents, 12 wks (cell / area)",
    },
    "station.repeat_addresses": {"zh": "重复地址", "en": "Repeat addresses"},
    "station.warnings": {"zh": "预警", "en": "Warnings"},
    "station.empty.plan": {
        "zh": "没有巡逻计划：近12周本所没有可定位的警情。",
        "en": "No patrol plan: the station had no placed incident in the last 12 weeks.",
    },
    "station.print_sheet": {"zh": "打印巡逻单", "en": "Print patrol sheet"},
    "station.panels_failed": {
        "zh": "侧栏数据暂时无法加载，请稍后刷新。",
        "en": "The side panels could not be loaded; please refresh later.",
    },
    # -- the patrol sheet ----------------------------------------------------------------------
    "station.sheet_title": {"zh": "{station} 巡逻单", "en": "{station} patrol sheet"},
    "station.sheet_meta": {
        "zh": "{date} · 方法：{method} · {cells} 个网格 · 依据近 {weeks} 周警情 · 打印人：{user}",
        "en": "{date} · method: {method} · {cells} cells · from the last {weeks} weeks · "
        "printed by {user}",
    },
    "station.sheet_print_hint": {
        "zh": "用浏览器的“打印”（Ctrl+P）输出到 A4 纸。",
        "en": "Print with the browser's Print (Ctrl+P) on A4 paper.",
    },
    "station.sheet_map": {"zh": "巡逻网格地图", "en": "Map of the patrol cells"},
    # -- visits this week (printable) --------------------------------------------------------------
    "station.print_visits": {"zh": "打印本周走访清单", "en": "Print this week's visits"},
    "station.visits_title": {"zh": "{station} 本周走访清单", "en": "{station}: visits this week"},
    "station.visits_meta": {
        "zh": "{date} · 共 {total} 次走访，其中已逾期 {overdue} 次 · 排序：{order} · "
        "打印人：{user}",
        "en": "{date} · {total} visits, {overdue} of them overdue · order: {order} · "
        "printed by {user}",
    },
    "station.visits_order": {"zh": "排序：", "en": "Order:"},
    "station.visits_order_risk": {"zh": "按风险", "en": "by risk"},
    "station.visits_order_place": {"zh": "按地点", "en": "by place"},
    "station.bad_order": {
        "zh": "排序只能是 risk（按风险）或 place（按地点）。",
        "en": "The order is risk or place.",
    },
    "station.visits_none": {
        "zh": "本周没有到期或逾期的走访。",
        "en": "No visit is due or overdue this week.",
    },
    "station.visits_col_no": {"zh": "序号", "en": "No."},
    "station.visits_col_kind": {"zh": "走访类别", "en": "Visit"},
    "station.visits_col_case": {"zh": "警情编号", "en": "Case"},
    "station.visits_col_risk": {"zh": "风险", "en": "Risk"},
    "station.visits_col_address": {"zh": "地址", "en": "Address"},
    "station.visits_col_due": {"zh": "期限", "en": "Due"},
    "station.visits_col_done": {"zh": "已访次数", "en": "Visits so far"},
    "station.visits_col_note": {"zh": "走访记录（手写）", "en": "Notes (by hand)"},
    "station.visits_kind_overdue": {"zh": "回访已逾期", "en": "Follow-up overdue"},
    "station.visits_kind_due": {"zh": "本周回访", "en": "Follow-up due"},
    "station.visits_kind_warning_overdue": {
        "zh": "告诫书回访已逾期",
        "en": "Warning-letter visit overdue",
    },
    "station.visits_kind_warning_due": {"zh": "告诫书回访", "en": "Warning-letter visit due"},
    "station.shift": {"zh": "{start}–{end} 班", "en": "shift {start}–{end}"},
    "station.whole_day": {"zh": "全天", "en": "whole day"},
    "station.by_shift": {"zh": "按班次：", "en": "By shift:"},
    "station.bad_shift": {
        "zh": "没有这个班次。班次由 ANNING_PATROL_SHIFTS 设定（默认 08-16,16-24,00-08）。",
        "en": "No such shift. Shifts are set by ANNING_PATROL_SHIFTS (default 08-16,16-24,00-08).",
    },
    "station.sheet_shift_share": {
        "zh": "本班次 {n} 起，占近期 {total} 起的 {share}",
        "en": "{n} of {total} recent incidents ({share}) fell in this shift",
    },
    "station.sheet_addresses": {"zh": "重点地址", "en": "Addresses to visit"},
    "station.sheet_no_address": {"zh": "无重点地址，巡逻即可", "en": "No listed address; patrol"},
    "station.sheet_more_addresses": {"zh": " 等{n}处", "en": " and {n} more"},
    "station.sheet_more_cells": {
        "zh": "另有 {n} 个网格未列出，请在工作台查看。",
        "en": "{n} more cells are not listed; see the workspace.",
    },
    "station.sheet_reason_here": {
        "zh": "本格近{weeks}周 {n} 起",
        "en": "here: {n} in {weeks} wks",
    },
    "station.sheet_reason_near": {
        "zh": "本格无警情，相邻网格近{weeks}周 {n} 起",
        "en": "none here; next door: {n} in {weeks} wks",
    },
    "station.sheet_reason_repeats": {"zh": "重复地址 {n} 处", "en": "repeat addresses: {n}"},
    "station.sheet_reason_warnings": {"zh": "预警 {n} 条", "en": "early warnings: {n}"},
    "station.sheet_key_cell": {"zh": "巡逻网格（编号=排名）", "en": "Patrol cell (number = rank)"},
    "station.sheet_key_address": {
        "zh": "网格内重复警情地址",
        "en": "Repeat address in a patrol cell",
    },
    "station.sheet_key_other": {"zh": "其他重复警情地址", "en": "Other repeat address"},
    "station.sheet_footer": {
        "zh": "内部资料 注意保密 · 用后销毁",
        "en": "Internal · confidential · destroy after use",
    },
    # -- linked incidents (on the case page) -----------------------------------------------------
    "station.linked_title": {"zh": "关联警情", "en": "Linked incidents"},
    "station.linked_hint": {
        "zh": "同一地址或同一受害人的其他警情",
        "en": "Other incidents at the same address or with the same victim",
    },
    "station.linked_count": {"zh": "{n} 起", "en": "{n}"},
    "station.linked_link": {"zh": "关联", "en": "Link"},
    "station.link.address": {"zh": "同一地址", "en": "Same address"},
    "station.link.victim": {"zh": "同一受害人", "en": "Same victim"},
    "station.link.both": {"zh": "同一地址和受害人", "en": "Same address and victim"},
    "station.linked_empty": {
        "zh": "没有同一地址或同一受害人的其他警情。",
        "en": "No other incident at this address or with this victim.",
    },
    "station.back": {"zh": "← 返回派出所工作台", "en": "← Back to the station"},
    # -- the grid's own texts ------------------------------------------------------------------
    "station.grid.page": {"zh": "第", "en": "Page"},
    "station.grid.of": {"zh": "/", "en": "of"},
    "station.grid.to": {"zh": "至", "en": "to"},
    "station.grid.more": {"zh": "更多", "en": "more"},
    "station.grid.next": {"zh": "下一页", "en": "Next page"},
    "station.grid.previous": {"zh": "上一页", "en": "Previous page"},
    "station.grid.first": {"zh": "首页", "en": "First page"},
    "station.grid.last": {"zh": "末页", "en": "Last page"},
    "station.grid.loading": {"zh": "加载中…", "en": "Loading…"},
    "station.grid.no_rows": {"zh": "没有案件", "en": "No cases"},
    # -- the station map (dashboard/screens/station/map.py) ----------------------------------
    "station.map.title": {"zh": "辖区地图", "en": "Station map"},
    "station.map.hint": {
        "zh": "六边形：近 {days} 天事件数；蓝框：巡逻计划网格；圆点：重复报警地址。点击查看案件。",
        "en": "Hexagons: incidents of the last {days} days; blue outline: patrol-plan cells; "
        "dots: repeat addresses. Click for the cases.",
    },
    "station.map.count": {"zh": "近 {days} 天事件", "en": "Incidents, last {days} days"},
    "station.map.patrol": {"zh": "巡逻计划网格", "en": "Patrol-plan cell"},
    "station.map.repeat": {"zh": "重复报警次数", "en": "Repeat incidents"},
}
