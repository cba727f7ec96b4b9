"""Reading Dash component trees in tests: the text a reader would see, a component by id."""

from __future__ import annotations


def text_of(component) -> str:
    """Every string inside a Dash component tree, joined by spaces."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def find(component, component_id):
    """The component with ``component_id`` inside a Dash component tree, or None."""
    if component is None or isinstance(component, str | int | float):
        return None
    if isinstance(component, list | tuple):
        for c in component:
            found = find(c, component_id)
            if found is not None:
                return found
        return None
    if getattr(component, "id", None) == component_id:
        return component
    return find(getattr(component, "children", None), component_id)


def find_all(component, predicate) -> list:
    """Every component inside a Dash component tree for which ``predicate`` holds."""
    if component is None or isinstance(component, str | int | float):
        return []
    if isinstance(component, list | tuple):
        return [found for c in component for found in find_all(c, predicate)]
    own = [component] if predicate(component) else []
    return own + find_all(getattr(component, "children", None), predicate)
