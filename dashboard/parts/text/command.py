"""Interface strings of the command screen (keys start with ``command.``)."""

STRINGS: dict[str, dict[str, str]] = {
    "command.title": {"zh": "指挥中心实时态势", "en": "Command centre: live situation"},
    "command.scope_all": {"zh": "全部派出所", "en": "All stations"},
    "command.updated": {"zh": "最后更新 {time}", "en": "Last update {time}"},
    "command.updated_never": {"zh": "尚未更新", "en": "Not updated yet"},
    "command.refresh_every": {
        "zh": "每 {seconds} 秒自动刷新，新事件 {poll} 秒内显示",
        "en": "Refreshes every {seconds} s; new incidents show within {poll} s",
    },
    "command.loading": {"zh": "加载中…", "en": "Loading…"},
    "command.stale": {
        "zh": "数据已停止更新：{minutes} 分钟未收到新数据，请检查网络或服务器。",
        "en": "Data stale: no update for {minutes} min. Check the network or the server.",
    },
    "command.stale_seconds": {
        "zh": "数据已停止更新：{seconds} 秒未收到新数据，请检查网络或服务器。",
        "en": "Data stale: no update for {seconds} s. Check the network or the server.",
    },
    # -- tiles ------------------------------------------------------------------------------
    "command.tile.today": {"zh": "今日事件", "en": "Incidents today"},
    "command.tile.today_vs": {
        "zh": "对比昨日同时段 {n}",
        "en": "vs same time yesterday: {n}",
    },
    "command.tile.week": {"zh": "近 7 天事件", "en": "Incidents, last 7 days"},
    "command.tile.week_vs": {"zh": "对比前 7 天 {n}", "en": "vs the 7 days before: {n}"},
    "command.tile.high_risk_open": {"zh": "未办结高风险案件", "en": "Open high-risk cases"},
    "command.tile.high_risk_open_note": {
        "zh": "其中今日新增 {n}",
        "en": "{n} of them reported today",
    },
    "command.tile.sla_breached": {"zh": "超时未达标案件", "en": "Cases past service level"},
    "command.tile.sla_breached_note": {
        "zh": "另有 {n} 起即将超时",
        "en": "{n} more due soon",
    },
    "command.tile.warning_letters": {"zh": "本月告诫书", "en": "Warning letters this month"},
    "command.tile.protection_orders": {
        "zh": "本月人身安全保护令",
        "en": "Protection orders this month",
    },
    "command.tile.month_vs": {
        "zh": "对比上月同期 {n}",
        "en": "vs same days last month: {n}",
    },
    "command.def.today": {
        "zh": "今日 0 时起接报的事件数；对比：昨日 0 时至昨日此刻。",
        "en": "Incidents reported since local midnight; compared with yesterday from "
        "midnight to the same time.",
    },
    "command.def.week": {
        "zh": "最近 7×24 小时接报的事件数；对比：此前的 7×24 小时。",
        "en": "Incidents reported in the last 7 × 24 h; compared with the 7 × 24 h before.",
    },
    "command.def.high_risk_open": {
        "zh": "风险等级为高、尚未办结的案件数（不论接报日期）。",
        "en": "High-risk cases not closed (any report date).",
    },
    "command.def.sla_breached": {
        "zh": "截至现在仍未办结、且至少一项服务时限已超时（截止时间已过仍未达标，或达标晚于"
        "截止时间）的案件数，不论接报日期。其中：24 小时处置 {handled_24h}，15 天办结 "
        "{closed_15d}，2 个月回访 4 次 {follow_up_4_in_2m}。与领导研判“超时未办结”同一口径。",
        "en": "Cases still open now with at least one service level late (deadline passed "
        "and not met by it), any report date. Of them: handled in 24 h {handled_24h}, "
        "closed in 15 days {closed_15d}, 4 visits in 2 months {follow_up_4_in_2m}. The "
        'review\'s "open, late" counts the same for its period.',
    },
    "command.def.warning_letters": {
        "zh": "本月 1 日起接报、出具告诫书的事件数；对比：上月同期。",
        "en": "Incidents reported this month with a warning letter; compared with the same "
        "days of last month.",
    },
    "command.def.protection_orders": {
        "zh": "本月 1 日起接报、有人身安全保护令的事件数；对比：上月同期。",
        "en": "Incidents reported this month with a protection order; compared with the same "
        "days of last month.",
    },
    "command.ticker.incidents": {"zh": "{n} 起", "en": "{n} incidents"},
    "command.change.up": {"zh": "上升", "en": "up"},
    "command.change.down": {"zh": "下降", "en": "down"},
    "command.change.same": {"zh": "持平", "en": "no change"},
    # -- map --------------------------------------------------------------------------------
    "command.map.title": {
        "zh": "近 {days} 天热点（Gi*）与最新事件",
        "en": "Hot spots of the last {days} days (Gi*) and newest incidents",
    },
    "command.map.newest": {
        "zh": "近 {hours} 小时新事件（闪烁）{n} 起",
        "en": "New in the last {hours} h (pulsing): {n}",
    },
    "command.map.no_hotspots": {
        "zh": "近 {days} 天未发现显著热点",
        "en": "No significant hot spot in the last {days} days",
    },
    "command.map.no_hotspots_hint": {
        "zh": "事件分布没有显著聚集（Gi* 检验，错误发现率校正）。",
        "en": "Incidents are not significantly clustered (Gi*, false discovery rate corrected).",
    },
    "command.map.hover_cell": {
        "zh": "<b>{station}</b><br>{cls}<br>近 {days} 天事件：{count}<br>点击查看案件",
        "en": "<b>{station}</b><br>{cls}<br>Incidents, last {days} days: {count}"
        "<br>Click for its cases",
    },
    "command.map.hover_incident": {
        "zh": "<b>{time}</b><br>{category} · {risk}风险<br>{station}<br>点击打开案件",
        "en": "<b>{time}</b><br>{category} · {risk} risk<br>{station}<br>Click to open the case",
    },
    # -- newest incidents -------------------------------------------------------------------
    "command.newest.title": {"zh": "最新事件", "en": "Newest incidents"},
    "command.newest.empty": {
        "zh": "没有可显示的事件：当前权限范围内尚无事件记录。",
        "en": "Nothing to show: there are no incidents in your stations yet.",
    },
    "command.newest.risk": {"zh": "{risk}风险", "en": "{risk} risk"},
    "command.age.minutes": {"zh": "{n} 分钟前", "en": "{n} min ago"},
    "command.age.hours": {"zh": "{n} 小时前", "en": "{n} h ago"},
    "command.age.days": {"zh": "{n} 天前", "en": "{n} d ago"},
    # -- ticker -----------------------------------------------------------------------------
    "command.ticker.title": {"zh": "预警", "en": "Alerts"},
    "command.ticker.empty": {
        "zh": "当前没有预警：早期预警未发现需要关注的家庭、地址、小区或超时案件。",
        "en": "No alerts: early warning finds no household, address, compound or overdue case "
        "that needs attention.",
    },
    "command.ticker.more": {"zh": "另有 {n} 条预警", "en": "{n} more alerts"},
}
