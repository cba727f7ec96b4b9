"""Form pieces the screens share: a labelled field whose control keeps its place on the page.

Dash loads its dropdowns and date pickers after the page (they are separate scripts), so a
field holding one is only its label for a moment and then grows by the control's height,
moving everything below it: a map the user is about to click moved 36 px under the pointer.
The control sits in a box that holds a control's height until the control is there
(``.field-control:empty`` in ``assets/style.css``).
"""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component


def field(
    caption: str | None,
    control: Component,
    *,
    html_for: str | None = None,
    class_name: str = "",
    small: bool = False,
    title: str | None = None,
    **kwargs: object,
) -> html.Div:
    """A caption over a control (``class_name`` adds classes to the field; ``small`` makes it a
    map layer's parameter, with a smaller caption; ``title`` is the caption's tooltip;
    ``kwargs`` go to the field's ``Div``, e.g. ``hidden`` or ``id``). A ``None`` caption leaves
    the label out."""
    kind = "param" if small else "field"
    label = (
        html.Label(caption, htmlFor=html_for, className=f"{kind}-label", title=title)
        if caption
        else None
    )
    return html.Div(
        [label, holding_place(control)],
        className=f"{kind} {class_name}".strip(),
        **kwargs,
    )


def holding_place(control: Component) -> html.Div:
    """``control`` in a box that keeps a control's height until Dash has loaded it (for a
    control placed without :func:`field`'s caption above it)."""
    return html.Div(control, className="field-control")
