"""Every word the dashboard shows, in Chinese (the default) and English.

Two kinds of text live here:

* interface strings, looked up by key with :func:`t` (``t("kpi.open", "en")``); a string may
  carry ``str.format`` placeholders (``t("cases.total", lang, n=12)``);
* labels of the canonical vocabulary codes of :mod:`data.vocab` (categories, sources, risk
  levels, statuses, departments, follow-up outcomes, location states) and of the codes the
  analytic layers write (hot-spot classes, emerging hot-spot categories, early-warning
  reasons and kinds, service levels and their states, patrol-plan methods, person roles),
  looked up with :func:`label` (``label("category", "domestic_violence", "zh")``).

Layer names are ``layer.<id>``, their one-line explanations ``layer_hint.<id>``, parameter
names ``param.<name>`` and the columns of layer results ``column.<name>`` (a layer may
override one as ``column.<layer>.<name>``; see :func:`column_label`).

``tests/dashboard/test_i18n.py`` checks that every key has both languages and every code a label.
"""

from __future__ import annotations

from collections.abc import Iterable

from dashboard.parts.text import cases, command, loop, nav, review, station
from dashboard.parts.text import map as map_text

#: Interface languages, the default first.
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

#: Shown where a value is missing.
MISSING = "—"

STRINGS: dict[str, dict[str, str]] = {
    # -- header -----------------------------------------------------------------------------
    "app.name": {"zh": "安宁", "en": "Anning"},
    "app.subtitle": {
        "zh": "家庭暴力与家事纠纷态势感知",
        "en": "Domestic violence & family disputes: situational awareness",
    },
    "lang.zh": {"zh": "中文", "en": "中文"},
    "lang.en": {"zh": "English", "en": "English"},
    "lang.switch": {"zh": "界面语言", "en": "Interface language"},
    "error.callback": {
        "zh": "数据加载失败，请稍后重试；如果问题持续，请联系系统管理员。",
        "en": "Could not load the data. Please try again; if it persists, call the administrator.",
    },
    "page.not_found": {"zh": "页面不存在。", "en": "This page does not exist."},
    "page.to_overview": {"zh": "返回总览", "en": "Back to the overview"},
    # -- filters ------------------------------------------------------------------------------
    "filters.title": {"zh": "筛选", "en": "Filters"},
    "filter.dates": {"zh": "日期范围", "en": "Date range"},
    "filter.category": {"zh": "类别", "en": "Category"},
    "filter.source": {"zh": "案源渠道", "en": "Source"},
    "filter.risk": {"zh": "风险等级", "en": "Risk level"},
    "filter.station": {"zh": "派出所", "en": "Station"},
    "filter.all": {"zh": "全部", "en": "All"},
    "filter.resolution": {"zh": "网格大小", "en": "Hexagon size"},
    "filter.reset": {"zh": "重置筛选", "en": "Reset filters"},
    "filter.date_start": {"zh": "开始日期", "en": "Start date"},
    "filter.date_end": {"zh": "结束日期", "en": "End date"},
    "res.7": {"zh": "大（约 5 km²）", "en": "Large (~5 km²)"},
    "res.8": {"zh": "中（约 0.7 km²）", "en": "Medium (~0.7 km²)"},
    "res.9": {"zh": "小（约 0.1 km²）", "en": "Small (~0.1 km²)"},
    "every.1d": {"zh": "按日", "en": "Daily"},
    "every.1w": {"zh": "按周", "en": "Weekly"},
    # dcc.Dropdown's own texts
    "dropdown.select_all": {"zh": "全选", "en": "Select all"},
    "dropdown.deselect_all": {"zh": "取消全选", "en": "Deselect all"},
    "dropdown.selected_count": {"zh": "已选 {num_selected} 项", "en": "{num_selected} selected"},
    "dropdown.search": {"zh": "搜索", "en": "Search"},
    "dropdown.clear_search": {"zh": "清除搜索", "en": "Clear search"},
    "dropdown.clear_selection": {"zh": "清除选择", "en": "Clear selection"},
    "dropdown.no_options_found": {"zh": "没有匹配的选项", "en": "No options found"},
    # -- KPIs ---------------------------------------------------------------------------------
    "kpi.incidents": {"zh": "事件总数", "en": "Incidents"},
    "kpi.high_risk": {"zh": "高风险", "en": "High risk"},
    "kpi.open": {"zh": "未办结", "en": "Open cases"},
    "kpi.warning_letters": {"zh": "告诫书", "en": "Warning letters"},
    "kpi.protection_orders": {"zh": "人身安全保护令", "en": "Protection orders"},
    # -- map ------------------------------------------------------------------------------------
    "map.title": {"zh": "态势地图", "en": "Situation map"},
    "map.search": {
        "zh": "搜索社区、道路、地标或地址",
        "en": "Find a community, road, landmark or address",
    },
    "map.search_none": {"zh": "没有找到。", "en": "Nothing found."},
    "map.draw_hint": {
        "zh": "用地图左侧的工具画一个圆或多边形，即可得到该区域的案件报告。",
        "en": "Draw a circle or a polygon with the tools on the map's left for that area's report.",
    },
    "map.drawn": {
        "zh": "所画区域内本期 {n} 起。",
        "en": "{n} cases in the drawn area this period.",
    },
    "map.drawn_open": {"zh": "打开区域报告", "en": "Open the area's report"},
    "map.drawn_compare": {
        "zh": "在研判会商中对比最后画的两个区域",
        "en": "Compare the last two areas in the review",
    },
    "map.colorbar": {"zh": "事件数", "en": "Incidents"},
    "map.hint": {
        "zh": "点击六边形、圆点或派出所辖区，查看其案件列表。",
        "en": "Click a hexagon, a dot or a station's area to list its cases.",
    },
    "map.hover_cell": {
        "zh": "{station}<br>事件数：{count}",
        "en": "{station}<br>Incidents: {count}",
    },
    "map.hover_station": {
        "zh": "{station}<br>点击查看辖区案件",
        "en": "{station}<br>Click to list its cases",
    },
    "map.outside": {"zh": "辖区外", "en": "Outside the stations"},
    "map.fit_district": {"zh": "显示全区", "en": "Fit district"},
    "map.fit_station": {"zh": "显示本所辖区", "en": "Fit my station"},
    # -- analytic layers ---------------------------------------------------------------------
    "layers.label": {"zh": "图层", "en": "Layer"},
    "layer.counts": {"zh": "事件数", "en": "Incident counts"},
    "layer.hotspot": {"zh": "热点与冷点（Gi*）", "en": "Hot and cold spots (Gi*)"},
    "layer.emerging_hotspot": {"zh": "新兴热点（时空趋势）", "en": "Emerging hot spots"},
    "layer.near_repeat": {"zh": "近重复风险区", "en": "Near-repeat zones"},
    "layer.patrol_plan": {"zh": "巡逻方案", "en": "Patrol plan"},
    "layer.repeat_addresses": {"zh": "重复警情地址", "en": "Repeat addresses"},
    "layer.repeat_people": {"zh": "重复受害人与加害人", "en": "Repeat victims and offenders"},
    "layer.early_warning": {"zh": "预警清单", "en": "Early warning"},
    "layer.service_levels": {"zh": "服务时限", "en": "Service levels"},
    "layer.patrol_accuracy": {"zh": "巡逻方案预测准确度", "en": "Patrol plan accuracy"},
    "layer_hint.counts": {
        "zh": "每个六边形网格内的事件数。",
        "en": "Incidents in each hexagon.",
    },
    "layer_hint.hotspot": {
        "zh": "Getis-Ord Gi* 统计（经 FDR 校正）：橙色为显著热点，蓝色为显著冷点。",
        "en": "Getis-Ord Gi* with FDR correction: orange cells are significant hot spots, "
        "blue cells cold spots.",
    },
    "layer_hint.emerging_hotspot": {
        "zh": "按 Esri 的时空模式分类（Gi* 与趋势检验；数据稀疏时用精确计数检验）。"
        "没有事件的网格不会标为热点。",
        "en": "Esri's space-time patterns (Gi* and a trend test; exact count tests on sparse "
        "data). A cell without an incident is never a hot spot.",
    },
    "layer_hint.near_repeat": {
        "zh": "近期事件周边仍处于显著近重复时间窗内的网格（Knox 检验）。",
        "en": "Cells still inside a significant near-repeat window after recent incidents "
        "(Knox test).",
    },
    "layer_hint.patrol_plan": {
        "zh": "在面积预算内优先覆盖的网格，颜色越深排名越靠前。",
        "en": "Cells to cover within the area budget; darker cells rank higher.",
    },
    "layer_hint.repeat_addresses": {
        "zh": "所选期间多次报警的地址；圆点越大事件越多。位置已概略到网格。",
        "en": "Addresses with repeated incidents in the period; larger dots, more incidents. "
        "Positions are generalised to a cell.",
    },
    "layer_hint.repeat_people": {
        "zh": "按匿名人员代码归并的受害人与加害人历史（跨地址）。",
        "en": "Histories of victims and offenders by pseudonymous key, across addresses.",
    },
    "layer_hint.early_warning": {
        "zh": "需要立即关注的家庭、地址、片区和案件，按优先级排序，并列出原因。",
        "en": "Households, addresses, areas and cases that need attention now, ranked, "
        "each with its reasons.",
    },
    "layer_hint.service_levels": {
        "zh": "已超时或即将到期的服务时限（24 小时处置、15 天办结、2 个月内回访 4 次）。",
        "en": "Service levels breached or due soon (handled in 24 h, closed in 15 days, "
        "4 follow-up visits in 2 months).",
    },
    "accuracy.summary": {
        "zh": "前瞻检验（过去 {weeks} 周，每周只用此前数据预测）：命中率 {rate:.0f}%，"
        "PAI {pai:.1f}。逐周明细见“图层数据”中的“巡逻方案预测准确度”。",
        "en": "Tested prospectively on the past {weeks} weeks (each predicted from earlier "
        "data only): hit rate {rate:.0f}%, PAI {pai:.1f}. Week by week: Layer data → "
        "Patrol plan accuracy.",
    },
    "layer.refused": {
        "zh": "此范围内无法计算该图层：{reason}",
        "en": "This layer cannot be computed for this range: {reason}",
    },
    "accuracy.basis": {
        "zh": "依据：{tested} 起检验事件、{trained} 起训练事件，检验区域约 {area:.1f} 平方公里"
        "（有事件的辖区）。",
        "en": "Resting on {tested} test and {trained} training incidents over about "
        "{area:.1f} km² (the jurisdictions with incidents).",
    },
    "accuracy.none": {
        "zh": "过去几周没有可检验的事件，暂无预测准确度。",
        "en": "No incidents in the past weeks to test the plan on yet.",
    },
    "layer_hint.patrol_accuracy": {
        "zh": "巡逻方案对过去每一周的前瞻性预测效果：命中率（落入方案网格的事件占比）与"
        "PAI（命中率 ÷ 面积占比）。",
        "en": "How well the patrol plan predicted each past week, prospectively: hit rate "
        "(share of incidents in the planned cells) and PAI (hit rate ÷ area share).",
    },
    "param.k": {"zh": "邻域环数 k", "en": "Neighbour rings k"},
    "param.fdr": {"zh": "FDR 多重检验校正", "en": "FDR correction"},
    "param.weeks": {"zh": "分析周数", "en": "Weeks analysed"},
    "param.permutations": {"zh": "置换次数", "en": "Permutations"},
    "param.history_days": {"zh": "检验历史（天）", "en": "History tested (days)"},
    "param.method": {"zh": "评分方法", "en": "Scoring method"},
    "param.budget_share": {"zh": "面积预算（占比）", "en": "Area budget (share)"},
    "param.train_weeks": {"zh": "训练周数", "en": "Training weeks"},
    "param.min_incidents": {"zh": "最少事件数", "en": "Minimum incidents"},
    "param.snap_distance_m": {"zh": "地址合并距离（米）", "en": "Snap distance (m)"},
    "param.new_incident_days": {"zh": "新发事件天数", "en": "New-incident days"},
    "param.high_risk_days": {"zh": "高风险天数", "en": "High-risk days"},
    "param.state": {"zh": "状态", "en": "State"},
    # legends
    "legend.counts": {"zh": "事件数", "en": "Incidents"},
    "legend.hotspot": {"zh": "Gi* 热点等级", "en": "Gi* class"},
    "legend.emerging_hotspot": {"zh": "时空模式", "en": "Space-time pattern"},
    "legend.near_repeat": {"zh": "触发事件数", "en": "Source incidents"},
    "legend.patrol_plan": {"zh": "巡逻优先级（排名）", "en": "Patrol priority (rank)"},
    "legend.repeat_addresses": {"zh": "地址事件数", "en": "Incidents at the address"},
    "legend.rank_first": {"zh": "第 {rank} 名", "en": "No. {rank}"},
    "legend.size_note": {"zh": "圆点大小表示事件数", "en": "Dot size shows the count"},
    "legend.empty": {"zh": "无结果", "en": "No results"},
    # layer table
    "tabs.cases": {"zh": "案件列表", "en": "Cases"},
    "tabs.layer": {"zh": "图层数据", "en": "Layer table"},
    "layer_table.source": {"zh": "显示", "en": "Show"},
    "layer_table.map_layer": {"zh": "当前地图图层：{layer}", "en": "Map layer: {layer}"},
    "layer_table.total": {"zh": "共 {n} 行", "en": "{n} rows"},
    "layer_table.empty": {
        "zh": "该图层在所选条件下没有结果。",
        "en": "No results for these filters.",
    },
    "layer_table.hint": {
        "zh": "点击一行在地图上选中其位置并列出案件；点击案件编号打开案件。",
        "en": "Click a row to select its place and list its cases; click an incident "
        "number to open it.",
    },
    "layer_table.export": {"zh": "导出 CSV", "en": "Export CSV"},
    "layer_table.more": {"zh": "另 {n} 起", "en": "+{n} more"},
    # -- trend ----------------------------------------------------------------------------------
    "trend.title": {"zh": "事件趋势", "en": "Incident trend"},
    "trend.axis_count": {"zh": "事件数", "en": "Incidents"},
    "trend.axis_day": {"zh": "日期", "en": "Date"},
    "trend.axis_week": {"zh": "周（自周一起）", "en": "Week (from Monday)"},
    "trend.hover": {"zh": "{category}：%{{y}} 起", "en": "{category}: %{{y}}"},
    "trend.tickformat": {"zh": "%-m月%-d日", "en": "%b %-d"},
    "trend.tickformat_month": {"zh": "%Y年%-m月", "en": "%b %Y"},
    "trend.tickformat_year": {"zh": "%Y年", "en": "%Y"},
    "trend.hoverformat": {"zh": "%Y年%-m月%-d日", "en": "%Y-%m-%d"},
    # -- empty figures --------------------------------------------------------------------------
    "empty.no_match": {
        "zh": "所选条件下没有事件",
        "en": "No incidents match the filters",
    },
    "empty.no_match_hint": {
        "zh": "请放宽日期范围或减少筛选条件。",
        "en": "Widen the date range or remove some filters.",
    },
    "empty.no_data": {"zh": "数据库中还没有事件", "en": "The database holds no incidents yet"},
    "empty.no_data_hint": {
        "zh": "请导入警情数据，或运行 python app.py demo 生成演示数据。",
        "en": "Import incidents, or run python app.py demo to create the demo district.",
    },
    "empty.no_located": {
        "zh": "所选事件都没有可用的位置",
        "en": "None of the selected incidents could be placed on the map",
    },
    "empty.no_located_hint": {
        "zh": "这些事件仍计入趋势、统计和案件列表。",
        "en": "They still count in the trend, the numbers and the case list.",
    },
    "empty.no_layer_rows": {
        "zh": "该图层在所选条件下没有结果",
        "en": "This layer has no results for the filters",
    },
    "empty.no_layer_rows_hint": {
        "zh": "请放宽日期范围，或调整图层参数。",
        "en": "Widen the date range, or change the layer's parameters.",
    },
    # -- drill-down ----------------------------------------------------------------------------
    "selection.label": {"zh": "已选：", "en": "Selected: "},
    "selection.clear": {"zh": "清除选择", "en": "Clear the selection"},
    "selection.cell": {"zh": "网格 {cell}", "en": "Cell {cell}"},
    "selection.cell_in": {"zh": "网格 {cell}（{station}）", "en": "Cell {cell} ({station})"},
    "cases.title": {"zh": "案件列表", "en": "Cases"},
    "cases.title_all": {
        "zh": "案件列表（全部筛选结果）",
        "en": "Cases (all that match the filters)",
    },
    "cases.total": {"zh": "共 {n} 起", "en": "{n} cases"},
    "cases.hint": {"zh": "点击一行打开案件详情。", "en": "Click a row to open the case."},
    "cases.empty": {"zh": "没有符合条件的案件。", "en": "No cases match."},
    # -- columns and fields ---------------------------------------------------------------------
    "field.id": {"zh": "记录号", "en": "Record id"},
    "field.incident_no": {"zh": "警情编号", "en": "Incident no."},
    "field.reported_at": {"zh": "接警时间", "en": "Reported"},
    "field.category": {"zh": "类别", "en": "Category"},
    "field.source_channel": {"zh": "案源渠道", "en": "Source"},
    "field.risk_level": {"zh": "风险等级", "en": "Risk"},
    "field.status": {"zh": "处置状态", "en": "Status"},
    "field.station_code": {"zh": "管辖单位", "en": "Station"},
    "field.community": {"zh": "社区", "en": "Community"},
    "field.address_raw": {"zh": "发案地址", "en": "Address"},
    "field.lat": {"zh": "纬度", "en": "Latitude"},
    "field.lng": {"zh": "经度", "en": "Longitude"},
    "field.source_lat": {"zh": "原始纬度（未定位）", "en": "Source latitude (not located)"},
    "field.source_lng": {"zh": "原始经度（未定位）", "en": "Source longitude (not located)"},
    "field.handled_at": {"zh": "处置时间", "en": "Handled"},
    "field.closed_at": {"zh": "办结时间", "en": "Closed"},
    "field.warning_letter": {"zh": "告诫书", "en": "Warning letter"},
    "field.protection_order": {"zh": "保护令", "en": "Protection order"},
    "field.minor_involved": {"zh": "涉未成年人", "en": "Minor involved"},
    "field.summary": {"zh": "简要案情", "en": "Summary"},
    "field.at": {"zh": "时间", "en": "Time"},
    "field.department": {"zh": "部门", "en": "Department"},
    "field.note": {"zh": "备注", "en": "Note"},
    "field.visited_at": {"zh": "回访时间", "en": "Visited"},
    "field.outcome": {"zh": "回访结果", "en": "Outcome"},
    # -- columns of layer results (headers of the layer table, hover text) -----------------
    "column.cell": {"zh": "网格编号", "en": "Cell id"},
    "column.place": {"zh": "位置", "en": "Place"},
    "column.station": {"zh": "派出所", "en": "Station"},
    "column.count": {"zh": "事件数", "en": "Incidents"},
    "column.z": {"zh": "Z 值", "en": "z-score"},
    "column.p": {"zh": "P 值", "en": "p-value"},
    "column.p_fdr": {"zh": "校正后 P 值（FDR）", "en": "p-value (FDR)"},
    "column.gi_class": {"zh": "热点等级", "en": "Class"},
    "column.halo": {"zh": "热点外围", "en": "Halo"},
    "column.label": {"zh": "热点等级", "en": "Class"},
    "column.emerging_hotspot.category": {"zh": "时空模式", "en": "Pattern"},
    "column.mk_z": {"zh": "趋势 Z 值", "en": "Trend z"},
    "column.mk_p": {"zh": "趋势 P 值", "en": "Trend p"},
    "column.n_hot_steps": {"zh": "热点周数", "en": "Hot weeks"},
    "column.n_cold_steps": {"zh": "冷点周数", "en": "Cold weeks"},
    "column.final_step_class": {"zh": "最近一周等级", "en": "Last week's class"},
    "column.until": {"zh": "风险持续至", "en": "At risk until"},
    "column.source_incidents": {"zh": "触发事件数", "en": "Source incidents"},
    "column.radius_m": {"zh": "半径（米）", "en": "Radius (m)"},
    "column.window_days": {"zh": "时间窗（天）", "en": "Window (days)"},
    "column.rank": {"zh": "排名", "en": "Rank"},
    "column.score": {"zh": "得分", "en": "Score"},
    "column.address_id": {"zh": "地址编号", "en": "Address id"},
    "column.address_key": {"zh": "标准化地址", "en": "Normalised address"},
    "column.first_at": {"zh": "首次", "en": "First"},
    "column.week_start": {"zh": "周起", "en": "Week from"},
    "column.week_end": {"zh": "周止", "en": "Week to"},
    "column.train_incidents": {"zh": "训练事件数", "en": "Training incidents"},
    "column.test_incidents": {"zh": "当周事件数", "en": "Incidents that week"},
    "column.hits": {"zh": "命中数", "en": "Hits"},
    "column.hit_rate": {"zh": "命中率", "en": "Hit rate"},
    "column.pai": {"zh": "预测精度指数 PAI", "en": "PAI"},
    "column.area_share": {"zh": "面积占比", "en": "Area share"},
    "column.list": {"zh": "清单", "en": "List"},
    "column.list_rank": {"zh": "清单内排名", "en": "Rank in its list"},
    "column.area_km2": {"zh": "检验区域（平方公里）", "en": "Area tested (km²)"},
    "column.hit_rate_pooled": {"zh": "合计命中率", "en": "Pooled hit rate"},
    "column.pai_pooled": {"zh": "合计预测精度指数", "en": "Pooled PAI"},
    "column.last_at": {"zh": "最近一次", "en": "Latest"},
    "column.gaps_days": {"zh": "间隔（天）", "en": "Gaps (days)"},
    "column.median_gap_days": {"zh": "间隔中位数（天）", "en": "Median gap (days)"},
    "column.escalating": {"zh": "间隔缩短（升级）", "en": "Escalating"},
    "column.marac_flag": {"zh": "12 个月内 ≥3 次", "en": "3+ in 12 months"},
    "column.categories": {"zh": "类别构成", "en": "Categories"},
    "column.incident_ids": {"zh": "相关案件", "en": "Incidents"},
    "column.person_key": {"zh": "人员代码（匿名）", "en": "Person key (pseudonym)"},
    "column.role": {"zh": "身份", "en": "Role"},
    "column.address_count": {"zh": "地址数", "en": "Addresses"},
    "column.latest_station": {"zh": "最近辖区", "en": "Latest station"},
    "column.entry_id": {"zh": "条目", "en": "Entry"},
    "column.kind": {"zh": "类型", "en": "Kind"},
    "column.reasons": {"zh": "预警原因", "en": "Reasons"},
    "column.detail": {"zh": "依据", "en": "Detail"},
    "column.incident_id": {"zh": "记录号", "en": "Record id"},
    "column.sla": {"zh": "服务时限", "en": "Service level"},
    "column.state": {"zh": "状态", "en": "State"},
    "column.due_at": {"zh": "截止时间", "en": "Due"},
    "column.overdue_hours": {"zh": "超时（小时）", "en": "Overdue (hours)"},
    "column.visits_in_window": {"zh": "期内回访次数", "en": "Visits in window"},
    "bool.true": {"zh": "是", "en": "Yes"},
    "bool.false": {"zh": "否", "en": "No"},
    "station.none": {"zh": "未归属辖区", "en": "No station"},
    # -- case page ------------------------------------------------------------------------------
    "case.title": {"zh": "案件详情", "en": "Case detail"},
    "case.back": {"zh": "← 返回总览", "en": "← Back to the overview"},
    "case.fields": {"zh": "基本信息", "en": "Case"},
    "case.timeline": {"zh": "处置过程", "en": "Status timeline"},
    "case.visits": {"zh": "回访记录", "en": "Follow-up visits"},
    "case.no_events": {"zh": "暂无处置记录。", "en": "No status changes recorded."},
    "case.no_visits": {"zh": "暂无回访记录。", "en": "No follow-up visits recorded."},
    "case.visit_count": {"zh": "共 {n} 次回访", "en": "{n} visits"},
    "case.masked": {
        "zh": "个人信息已按权限隐藏（***）。",
        "en": "Personal details are hidden for your role (***).",
    },
    "case.not_found": {
        "zh": "未找到该案件，或您无权查看。",
        "en": "This case does not exist, or you are not permitted to see it.",
    },
    "case.bad_id": {
        "zh": "“{value}”不是有效的案件编号。",
        "en": "“{value}” is not a valid case id.",
    },
    # -- login, roles, demo mode (dashboard.web.auth, dashboard.web.login_page)
    # -------------------------
    "auth.title": {"zh": "登录", "en": "Log in"},
    "auth.username": {"zh": "用户名", "en": "User name"},
    "auth.password": {"zh": "密码", "en": "Password"},
    "auth.submit": {"zh": "登录", "en": "Log in"},
    "auth.role": {"zh": "角色", "en": "Role"},
    "auth.policy": {
        "zh": "仅限授权人员使用。所有登录与案件查看均记入审计日志。",
        "en": "Authorised staff only. Every login and every case viewed is recorded.",
    },
    "auth.throttled": {
        "zh": "此地址登录失败次数过多，请在 {seconds} 秒后再试。",
        "en": "Too many failed logins from this address: try again in {seconds} seconds.",
    },
    "auth.failed": {
        "zh": "用户名或密码错误，或账号已被临时锁定（连续失败 {n} 次后锁定 {minutes} 分钟）。",
        "en": "Wrong user name or password, or the account is locked for a while "
        "({minutes} minutes after {n} failures in a row).",
    },
    "auth.expired": {
        "zh": "登录表单已过期，请重新输入。",
        "en": "The login form has expired. Please enter your details again.",
    },
    "auth.refused": {
        "zh": "请求来源无效，已拒绝。",
        "en": "The request did not come from this site and was refused.",
    },
    "auth.ended": {
        "zh": "您已退出登录。",
        "en": "You have logged out.",
    },
    "auth.required": {"zh": "请先登录。", "en": "Please log in."},
    "auth.logout": {"zh": "退出", "en": "Log out"},
    "role.administrator": {"zh": "系统管理员", "en": "Administrator"},
    "role.command_center": {"zh": "指挥中心", "en": "Command center"},
    "role.leadership": {"zh": "区领导", "en": "District leadership"},
    "role.station_chief": {"zh": "派出所所长", "en": "Station chief"},
    "role.station_officer": {"zh": "派出所民警", "en": "Station officer"},
    "role.analyst": {"zh": "研判分析员", "en": "Analyst"},
    "demo.banner": {
        "zh": "演示系统：所有数据均为虚构，仅供演示，请勿录入真实案件。",
        "en": "DEMO: every record here is invented. Do not enter real cases.",
    },
    "demo.users": {"zh": "演示账号", "en": "Demo accounts"},
    "demo.password": {"zh": "所有演示账号的密码：", "en": "Password of every demo account:"},
    "page.forbidden": {
        "zh": "您的角色无权查看此页面。",
        "en": "Your role is not permitted to see this page.",
    },
    # -- revealing personal details (case page) --------------------------------------------------
    "reveal.title": {"zh": "查看个人信息", "en": "Reveal personal details"},
    "reveal.hint": {
        "zh": "如确因工作需要，请填写事由后查看本案完整地址和案情。事由与查看记录将记入审计日志。",
        "en": "If your work needs this case's full address and summary, give the reason. "
        "The reason and the view are recorded in the audit trail.",
    },
    "reveal.reason": {"zh": "查看事由", "en": "Reason"},
    "reveal.button": {"zh": "查看", "en": "Reveal"},
    "reveal.done": {
        "zh": "已显示个人信息；本次查看及事由已记入审计日志。",
        "en": "Personal details shown; this view and its reason are recorded.",
    },
    "reveal.bad_reason": {
        "zh": "请填写 {low}–{high} 个字的查看事由（不含不可见字符）。",
        "en": "Please give a reason of {low} to {high} characters (no invisible characters).",
    },
    "reveal.limit": {
        "zh": "您在一小时内已查看 {n} 个案件的个人信息，已达上限；本次请求已记入审计日志。",
        "en": "You have revealed {n} cases' personal details in the last hour, the limit; "
        "this request is recorded.",
    },
    "reveal.refused": {
        "zh": "您的角色无权查看个人信息。",
        "en": "Your role is not permitted to reveal personal details.",
    },
    # -- administrator's page --------------------------------------------------------------
    "admin.title": {"zh": "系统管理", "en": "Administration"},
    "admin.users": {"zh": "用户", "en": "Users"},
    "admin.users_hint": {
        "zh": "用户通过命令行管理：python app.py users add|remove|reset|list",
        "en": "Users are managed on the command line: python app.py users add|remove|reset|list",
    },
    "admin.audit": {"zh": "审计日志", "en": "Audit trail"},
    "admin.audit_hint": {
        "zh": "只增不改：任何人都无法修改或删除记录。",
        "en": "Append-only: no one can change or delete an entry.",
    },
    "admin.filter_user": {"zh": "用户名包含", "en": "User name contains"},
    "admin.filter_action": {"zh": "操作", "en": "Action"},
    "admin.export": {"zh": "导出 CSV", "en": "Export CSV"},
    "admin.total": {"zh": "共 {n} 条", "en": "{n} entries"},
    "admin.bad_filter": {"zh": "筛选条件无效：{error}", "en": "Invalid filter: {error}"},
    "admin.col.username": {"zh": "用户名", "en": "User name"},
    "admin.col.display_name": {"zh": "姓名", "en": "Name"},
    "admin.col.role": {"zh": "角色", "en": "Role"},
    "admin.col.station": {"zh": "派出所", "en": "Station"},
    "admin.col.status": {"zh": "状态", "en": "Status"},
    "admin.col.last_login": {"zh": "最近登录", "en": "Last login"},
    "admin.status_active": {"zh": "正常", "en": "Active"},
    "admin.status_locked": {"zh": "锁定至 {until}", "en": "Locked until {until}"},
    "admin.demo_user": {"zh": "演示", "en": "demo"},
    "admin.watch": {"zh": "安全监测", "en": "Security watch"},
    "admin.watch_hint": {
        "zh": "审计日志哈希链状态、近一小时的异常拒绝与批量查看个人信息。",
        "en": "The audit trail's hash chain; unusual refusals and bulk reveals in the last hour.",
    },
    "admin.chain_ok": {
        "zh": "审计日志哈希链完整：已校验 {n} 条记录。",
        "en": "Audit trail hash chain intact: {n} events verified.",
    },
    "admin.chain_broken": {
        "zh": "审计日志哈希链断裂：发现 {n} 处问题，请用 python app.py audit verify 查看详情。",
        "en": "Audit trail hash chain BROKEN: {n} problem(s); run python app.py audit verify "
        "for the details.",
    },
    "admin.refusal_flag": {
        "zh": "{user}：近一小时被拒绝 {n} 次（阈值 {limit}）",
        "en": "{user}: refused {n} times in the last hour (alert above {limit})",
    },
    "admin.reveal_flag": {
        "zh": "{user}：近一小时查看个人信息 {n} 次（批量查看阈值 {limit}）",
        "en": "{user}: revealed personal details {n} times in the last hour (bulk above {limit})",
    },
    "admin.no_alerts": {"zh": "近一小时无异常。", "en": "Nothing unusual in the last hour."},
    "admin.refusals": {"zh": "最近的拒绝访问", "en": "Latest refusals"},
    "admin.no_refusals": {"zh": "暂无拒绝访问记录。", "en": "No refusals recorded."},
    "audit.at": {"zh": "时间", "en": "Time"},
    "audit.user": {"zh": "用户", "en": "User"},
    "audit.action": {"zh": "操作", "en": "Action"},
    "audit_action.login": {"zh": "登录", "en": "Login"},
    "audit_action.login_failed": {"zh": "登录失败", "en": "Failed login"},
    "audit_action.logout": {"zh": "退出登录", "en": "Logout"},
    "audit_action.account_locked": {"zh": "账号锁定", "en": "Account locked"},
    "audit_action.login_throttled": {"zh": "登录限速", "en": "Login throttled"},
    "audit_action.session_end": {"zh": "会话结束", "en": "Session ended"},
    "audit_action.denied": {"zh": "拒绝访问", "en": "Access denied"},
    "audit_action.view_case": {"zh": "查看案件", "en": "Case viewed"},
    "audit_action.reveal": {"zh": "显示个人信息", "en": "Details revealed"},
    "audit_action.export": {"zh": "导出", "en": "Export"},
    "audit_action.api_layer": {"zh": "图层接口查询", "en": "Layer API query"},
    "audit_action.api_measures": {"zh": "指标接口查询", "en": "Measures API query"},
    "audit_action.import": {"zh": "导入", "en": "Import"},
    "audit_action.import_started": {"zh": "开始导入", "en": "Import started"},
    "audit_action.push": {"zh": "推送", "en": "Push"},
    "audit_action.push_refused": {"zh": "推送被拒", "en": "Push refused"},
    "audit_action.token_add": {"zh": "新增令牌", "en": "Token added"},
    "audit_action.token_revoke": {"zh": "吊销令牌", "en": "Token revoked"},
    "audit_action.user_add": {"zh": "新增用户", "en": "User added"},
    "audit_action.user_remove": {"zh": "删除用户", "en": "User removed"},
    "audit_action.user_reset": {"zh": "重置密码", "en": "Password reset"},
    "audit_action.demo_users_removed": {"zh": "删除演示用户", "en": "Demo users removed"},
    "audit.target": {"zh": "对象", "en": "Target"},
    "audit.detail": {"zh": "详情", "en": "Detail"},
    "audit.remote_addr": {"zh": "来源地址", "en": "From"},
}


