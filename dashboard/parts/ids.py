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
#: The overview's poll timer, and the data version it last saw (a change refreshes the views).
REFRESH_TICK = "refresh-tick"
DATA_VERSION = "data-version"

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

# -- analytic layers (overview page) ------------------------------------------------------------
#: The map's layer switcher, the chosen layer's one-line explanation and the legend.
LAYER = "map-layer"
LAYER_HINT = "map-layer-hint"
#: The second layer drawn with the map layer, and each layer's opacity (percent).
OVERLAY = "map-overlay"
OPACITY = "map-opacity"
OVERLAY_OPACITY = "map-overlay-opacity"
MAP_LEGEND = "map-legend"
#: Pattern-matching types: one parameter control (``{"type", "layer", "param"}``) and the
#: group of a layer's controls (``{"type", "layer"}``).
LAYER_PARAM = "layer-param"
LAYER_PARAMS = "layer-params"
#: The switch between the case list and the layer table, and the two panels.
LIST_TABS = "list-tabs"
CASES_PANEL = "cases-panel"
#: The card of the overview's lists (the cases and the layer table), below the map.
CASES_CARD = "cases-card"
LAYER_PANEL = "layer-panel"
#: The layer table: which layer it shows, its rows, their count and the CSV export link.
LAYER_TABLE_SOURCE = "layer-table-source"
LAYER_TABLE = "layer-table"
LAYER_TABLE_TOTAL = "layer-table-total"
LAYER_TABLE_EXPORT = "layer-table-export"

# -- case page --------------------------------------------------------------------------------
BACK_LINK = "back-link"
CASE_FIELDS = "case-fields"
CASE_TIMELINE = "case-timeline"
CASE_VISITS = "case-visits"
CASE_NOT_FOUND = "case-not-found"

# -- login, roles and the audit trail (dashboard.web.auth, the case page, the admin page) ---------
#: Shown on every page of a demo installation.
DEMO_BANNER = "demo-banner"
USER_MENU = "user-menu"
LOGOUT = "logout-button"
#: Unmasking one case's personal details, with a reason (case page, permitted roles).
REVEAL_PANEL = "reveal-panel"
REVEAL_REASON = "reveal-reason"
REVEAL_BUTTON = "reveal-button"
REVEAL_MESSAGE = "reveal-message"
#: The administrator's page; every id starts with "admin-" (dashboard.web.auth relies on it).
ADMIN_USERS = "admin-users"
ADMIN_AUDIT_USER = "admin-audit-user"
ADMIN_AUDIT_ACTION = "admin-audit-action"
ADMIN_AUDIT_DATES = "admin-audit-dates"
ADMIN_AUDIT_TABLE = "admin-audit-table"
ADMIN_AUDIT_TOTAL = "admin-audit-total"
ADMIN_AUDIT_EXPORT = "admin-audit-export"
ADMIN_CHAIN = "admin-chain"
ADMIN_ALERTS = "admin-alerts"
ADMIN_REFUSALS = "admin-refusals"
