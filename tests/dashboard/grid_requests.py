"""What an AG Grid on the infinite row model sends when it asks for rows (``getRowsRequest``)."""

from __future__ import annotations


def grid_request(start: int = 0, count: int = 15, sort: tuple[str, str] | None = None) -> dict:
    """Rows ``start`` to ``start + count`` in the order of ``sort`` (column, ``asc``/``desc``)."""
    return {
        "startRow": start,
        "endRow": start + count,
        "sortModel": [{"colId": sort[0], "sort": sort[1]}] if sort else [],
        "filterModel": {},
    }
