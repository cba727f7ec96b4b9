"""The back and forward buttons on the overview: the controls follow the URL.

The overview writes its state into the query string as the reader works
(``overview.sync_url``); the router re-renders a page only when the path changes. So going
back between two overviews that differ in their query only changed the address, not the
page. Here the controls are set from the URL whenever the query string changes to one the
page did not write itself: the browser's back and forward buttons (``popstate``).

To tell the two apart, every URL the page writes is also kept in a store (:data:`WRITTEN`);
a query equal to it is the page's own echo and changes nothing. Only controls whose value
differs are set, so the views redraw once, and the URL written next is the same query (no
new history entry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard.parts.filters import NO_OVERLAY, RES_AUTO, OverviewState, from_query
from dashboard.parts.layer_controls import FOLLOW_MAP
from dashboard.parts.services import services
from dashboard.screens.overview import time_slider
from dashboard.web.scope import current_scope
from layers.registry import REGISTRY

#: The store holding the last query string the page wrote (or was opened with).
WRITTEN = "map-url-written"
#: Position of the layer parameters (one pattern-matching output) in the restored controls.
PARAMS_INDEX = 10
#: Path of the overview: other pages do not restore its controls.
OVERVIEW_PATH = "/"


def control_values(state: OverviewState, param_ids: Sequence[Mapping[str, str]]) -> list[Any]:
    """The value of each overview control for ``state``, in the order of the restore callback's
    outputs: dates, category, source, risk, station, resolution, trend period, selection,
    layer, layer parameters (one per id in ``param_ids``), list tab, layer-table source,
    slider, window length, overlay, the two opacities."""
    flt = state.filters
    return [
        flt.start.isoformat() if flt.start else None,
        flt.end.isoformat() if flt.end else None,
        list(flt.categories),
        list(flt.sources),
        list(flt.risk_levels),
        list(flt.stations),
        RES_AUTO if state.auto_res else flt.res,
        state.every,
        state.selection.to_data() if state.selection else None,
        state.layer.id,
        [_param_value(state, ident) for ident in param_ids],
        state.tab,
        state.table.id if state.table else FOLLOW_MAP,
        time_slider.slider_value(state.window, flt.start, flt.end),
        state.window.weeks if state.window else 1,
        state.overlay.id if state.overlay else NO_OVERLAY,
        *state.opacity,
    ]


def _param_value(state: OverviewState, ident: Mapping[str, str]) -> object:
    """A parameter control's value: the URL's for the chosen layers, else the default."""
    layer, name = ident.get("layer"), ident.get("param")
    values: dict[str, object] = {}
    for choice in (state.layer, state.table, state.overlay):
        if choice is not None and choice.id == layer:
            values = choice.values()
    spec = REGISTRY.get(str(layer))
    if spec is None:
        return no_update
    param = next((p for p in spec.params if p.name == name), None)
    if param is None:
        return no_update
    value = values.get(param.name, param.default)
    if param.kind is bool:
        return ["on"] if value else []
    return value


def changes(target: Sequence[Any], current: Sequence[Any]) -> list[Any]:
    """``target`` with ``no_update`` where the control already shows that value."""
    out: list[Any] = []
    for want, have in zip(target, current, strict=True):
        if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
            # element by element (parameter controls), or as a set (a dropdown's codes)
            same = all(_same(w, h) for w, h in zip(want, have, strict=True)) or _same(want, have)
        else:
            same = _same(want, have)
        out.append(no_update if same else want)
    return out


def _same(want: object, have: object) -> bool:
    if want is no_update:
        return True
    if isinstance(want, list) and isinstance(have, list):
        return sorted(map(str, want)) == sorted(map(str, have))
    if isinstance(want, str) and isinstance(have, str) and len(want) == 10:
        return have[:10] == want  # a date picker may add a time
    return want == have or (want in (None, []) and have in (None, []))


def restore(
    search: str | None,
    pathname: str | None,
    written: str | None,
    param_ids: Sequence[Mapping[str, str]] | None,
    current: Sequence[Any],
    auto_res: int | None = None,
) -> list[Any]:
    """Callback: the controls' values for the URL's query, when it is not the page's own.

    ``current`` holds the controls' values in :func:`control_values` order. Returns one value
    per control (``no_update`` where nothing changes) and the query, as now written.
    """
    if (pathname or "/") != OVERVIEW_PATH or (search or "") == (written or ""):
        raise PreventUpdate
    svc, scope = services(), current_scope()
    state = from_query(
        search,
        svc.access.date_extent(scope),
        list(svc.station_names(scope, "zh")),
        auto_res=auto_res,
    )
    target = control_values(state, param_ids or [])
    out = changes(target, current)
    if out[PARAMS_INDEX] is no_update:  # a pattern-matching output takes one value per control
        out[PARAMS_INDEX] = [no_update] * len(param_ids or [])
    return [*out, search or ""]
