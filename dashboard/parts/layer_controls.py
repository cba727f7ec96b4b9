"""The map's layer switcher and the layers' parameter controls, generated from the registry.

Every registered layer gets a group of controls, one per typed parameter
(:class:`layers.registry.Param`): a number input with the parameter's bounds, a dropdown for
a parameter with choices, a checkbox for a boolean. Groups of map layers sit under the map's
layer switcher, groups of table-only layers in the layer table; only the chosen layer's group
is shown. Controls carry pattern-matching ids (``{"type": LAYER_PARAM, "layer", "param"}``),
so one callback reads them all (:func:`dashboard.parts.filters.control_values`).

Everything here is pure: values in, Dash components out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dash import dcc, html

from dashboard.parts import ids
from dashboard.parts.form import field
from dashboard.parts.i18n import label, t
from layers.registry import REGISTRY, LayerSpec, Param

#: Vocabulary of the choices of a parameter (labels through :func:`dashboard.parts.i18n.label`).
PARAM_VOCABULARY: dict[str, str] = {"method": "patrol_method", "state": "sla_state"}
#: Value of the layer-table selector that follows the map layer.
FOLLOW_MAP = "map"


def layer_options(layer_ids: Sequence[str], lang: str) -> list[dict[str, str]]:
    """Options of a layer selector: ``{"label": translated name, "value": id}``."""
    return [{"label": t(f"layer.{i}", lang), "value": i} for i in layer_ids]


def table_source_options(
    map_layer: str, table_layers: Sequence[str], lang: str
) -> list[dict[str, str]]:
    """Options of the layer table's selector: the map layer, then the table-only layers."""
    current = t("layer_table.map_layer", lang, layer=t(f"layer.{map_layer}", lang))
    return [{"label": current, "value": FOLLOW_MAP}, *layer_options(table_layers, lang)]


def param_id(layer_id: str, name: str) -> dict[str, str]:
    """The pattern-matching id of one parameter control."""
    return {"type": ids.LAYER_PARAM, "layer": layer_id, "param": name}


def group_id(layer_id: str) -> dict[str, str]:
    """The pattern-matching id of a layer's group of parameter controls."""
    return {"type": ids.LAYER_PARAMS, "layer": layer_id}


def _bounds(param: Param) -> str:
    low = "" if param.minimum is None else f"{param.minimum:g}"
    high = "" if param.maximum is None else f"{param.maximum:g}"
    return f"{low}–{high}" if low or high else ""


def param_control(layer_id: str, param: Param, value: object, lang: str) -> html.Div:
    """One parameter's labelled control, typed after ``param``."""
    name = t(f"param.{param.name}", lang)
    control_id = param_id(layer_id, param.name)
    if param.kind is bool:
        return html.Div(
            dcc.Checklist(
                id=control_id,
                options=[{"label": name, "value": "on"}],
                value=["on"] if value else [],
                className="param-check",
                labelClassName="param-check-label",
            ),
            className="param param-bool",
        )
    if param.choices:
        vocabulary = PARAM_VOCABULARY.get(param.name)
        control = dcc.Dropdown(
            id=control_id,
            options=[
                {"label": label(vocabulary, str(c), lang) if vocabulary else str(c), "value": c}
                for c in param.choices
            ],
            value=value,
            clearable=False,
            searchable=False,
            className="param-dropdown",
        )
    else:
        bounds = _bounds(param)
        control = dcc.Input(
            id=control_id,
            type="number",
            value=value,
            min=param.minimum,
            max=param.maximum,
            step=1 if param.kind is int else "any",
            debounce=True,
            required=True,
            placeholder=bounds,
            className="param-number",
        )
    bounds = "" if param.kind is bool or param.choices else _bounds(param)
    return field(name, control, small=True, title=bounds or None)


def param_group(
    spec: LayerSpec,
    values: Mapping[str, object],
    lang: str,
    hidden: bool,
    overlay: bool = False,
) -> html.Div:
    """The controls of every parameter of ``spec`` (``values`` fill them; defaults else).

    The group opens with the layer's name, shown only while it is the overlay's group
    (``overlay``; :func:`group_class`), so its controls are not taken for the map layer's."""
    caption = html.Span(
        t("map.overlay_params", lang, layer=t(f"layer.{spec.id}", lang)),
        className="param-group-caption",
    )
    return html.Div(
        [
            caption,
            *(param_control(spec.id, p, values.get(p.name, p.default), lang) for p in spec.params),
        ],
        id=group_id(spec.id),
        className=group_class(overlay),
        hidden=hidden,
    )


def group_class(overlay: bool) -> str:
    """The class of a parameter group: marked when it is the overlay layer's."""
    return "param-group param-group-overlay" if overlay else "param-group"


def param_groups(
    layer_ids: Sequence[str],
    shown: Mapping[str, Mapping[str, object]],
    lang: str,
    overlay: str | None = None,
) -> list[html.Div]:
    """A parameter group for each of ``layer_ids`` that has parameters; those in ``shown``
    (layer id → parameter values) show, filled with their values (the others hidden, with
    their defaults); ``overlay`` names the overlay layer's group."""
    return [
        param_group(
            REGISTRY[i], shown.get(i, {}), lang, hidden=i not in shown, overlay=i == overlay
        )
        for i in layer_ids
        if REGISTRY[i].params
    ]


def hidden_groups(group_ids: Sequence[Mapping[str, str]], shown: Sequence[str]) -> list[bool]:
    """Whether each parameter group (by its id) is hidden when the ``shown`` layers are."""
    return [g.get("layer") not in shown for g in group_ids]
