"""Every word the dashboard shows, in Chinese (the default) and English.

Two kinds of text live here:

* interface strings, looked up by key with :func:`t` (``t("kpi.open", "en")``); a string may
  carry ``str.format`` placeholders (``t("cases.total", lang, n=12)``);
* labels of the canonical vocabulary codes of :mod:`data.vocab` (categories, sources, risk
  levels, statuses, departments, follow-up outcomes, location states), looked up with
  :func:`label` (``label("category", "domestic_violence", "zh")``).

``tests/dashboard/test_i18n.py`` checks that every key has both languages and every code a label.
"""

from __future__ import annotations

from collections.abc import Iterable

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
    "map.title": {"zh": "事件分布（六边形网格）", "en": "Incidents per hexagon"},
    "map.colorbar": {"zh": "事件数", "en": "Incidents"},
    "map.hint": {
        "zh": "点击六边形或派出所辖区，查看其案件列表。",
        "en": "Click a hexagon or a station's area to list its cases.",
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
}

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


def t(key: str, lang: str, **values: object) -> str:
    """The interface string ``key`` in ``lang``, with ``values`` filled into its placeholders.

    Raises ``KeyError`` naming the key if it is not defined: a missing string is a bug that the
    tests must catch, not a blank on the screen.
    """
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no interface string {key!r} in dashboard.i18n.STRINGS") from None
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
        raise KeyError(f"no vocabulary kind {kind!r} in dashboard.i18n.VOCABULARY") from None
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
