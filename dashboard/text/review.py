"""Interface strings of the review screen (keys start with ``review.``)."""

STRINGS: dict[str, dict[str, str]] = {}