def _merge(base: dict[str, dict[str, str]], *screens: dict[str, dict[str, str]]) -> None:
    """Add each screen's strings to ``base``; a key defined twice is a programming error."""
    for strings in screens:
        twice = sorted(set(base) & set(strings))
        if twice:
            raise ValueError(f"interface strings defined twice: {', '.join(twice)}")
        base.update(strings)


_merge(
    STRINGS,
    command.STRINGS,
    review.STRINGS,
    station.STRINGS,
    map_text.STRINGS,
    nav.STRINGS,
    cases.STRINGS,
)
_merge(STRINGS, loop.STRINGS)

#: Labels of the vocabulary codes, per kind. Kinds mirror the tuples of :mod:`data.vocab`.
VOCABULARY: dict[str, dict[str, dict[str, str]]] = {
    "category": {
        "domestic_violence": {"zh": "家庭暴力", "en": "Domestic violence"},
        "relationship_dispute": {"zh": "婚恋情感纠纷", "en": "Relationship dispute"},
        "family_dispute": {"zh": "家庭纠纷", "en": "Family dispute"},
        "child_abuse": {"zh": "虐待儿童", "en": "Child abuse"},
        "elder_abuse": {"zh": "虐待老人", "en": "Elder abuse"},
        "other": {"zh": "其他", "en": "Other"},
    },
    "source": {
        "call_110": {"zh": "110报警", "en": "110 call"},
        "grid_patrol": {"zh": "网格员巡查", "en": "Grid-worker patrol"},
        "court": {"zh": "法院受理", "en": "Court case"},
        "womens_federation": {"zh": "妇联投诉", "en": "Women's federation complaint"},
        "mediation_referral": {"zh": "人民调解转介", "en": "Mediation referral"},
        "mandatory_report": {"zh": "强制报告", "en": "Mandatory report"},
        "other": {"zh": "其他", "en": "Other"},
    },
    "risk": {
        "high": {"zh": "高", "en": "High"},
        "medium": {"zh": "中", "en": "Medium"},
        "low": {"zh": "低", "en": "Low"},
    },
    "status": {
        "reported": {"zh": "已上报", "en": "Reported"},
        "dispatched": {"zh": "已分拨", "en": "Dispatched"},
        "handling": {"zh": "处置中", "en": "Handling"},
        "following_up": {"zh": "回访中", "en": "Following up"},
        "closed": {"zh": "已办结", "en": "Closed"},
        # What a department did (data.tasks.record_action writes them as status events).
        **loop.VOCABULARY["task_action"],
    },
    "department": {
        "police": {"zh": "公安机关", "en": "Police"},
        "womens_federation": {"zh": "妇联", "en": "Women's federation"},
        "justice": {"zh": "司法局", "en": "Justice bureau"},
        "court": {"zh": "法院", "en": "Court"},
        "community": {"zh": "社区", "en": "Community"},
    },
    "outcome": {
        "stable": {"zh": "情况稳定", "en": "Stable"},
        "improved": {"zh": "有所好转", "en": "Improved"},
        "reconciled": {"zh": "已和解", "en": "Reconciled"},
        "ongoing_conflict": {"zh": "仍有矛盾", "en": "Conflict continues"},
        "escalated": {"zh": "矛盾升级", "en": "Escalated"},
        "no_contact": {"zh": "未联系上", "en": "Could not be reached"},
        "referred": {"zh": "已转介", "en": "Referred"},
    },
    "location_state": {
        "located": {"zh": "已定位", "en": "Located"},
        "unlocated": {"zh": "无法定位", "en": "Could not be placed"},
        "outside": {"zh": "辖区外", "en": "Outside the stations"},
    },
    # -- codes the analytic layers write --------------------------------------------------------
    "place_kind": {
        "street": {"zh": "街道", "en": "Subdistrict"},
        "community": {"zh": "社区", "en": "Community"},
        "urban_village": {"zh": "城中村", "en": "Urban village"},
        "compound": {"zh": "小区", "en": "Compound"},
        "landmark": {"zh": "地标", "en": "Landmark"},
        "road": {"zh": "道路", "en": "Road"},
        "address": {"zh": "地址", "en": "Address"},
    },
    "gi_class": {
        "hot_99": {"zh": "热点（99% 置信）", "en": "Hot spot, 99% confidence"},
        "hot_95": {"zh": "热点（95% 置信）", "en": "Hot spot, 95% confidence"},
        "hot_90": {"zh": "热点（90% 置信）", "en": "Hot spot, 90% confidence"},
        "hot_halo": {
            "zh": "热点外围（本格案件少，因邻格而热）",
            "en": "Halo: hot only through its neighbours",
        },
        "not_significant": {"zh": "不显著", "en": "Not significant"},
        "cold_90": {"zh": "冷点（90% 置信）", "en": "Cold spot, 90% confidence"},
        "cold_95": {"zh": "冷点（95% 置信）", "en": "Cold spot, 95% confidence"},
        "cold_99": {"zh": "冷点（99% 置信）", "en": "Cold spot, 99% confidence"},
    },
    "emerging": {
        "new_hotspot": {"zh": "新增热点", "en": "New hot spot"},
        "consecutive_hotspot": {"zh": "连续热点", "en": "Consecutive hot spot"},
        "intensifying_hotspot": {"zh": "加强的热点", "en": "Intensifying hot spot"},
        "persistent_hotspot": {"zh": "持续热点", "en": "Persistent hot spot"},
        "diminishing_hotspot": {"zh": "减弱的热点", "en": "Diminishing hot spot"},
        "sporadic_hotspot": {"zh": "零星热点", "en": "Sporadic hot spot"},
        "oscillating_hotspot": {"zh": "振荡热点", "en": "Oscillating hot spot"},
        "historical_hotspot": {"zh": "历史热点", "en": "Historical hot spot"},
        "new_coldspot": {"zh": "新增冷点", "en": "New cold spot"},
        "consecutive_coldspot": {"zh": "连续冷点", "en": "Consecutive cold spot"},
        "intensifying_coldspot": {"zh": "加强的冷点", "en": "Intensifying cold spot"},
        "persistent_coldspot": {"zh": "持续冷点", "en": "Persistent cold spot"},
        "diminishing_coldspot": {"zh": "减弱的冷点", "en": "Diminishing cold spot"},
        "sporadic_coldspot": {"zh": "零星冷点", "en": "Sporadic cold spot"},
        "oscillating_coldspot": {"zh": "振荡冷点", "en": "Oscillating cold spot"},
        "historical_coldspot": {"zh": "历史冷点", "en": "Historical cold spot"},
        "no_pattern": {"zh": "未发现模式", "en": "No pattern detected"},
    },
    "reason": {
        "high_risk_recent": {"zh": "近期高风险", "en": "Recent high risk"},
        "escalating": {"zh": "地址警情升级", "en": "Escalating address"},
        "escalating_victim": {"zh": "受害人警情升级", "en": "Escalating victim"},
        "repeat_new_incident": {"zh": "重复地址新发", "en": "New incident at a repeat address"},
        "count_jump": {"zh": "片区警情突增", "en": "Count jumped"},
        "sla_breached_handled_24h": {"zh": "超 24 小时未处置", "en": "Not handled in 24 h"},
        "sla_breached_closed_15d": {"zh": "超 15 天未办结", "en": "Not closed in 15 days"},
        "sla_breached_follow_up_4_in_2m": {
            "zh": "2 个月内回访不足 4 次",
            "en": "Fewer than 4 visits in 2 months",
        },
    },
    "ew_list": {
        "risk": {"zh": "风险", "en": "Risk"},
        "service": {"zh": "服务时限", "en": "Service level"},
    },
    "ew_kind": {
        "household": {"zh": "家庭", "en": "Household"},
        "address": {"zh": "地址", "en": "Address"},
        "compound": {"zh": "片区", "en": "Area"},
        "case": {"zh": "案件", "en": "Case"},
    },
    "sla": {
        "handled_24h": {"zh": "24 小时内处置", "en": "Handled in 24 h"},
        "closed_15d": {"zh": "15 天内办结", "en": "Closed in 15 days"},
        "follow_up_4_in_2m": {"zh": "2 个月内回访 4 次", "en": "4 visits in 2 months"},
    },
    "sla_state": {
        "all": {"zh": "全部", "en": "All"},
        "breached": {"zh": "已超时", "en": "Breached"},
        "due_soon": {"zh": "即将到期", "en": "Due soon"},
    },
    "patrol_method": {
        "kde": {"zh": "核密度", "en": "Kernel density"},
        "gistar": {"zh": "Gi* 热点", "en": "Gi* hot spots"},
        "counts": {"zh": "事件计数", "en": "Incident counts"},
        "repeat": {
            "zh": "重复风险（长期记忆核密度 + 重复地址）",
            "en": "Repeat risk (long-memory density + repeat addresses)",
        },
    },
    "role": {
        "victim": {"zh": "受害人", "en": "Victim"},
        "offender": {"zh": "加害人", "en": "Offender"},
    },
    **loop.VOCABULARY,
}


