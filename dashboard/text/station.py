"""Interface strings of the station screen (keys start with ``station.``)."""

STRINGS: dict[str, dict[str, str]] = {}
