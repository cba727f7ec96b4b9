"""Interface strings of the command screen (keys start with ``command.``)."""

STRINGS: dict[str, dict[str, str]] = {}
