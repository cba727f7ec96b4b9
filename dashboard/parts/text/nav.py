"""Interface strings of the header's screen links (keys start with ``nav.``)."""

STRINGS: dict[str, dict[str, str]] = {
    "nav.label": {"zh": "页面", "en": "Screens"},
    "nav.current": {"zh": "{screen}（当前页面）", "en": "{screen} (this screen)"},
    "nav.overview": {"zh": "总览", "en": "Overview"},
    "nav.command": {"zh": "指挥大屏", "en": "Command wall"},
    "nav.review": {"zh": "研判会商", "en": "Review"},
    "nav.station": {"zh": "派出所工作台", "en": "Station workspace"},
}
