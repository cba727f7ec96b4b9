"""Interface strings of the map screen (keys start with ``map.``)."""

STRINGS: dict[str, dict[str, str]] = {}