#: English for the standard notes the Bao'an demo writes (data/demo/scenario.py). Notes are
#: free text: any other note is shown as it was written.
NOTES_EN: dict[str, str] = {
    "接警登记": "Report registered",
    "任务分拨": "Task dispatched",
    "分类处置": "Handled by category",
    "转入回访跟踪": "Moved to follow-up",
    "办结归档": "Closed and filed",
    "回访情况稳定": "Situation stable at the visit",
    "双方关系有所改善": "Relations have improved",
    "矛盾升级，已提升关注等级": "Conflict escalated; attention level raised",
    "未能联系到当事人": "Could not reach the parties",
}


def note(text: str | None, lang: str) -> str:
    """A free-text note for display: known standard notes in ``lang``, others as written."""
    if not text:
        return MISSING
    if lang == "en":
        return NOTES_EN.get(text, text)
    return text


def normalise_language(value: object) -> str:
    """``'zh'`` or ``'en'`` from a URL parameter or a stored value; anything else is the default."""
    if isinstance(value, str):
        value = value.strip().lower()
        if value in LANGUAGES:
            return value
        if value.startswith("zh"):
            return "zh"
        if value.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def audit_action_label(code: str, lang: str) -> str:
    """The words for an audit action code; an action this version does not know shows as its
    code, so an old or new entry of the trail is never hidden."""
    entry = STRINGS.get(f"audit_action.{code}")
    return (entry.get(lang) or entry[DEFAULT_LANGUAGE]) if entry else code


