"""Component ids of the dashboard, in one place so layouts, callbacks and tests agree.

Ids are kebab-case strings. The page shell owns the ``URL``, ``LANG_STORE`` and ``PAGE``
components; every page renders the header (``LANG_SWITCH``), ``PAGE_LANG`` and ``ERROR_BANNER``.
"""

from __future__ import annotations

# -- shell (always in the layout) -----------------------------------------------------------
URL = "url"
#: The chosen interface language, kept in the browser's local storage.
LANG_STORE = "lang-store"
#: Container into which the router renders the current page.
PAGE = "page"

# -- rendered by every page -----------------------------------------------------------------
HEADER = "header"
LANG_SWITCH = "lang-switch"
#: The language the current page was rendered in (callbacks read it as State).
PAGE_LANG = "page-lang"
#: A translated "something went wrong" banner, revealed by the app's error handler.
ERROR_BANNER = "error-banner"

# -- overview page ----------------------------------------------------------------------------
DATE_RANGE = "filter-dates"
CATEGORY = "filter-category"
SOURCE = "filter-source"
RISK = "filter-risk"
STATION = "filter-station"
RESOLUTION = "map-resolution"
TREND_EVERY = "trend-every"
RESET_FILTERS = "filter-reset"
#: The default date range of the page (what "reset" restores).
DEFAULTS = "filter-defaults"

MAP = "map"
TREND = "trend"
KPIS = "kpis"
KPI_INCIDENTS = "kpi-incidents"
KPI_HIGH_RISK = "kpi-high-risk"
KPI_OPEN = "kpi-open"
KPI_WARNING_LETTERS = "kpi-warning-letters"
KPI_PROTECTION_ORDERS = "kpi-protection-orders"

#: What the drill-down selected on the map: ``{"kind": "cell"|"station", "id": str}`` or None.
SELECTION = "selection"
SELECTION_CHIP = "selection-chip"
SELECTION_CHIP_WRAP = "selection-chip-wrap"
SELECTION_CLEAR = "selection-clear"
CASE_TITLE = "case-list-title"
CASE_TOTAL = "case-list-total"
CASE_TABLE = "case-table"

# -- case page --------------------------------------------------------------------------------
BACK_LINK = "back-link"
CASE_FIELDS = "case-fields"
CASE_TIMELINE = "case-timeline"
CASE_VISITS = "case-visits"
CASE_NOT_FOUND = "case-not-found"
