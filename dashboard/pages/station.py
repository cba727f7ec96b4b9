"""The station screen (issue #5). Placeholder until its helper fills it in."""

from __future__ import annotations

from dash import Dash, html

from dashboard import shell


def layout(lang: str, search: str, **_: str) -> html.Div:
    """The station screen in ``lang``."""
    return shell.page_frame(lang, [html.Div("station")], "page-station")


def validation_layout() -> html.Div:
    """Every component the screen's callbacks name, for Dash's validation."""
    return html.Div()


def register_callbacks(app: Dash) -> None:
    """Register the screen's callbacks on ``app``."""
