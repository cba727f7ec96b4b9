"""Interface strings of the map screen (keys start with ``map.``)."""

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STRINGS: dict[str, dict[str, str]] = {
    # -- why a layer refused the range (layers.refusal.LayerRefusedError keys) ---------------------
    "map.refusal.emerging_no_history": {
        "zh": "{end} 之前没有事件；新兴热点需要 {steps} 个时间步（每步 {days} 天）的历史数据。",
        "en": "No incident before {end}; emerging hot spots need {steps} steps of {days} days "
        "of history.",
    },
    "map.refusal.emerging_window": {
        "zh": "历史数据太短：事件从 {earliest} 开始，而 {steps} 个时间步（每步 {days} 天）的"
        "窗口要追溯到 {start}；现有历史只覆盖 {covered} 个时间步。请把窗口缩短到最多 "
        "{covered} 个时间步，或选择更早的日期范围。",
        "en": "The history is too short for the window: incidents begin on {earliest}, but "
        "{steps} steps of {days} days reach back to {start}; the history covers {covered} "
        "step(s). Choose a window of at most {covered} steps, or an earlier date range.",
    },
    "map.refusal.emerging_history": {
        "zh": "历史数据太短：事件从 {earliest} 开始，而 {steps} 个时间步（每步 {days} 天）的"
        "窗口要追溯到 {start}；现有历史只覆盖 {covered} 个时间步，新兴热点至少需要 "
        "{minimum} 个。请选择更早的日期范围。",
        "en": "The history is too short for the window: incidents begin on {earliest}, but "
        "{steps} steps of {days} days reach back to {start}; the history covers {covered} "
        "step(s), and emerging hot spots need at least {minimum}. Choose an earlier date range.",
    },
    # -- two layers at once ------------------------------------------------------------------
    "map.opacity": {"zh": "图层不透明度", "en": "Layer opacity"},
    "map.overlay": {"zh": "叠加图层", "en": "Second layer"},
    "map.overlay_none": {"zh": "无", "en": "None"},
    "map.overlay_opacity": {"zh": "叠加不透明度", "en": "Second layer opacity"},
    "map.overlay_params": {"zh": "叠加「{layer}」：", "en": "Second layer, {layer}:"},
    "map.overlay_legend": {"zh": "叠加：{layer}", "en": "Second layer: {layer}"},
    "map.overlay_legend_outline": {
        "zh": "叠加：{layer}，{cells} 个六边形以蓝色边框标出（填色仍为主图层；悬停可见其数值）",
        "en": "Second layer: {layer}, {cells} hexagons outlined in blue (the fill is the first "
        "layer; hover for its values)",
    },
    # -- the resolution control --------------------------------------------------------------
    "map.res_auto": {"zh": "随缩放自动", "en": "Follows the zoom"},
    "map.res_auto_now": {"zh": "当前：{size}", "en": "Now: {size}"},
    "map.res.6": {"zh": "特大（约 36 km²）", "en": "Very large (~36 km²)"},
    # -- the time slider --------------------------------------------------------------------
    "map.time_all": {"zh": "全部", "en": "All"},
    "map.time_play": {"zh": "逐周播放", "en": "Play week by week"},
    "map.time_pause": {"zh": "暂停播放", "en": "Pause"},
    "map.time_hint": {
        "zh": "拖动选择一周：地图、图层、指标和列表随之变化，趋势图标出所选时段",
        "en": "Drag to pick a week: the map, its layer, the numbers and the lists follow; "
        "the trend marks the weeks shown",
    },
    "map.time_window_1": {"zh": "1 周", "en": "1 week"},
    "map.time_window_4": {"zh": "4 周", "en": "4 weeks"},
    "map.time_whole": {"zh": "全部时段：{start} 至 {end}", "en": "Whole range: {start} – {end}"},
    "map.time_whole_empty": {"zh": "全部时段", "en": "Whole range"},
    "map.time_span": {"zh": "{start} 至 {end}", "en": "{start} – {end}"},
    "map.time_partial": {
        "zh": "（不完整：{of} 天中的 {days} 天）",
        "en": " (partial: {days} of {of} days)",
    },
    "map.time_week": {"zh": "第 {week} 周：{span}", "en": "Week {week}: {span}"},
    "map.time_weeks": {
        "zh": "截至第 {week} 周的 {weeks} 周：{span}",
        "en": "{weeks} weeks to week {week}: {span}",
    },
    "map.time_day": {"zh": "{name}{day}日", "en": "{day} {name}"},
    "map.time_day_year": {"zh": "{year}年{name}{day}日", "en": "{day} {name} {year}"},
    "map.time_month": {"zh": "{name}", "en": "{name}"},
    "map.time_month_year": {"zh": "{year}年{name}", "en": "{name} {year}"},
    **{f"map.month_{i}": {"zh": f"{i}月", "en": name} for i, name in enumerate(_MONTHS_EN, 1)},
    # -- drill-down from the trend -----------------------------------------------------------
    "map.trend_hint": {
        "zh": "点击柱形查看该日（周）该类事件",
        "en": "Click a bar for that day's (week's) cases of its category",
    },
    "map.trend_hover_day": {
        "zh": "%{{x|%Y年%-m月%-d日}}<br>{category}：%{{y}} 起",
        "en": "%{{x|%-d %b %Y}}<br>{category}: %{{y}}",
    },
    "map.trend_hover_week": {
        "zh": "%{{x|%Y年%-m月%-d日}}起的一周<br>{category}：%{{y}} 起",
        "en": "Week of %{{x|%-d %b %Y}}<br>{category}: %{{y}}",
    },
    "map.selection_day": {"zh": "{day}", "en": "{day}"},
    "map.selection_week": {"zh": "{day}起的一周", "en": "Week of {day}"},
    "map.selection_period": {"zh": "{period} · {category}", "en": "{period} · {category}"},
    # -- loading and empty states ------------------------------------------------------------
    "map.loading": {"zh": "正在计算…", "en": "Working…"},
    "map.cases_empty_window": {
        "zh": "所选时段内没有符合条件的案件：拖动时间滑块或选“全部”",
        "en": "No cases match in the weeks shown: move the time slider or choose “All”",
    },
}
