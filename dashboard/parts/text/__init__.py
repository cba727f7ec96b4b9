"""Interface strings of the single-job screens, one module per screen, merged into i18n.

Each module holds ``STRINGS: dict[str, dict[str, str]]`` (key → {"zh": …, "en": …}) under its
own key prefix (``command.``, ``review.``, ``station.``, ``map.``), so screens can grow apart
without touching one shared table. :data:`dashboard.parts.i18n.STRINGS` refuses a key defined twice.
"""
