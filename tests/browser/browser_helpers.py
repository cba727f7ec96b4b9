"""Small helpers shared by the browser tests."""

#: True once the overview map has drawn its hexagons with the server's latest paint
#: (``assets/leaflet_map.js``).
MAP_READY = "() => !!window.anningMap && window.anningMap.ready('map')"

#: The painted hexagons of the overview map: their ids, values, stations and screen centres.
HEXAGONS = "() => window.anningMap.hexagons('map')"

#: Screen position of a WGS-84 point ``[lng, lat]`` on the overview map.
PROJECT = "([lng, lat]) => window.anningMap.project('map', lng, lat)"

#: The overview map's zoom (Leaflet's: one more than MapLibre's for the same view).
ZOOM = "() => window.anningMap.zoom('map')"

#: The resolution in the URL of the cell GeoJSON the map's hexagons come from.
CELL_RES = """
() => {
  const info = window.anningMap && window.anningMap.info('map');
  const m = info && /\\/geo\\/cells\\/(\\d+)\\.geojson/.exec(info.paintUrl || '');
  return m ? Number(m[1]) : null;
}
"""

#: The URL of the cell GeoJSON the map is painted on.
CELLS_URL = "() => window.anningMap.info('map').paintUrl"


def wait_for_url_part(page, text: str) -> None:
    """Wait until the address bar holds ``text``: Dash updates it after the callback returns."""
    page.wait_for_function("t => window.location.href.includes(t)", arg=text, timeout=10_000)
    assert text in page.url


def settled_point(page, lng: float, lat: float) -> tuple[float, float]:
    """Screen position of ``(lng, lat)`` on the overview map once it holds still for 300 ms
    (the page below the header may still be settling after the map is ready)."""
    before = None
    for _ in range(40):
        now = tuple(page.evaluate(PROJECT, [lng, lat]))
        if now == before:
            return now
        before = now
        page.wait_for_timeout(300)
    raise AssertionError(f"({lng}, {lat}) kept moving on screen")


#: The texts of one column of an AG Grid's current page, in row order (rows still loading
#: left out): ``[grid id, column id]``.
GRID_COLUMN = """
([grid, col]) => [...document.querySelectorAll(`#${grid} .ag-center-cols-container .ag-row`)]
  .filter(row => !row.classList.contains('ag-row-loading'))
  .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
  .map(row => row.querySelector(`[col-id='${col}']`))
  .filter(cell => cell)
  .map(cell => cell.innerText.trim())
"""

#: The visible headers of an AG Grid, in column order: ``grid id``.
GRID_HEADERS = """
(grid) => [...document.querySelectorAll(`#${grid} .ag-header-cell[aria-colindex]`)]
  .sort((a, b) => Number(a.getAttribute('aria-colindex')) - Number(b.getAttribute('aria-colindex')))
  .map(cell => cell.querySelector('.ag-header-cell-text').innerText.trim())
"""


def grid_column(page, grid: str, col: str) -> list[str]:
    """The texts of column ``col`` on the current page of the AG Grid ``grid``, in row order."""
    return page.evaluate(GRID_COLUMN, [grid, col])


def grid_headers(page, grid: str) -> list[str]:
    """The headers of the AG Grid ``grid``, in column order."""
    return page.evaluate(GRID_HEADERS, grid)


def wait_for_grid_rows(page, grid: str, count: int | None = None) -> None:
    """Wait until the AG Grid ``grid`` shows rows (exactly ``count`` of them, if given)."""
    page.wait_for_function(
        """([grid, count]) => {
          const rows = [...document.querySelectorAll(`#${grid} .ag-center-cols-container .ag-row`)]
            .filter(row => !row.classList.contains('ag-row-loading') && row.innerText.trim());
          return count === null ? rows.length > 0 : rows.length === count;
        }""",
        arg=[grid, count],
    )
