"""A layer's refusal of its input, worded for the log and the API and keyed for the screens.

A layer that cannot answer honestly (a window longer than the history, say) raises
:class:`LayerRefusedError`: a ``ValueError`` whose message names the culprit in English,
and whose ``key`` and ``values`` let a screen show the same reason in the user's language
(``dashboard.parts.i18n.t(key, lang, **values)``).
"""

from __future__ import annotations


class LayerRefusedError(ValueError):
    """A refused layer input: the English ``message``, an interface-string ``key`` and the
    ``values`` its placeholders take."""

    def __init__(self, message: str, key: str, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values
