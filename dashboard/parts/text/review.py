"""Interface strings of the review screen (keys start with ``review.``), and the words for its
two audit actions (``audit_action.export_review_pdf`` / ``_xlsx``, which
:func:`dashboard.parts.i18n.audit_action_label` looks up by that name)."""

STRINGS: dict[str, dict[str, str]] = {
    "review.title": {"zh": "领导研判", "en": "Leadership review"},
    "review.subtitle": {
        "zh": "周例会、月例会用：周期对比、趋势、时段分布与派出所排名。",
        "en": "For the weekly or monthly meeting: period comparison, trends, hours and the "
        "station league table.",
    },
    "review.loading": {"zh": "加载中…", "en": "Loading…"},
    "review.nav_overview": {"zh": "态势总览", "en": "Overview"},
    # -- controls -------------------------------------------------------------------------
    "review.period": {"zh": "研判周期", "en": "Period"},
    "review.kind.week": {"zh": "按周", "en": "Week"},
    "review.kind.month": {"zh": "按月", "en": "Month"},
    "review.kind.custom": {"zh": "自定义", "en": "Custom"},
    "review.anchor": {"zh": "周期内任一天", "en": "Any day of the period"},
    "review.range": {"zh": "日期范围", "en": "Date range"},
    "review.compare": {"zh": "对比", "en": "Compare with"},
    "review.cmp.previous": {"zh": "上一周期", "en": "Previous period"},
    "review.cmp.last_year": {"zh": "去年同期", "en": "Same period last year"},
    "review.step_back": {"zh": "上一期", "en": "Earlier"},
    "review.step_forward": {"zh": "下一期", "en": "Later"},
    "review.period_label": {"zh": "{start} 至 {end}", "en": "{start} to {end}"},
    "review.showing": {"zh": "本期：{period}", "en": "This period: {period}"},
    "review.compared": {"zh": "对比期：{period}", "en": "Compared with: {period}"},
    "review.compare_none": {
        "zh": "对比期（{period}）没有数据（数据范围 {first} 至 {last}），不计算变化。",
        "en": "The comparison period ({period}) has no data (data run from {first} to "
        "{last}); no change is shown.",
    },
    "review.compare_partial": {
        "zh": "对比期（{period}）只有部分数据（数据范围 {first} 至 {last}），不计算变化。",
        "en": "The data cover only part of the comparison period ({period}; data run from "
        "{first} to {last}); no change is shown.",
    },
    "review.current_partial": {
        "zh": "本期只有部分数据（数据范围 {first} 至 {last}），数字偏小。",
        "en": "The data cover only part of this period (data run from {first} to {last}); "
        "the numbers are low.",
    },
    "review.no_data_at_all": {
        "zh": "数据库中还没有事件：请先导入数据。",
        "en": "There are no incidents in the store yet: import some first.",
    },
    "review.empty_period": {
        "zh": "本期（{period}）没有事件：请选择其他周期。",
        "en": "No incidents in this period ({period}): choose another period.",
    },
    # -- measures ---------------------------------------------------------------------------
    "review.m.station_code": {"zh": "派出所", "en": "Station"},
    "review.m.incidents": {"zh": "事件数", "en": "Incidents"},
    "review.m.change": {"zh": "增减", "en": "Change"},
    "review.m.change_pct": {"zh": "增减率", "en": "Change %"},
    "review.m.handled_24h_share": {"zh": "24 小时处置率", "en": "Handled in 24 h"},
    "review.m.late_open": {"zh": "超时未办结", "en": "Open, late"},
    "review.m.median_days_to_close": {"zh": "办结用时中位数（天）", "en": "Median days to close"},
    "review.m.sla_compliance": {"zh": "服务时限达标率", "en": "Service levels met"},
    "review.m.visits_done": {"zh": "回访次数", "en": "Follow-up visits"},
    "review.m.repeat_share": {"zh": "重复地址占比", "en": "Repeat-address share"},
    "review.m.warning_letters": {"zh": "告诫书", "en": "Warning letters"},
    "review.m.protection_orders": {"zh": "保护令", "en": "Protection orders"},
    "review.def.station_code": {
        "zh": "派出所（辖区）。",
        "en": "The station (its jurisdiction).",
    },
    "review.def.incidents": {
        "zh": "本期内接报的事件数。",
        "en": "Incidents reported in the period.",
    },
    "review.def.change": {
        "zh": "本期事件数减去对比期事件数（对比期无数据时不计算）。",
        "en": "Incidents of the period minus those of the comparison period (not shown when "
        "the comparison period has no data).",
    },
    "review.def.change_pct": {
        "zh": "增减占对比期事件数的百分比；对比期为 0 时不计算。",
        "en": "The change as a percentage of the comparison period's incidents; not shown "
        "when that is 0.",
    },
    "review.def.handled_24h_share": {
        "zh": "本期事件中接报后 24 小时内处置（有处置时间，或办结）的比例；分母为接报已满 24 "
        "小时的事件（已按时处置 + 超时）。",
        "en": "Share of the period's incidents handled (or closed) within 24 h of the report; "
        "denominator: those reported at least 24 h ago (met in time + late).",
    },
    "review.def.late_open": {
        "zh": "本期接报、截至现在仍未办结，且至少一项服务时限已超时（截止时间已过仍未达标，"
        "或达标晚于截止时间）的案件数。与指挥大屏“超时未达标案件”同一口径。",
        "en": "Cases reported in the period, still open now, with at least one service level "
        'late (deadline passed and not met by it). The wall\'s "cases past service level" '
        "counts the same over every report date.",
    },
    "review.def.median_days_to_close": {
        "zh": "本期事件中已办结者从接报到办结的天数中位数（办结时间 − 接报时间）；未办结的不计入。",
        "en": "Median days from report to closure (closed − reported) of the period's "
        "incidents closed by now; open cases are not in it.",
    },
    "review.def.sla_compliance": {
        "zh": "本期事件的服务时限检查（24 小时处置、15 天办结、2 个月内回访 4 次）中按时达标的"
        "比例：达标 ÷（达标 + 超时），只计截止时间已过的检查。",
        "en": "Share of the period's service-level checks (handled in 24 h, closed in 15 "
        "days, 4 visits in 2 months) met in time: met ÷ (met + late), counting checks whose "
        "deadline has passed.",
    },
    "review.def.visits_done": {
        "zh": "本期内完成的回访次数（按回访日期，含以前接报的案件）。",
        "en": "Follow-up visits made in the period (by visit date, also to older cases).",
    },
    "review.def.repeat_share": {
        "zh": "本期事件中，地址（标准化地址）在截至本期末的 365 天内有 2 起及以上事件的比例。",
        "en": "Share of the period's incidents at an address (normalised) with 2 or more "
        "incidents in the 365 days up to the period's end.",
    },
    "review.def.warning_letters": {
        "zh": "本期事件中出具告诫书的数量。",
        "en": "Incidents of the period with a warning letter issued.",
    },
    "review.def.protection_orders": {
        "zh": "本期事件中申请人身安全保护令的数量。",
        "en": "Incidents of the period with a personal safety protection order.",
    },
    "review.vs": {"zh": "较对比期 {delta}（{pct}）", "en": "{delta} ({pct}) vs. comparison"},
    "review.vs_points": {"zh": "较对比期 {delta}", "en": "{delta} vs. comparison"},
    "review.no_comparison": {"zh": "无可比数据", "en": "No comparison"},
    "review.pct_na": {"zh": "对比期为 0", "en": "was 0"},
    "review.points": {"zh": "{value} 个百分点", "en": "{value} pts"},
    "review.days": {"zh": "{value} 天", "en": "{value} days"},
    # -- charts -----------------------------------------------------------------------------
    "review.trend_category": {"zh": "按类别趋势", "en": "Trend by category"},
    "review.trend_source": {"zh": "按案源渠道趋势", "en": "Trend by source"},
    "review.heatmap": {"zh": "时段分布（星期 × 小时）", "en": "Hour × weekday"},
    "review.league": {"zh": "派出所排名", "en": "Station league table"},
    # -- two drawn areas compared ---------------------------------------------------------------
    "review.areas_title": {"zh": "两个区域对比", "en": "Two drawn areas compared"},
    "review.areas_hint": {
        "zh": "在总览地图上画出的两个区域；点击数字查看其案件",
        "en": "The two areas drawn on the overview's map; click a number for its cases",
    },
    "review.area_name": {"zh": "区域 {letter}", "en": "Area {letter}"},
    "review.areas_measure": {"zh": "指标", "en": "Measure"},
    "review.areas_change": {"zh": "变化", "en": "Change"},
    "review.areas_not_covered": {
        "zh": "对比期不在数据范围内",
        "en": "The comparison period is not covered by the data",
    },
    "review.bar_hint": {
        "zh": "点击柱形查看对应案件；右上角按钮可下载 PNG 图片。",
        "en": "Click a bar to list its cases; the button at the top right saves a PNG.",
    },
    "review.league_hint": {
        "zh": "点击表头排序，最差的在前（鼠标停留可看定义与目标，◎ 为有目标的指标）；"
        "绿色达标、红色未达标；点击任一数字查看其对应案件。",
        "en": "Click a header to sort, worst first (hover it for the definition and target; "
        "◎ marks a measure with a target); green meets the target, red misses it; click a "
        "number to list the cases behind it.",
    },
    "review.line.previous": {"zh": "上一周期（合计）", "en": "Previous period (all)"},
    "review.line.last_year": {"zh": "去年同期（合计）", "en": "Same period last year (all)"},
    "review.line_hover": {
        "zh": "{name}：%{{y:,}} 起（%{{customdata}}）<extra></extra>",
        "en": "{name}: %{{y:,}} (%{{customdata}})<extra></extra>",
    },
    "review.find.title": {"zh": "要点", "en": "Findings"},
    "review.find.rises": {
        "zh": "事件增加最多的派出所（较对比期）：{items}。",
        "en": "Largest rises in incidents (vs. comparison): {items}.",
    },
    "review.find.falls": {
        "zh": "事件减少最多的派出所：{items}。",
        "en": "Largest falls in incidents: {items}.",
    },
    "review.find.no_change": {
        "zh": "各派出所事件数与对比期无可比变化。",
        "en": "No station's incidents changed against a comparable period.",
    },
    "review.find.past_target": {
        "zh": "{measure}未达目标（{target}）的派出所 {n} 个：{items}。",
        "en": "{measure} misses its target ({target}) at {n} station(s): {items}.",
    },
    "review.find.all_on_target": {
        "zh": "各派出所均达到各项目标。",
        "en": "Every station meets every target.",
    },
    "review.find.new_hot": {
        "zh": "新出现热点 {n} 处（截至本期末的新兴热点分析），按派出所：{items}。",
        "en": "{n} new hot spot(s) (emerging hot-spot analysis to the period's end), by "
        "station: {items}.",
    },
    "review.find.no_new_hot": {
        "zh": "截至本期末没有新出现的热点。",
        "en": "No new hot spot at the period's end.",
    },
    "review.find.hot_unknown": {
        "zh": "新出现热点无法计算：{reason}",
        "en": "New hot spots could not be computed: {reason}",
    },
    "review.find.escalating": {
        "zh": "警情升级的家庭/地址 {n} 处（间隔缩短），最多的派出所：{items}。",
        "en": "{n} household(s) or address(es) escalating (gaps shrinking); most at: {items}.",
    },
    "review.find.no_escalating": {
        "zh": "截至本期末没有警情升级的家庭。",
        "en": "No escalating household at the period's end.",
    },
    "review.target": {"zh": "目标 {sign} {value}", "en": "Target {sign} {value}"},
    "review.axis_day": {"zh": "日期", "en": "Day"},
    "review.axis_week": {"zh": "周（周一）", "en": "Week (Monday)"},
    "review.axis_count": {"zh": "事件数", "en": "Incidents"},
    "review.axis_hour": {"zh": "小时", "en": "Hour"},
    "review.bar_hover": {
        "zh": "{name}：%{{y:,}} 起<extra></extra>",
        "en": "{name}: %{{y:,}}<extra></extra>",
    },
    "review.heat_hover": {
        "zh": "%{{y}} %{{x}} 时：%{{z:,}} 起<extra></extra>",
        "en": "%{{y}} %{{x}}:00: %{{z:,}}<extra></extra>",
    },
    "review.tickformat": {"zh": "%m月%d日", "en": "%b %d"},
    "review.weekday.0": {"zh": "周一", "en": "Mon"},
    "review.weekday.1": {"zh": "周二", "en": "Tue"},
    "review.weekday.2": {"zh": "周三", "en": "Wed"},
    "review.weekday.3": {"zh": "周四", "en": "Thu"},
    "review.weekday.4": {"zh": "周五", "en": "Fri"},
    "review.weekday.5": {"zh": "周六", "en": "Sat"},
    "review.weekday.6": {"zh": "周日", "en": "Sun"},
    "review.total_row": {"zh": "全区合计", "en": "All stations"},
    # -- exports ----------------------------------------------------------------------------
    "review.export_pdf": {"zh": "导出会议材料（PDF）", "en": "Meeting pack (PDF)"},
    "review.export_xlsx": {"zh": "导出 Excel", "en": "Excel workbook"},
    "review.export_hint": {
        "zh": "导出内容与本页一致，并记入审计日志。",
        "en": "Exports hold what this page shows and are written to the audit trail.",
    },
    "review.pdf.title": {"zh": "家庭暴力与家事纠纷研判会议材料", "en": "Review meeting pack"},
    "review.pdf.map_title": {"zh": "热点分布 · {period}", "en": "Hot spots · {period}"},
    "review.pdf.map_caption": {
        "zh": "本期 Gi* 热点网格 {n} 个（H3 分辨率 {res}，按置信度着色；"
        "浅色为因邻格而热的外围网格）。",
        "en": "{n} Gi* hot cells this period (H3 resolution {res}, coloured by confidence; "
        "pale: halo cells, hot only through their neighbours).",
    },
    "review.pdf.subtitle": {
        "zh": "安宁 · 家庭暴力与家事纠纷态势感知",
        "en": "Anning · domestic violence & family disputes",
    },
    "review.pdf.made": {
        "zh": "生成时间：{time}（{tz}） 生成人：{user}",
        "en": "Made {time} ({tz}) by {user}",
    },
    "review.pdf.kpis": {"zh": "主要指标", "en": "Key figures"},
    "review.pdf.measure": {"zh": "指标", "en": "Measure"},
    "review.pdf.this_period": {"zh": "本期", "en": "This period"},
    "review.pdf.comparison": {"zh": "对比期", "en": "Comparison"},
    "review.pdf.definitions": {"zh": "指标说明", "en": "Definitions"},
    "review.pdf.page": {"zh": "第 {n} 页", "en": "Page {n}"},
    "review.pdf.masked": {
        "zh": "本材料只含汇总数字，不含个人信息。内部资料，注意保密。",
        "en": "Aggregate figures only, no personal details. Internal: handle with care.",
    },
    "review.xlsx.cover": {"zh": "封面", "en": "Cover"},
    "review.xlsx.league": {"zh": "派出所排名", "en": "League table"},
    "review.xlsx.trend_category": {"zh": "类别趋势", "en": "Trend by category"},
    "review.xlsx.trend_source": {"zh": "渠道趋势", "en": "Trend by source"},
    "review.xlsx.heatmap": {"zh": "时段分布", "en": "Hour x weekday"},
    "review.xlsx.item": {"zh": "项目", "en": "Item"},
    "review.xlsx.value": {"zh": "内容", "en": "Value"},
    "review.xlsx.period_start": {"zh": "本期开始", "en": "Period start"},
    "review.xlsx.period_end": {"zh": "本期结束", "en": "Period end"},
    "review.xlsx.compare_start": {"zh": "对比期开始", "en": "Comparison start"},
    "review.xlsx.compare_end": {"zh": "对比期结束", "en": "Comparison end"},
    "review.xlsx.kind": {"zh": "周期类型", "en": "Period type"},
    "review.xlsx.compare": {"zh": "对比方式", "en": "Compared with"},
    "review.xlsx.scope": {"zh": "范围", "en": "Scope"},
    "review.xlsx.scope_all": {"zh": "全部派出所", "en": "All stations"},
    "review.xlsx.made": {"zh": "生成时间", "en": "Made"},
    "review.xlsx.user": {"zh": "生成人", "en": "Made by"},
    "review.xlsx.note": {"zh": "说明", "en": "Note"},
    "review.xlsx.target": {"zh": "目标", "en": "Target"},
    "review.xlsx.colours": {"zh": "颜色", "en": "Colours"},
    "review.xlsx.colours_text": {
        "zh": "有目标的指标：绿色为达标，红色为未达标（与会商页面相同）",
        "en": "Measures with a target: green meets it, red misses it (as on the review screen)",
    },
    "review.xlsx.period": {"zh": "日期", "en": "Date"},
    "review.xlsx.weekday": {"zh": "星期", "en": "Weekday"},
    "review.export_refused": {
        "zh": "您的角色无权导出研判材料。",
        "en": "Your role may not export the review.",
    },
    "audit_action.export_review_pdf": {"zh": "导出研判 PDF", "en": "Review PDF exported"},
    "audit_action.export_review_xlsx": {"zh": "导出研判 Excel", "en": "Review Excel exported"},
}