def t(key: str, lang: str, **values: object) -> str:
    """The interface string ``key`` in ``lang``, with ``values`` filled into its placeholders.

    Raises ``KeyError`` naming the key if it is not defined: a missing string is a bug that the
    tests must catch, not a blank on the screen.
    """
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no interface string {key!r} in dashboard.parts.i18n.STRINGS") from None
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def label(kind: str, code: str | None, lang: str) -> str:
    """The words for a vocabulary ``code`` of ``kind`` (``'category'``, ``'status'`` …).

    An unknown code (from a newer importer, say) is shown as it is rather than hidden;
    ``None`` is shown as :data:`MISSING`.
    """
    if code is None:
        return MISSING
    try:
        labels = VOCABULARY[kind]
    except KeyError:
        raise KeyError(f"no vocabulary kind {kind!r} in dashboard.parts.i18n.VOCABULARY") from None
    entry = labels.get(code)
    if entry is None:
        return str(code)
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def options(kind: str, codes: Iterable[str], lang: str) -> list[dict[str, str]]:
    """Dropdown options ``{"label", "value"}`` for ``codes`` of ``kind``, labels in ``lang``."""
    return [{"label": label(kind, c, lang), "value": c} for c in codes]


def yes_no(value: object, lang: str) -> str:
    """是/否 or Yes/No for a boolean; :data:`MISSING` for None."""
    if value is None:
        return MISSING
    return t("bool.true" if value else "bool.false", lang)


def dropdown_labels(lang: str) -> dict[str, str]:
    """The texts dcc.Dropdown draws itself (select all, search …) in ``lang``."""
    keys = (
        "select_all",
        "deselect_all",
        "selected_count",
        "search",
        "clear_search",
        "clear_selection",
        "no_options_found",
    )
    return {k: t(f"dropdown.{k}", lang) for k in keys}


def column_label(column: str, lang: str, layer_id: str | None = None) -> str:
    """The header of a layer-result column: ``column.<layer>.<name>``, ``column.<name>`` or
    the incident field ``field.<name>``, the first that exists."""
    for key in (f"column.{layer_id}.{column}", f"column.{column}", f"field.{column}"):
        if key in STRINGS:
            return t(key, lang)
    raise KeyError(f"no label for column {column!r} in dashboard.parts.i18n.STRINGS")
