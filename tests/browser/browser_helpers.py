"""Small helpers shared by the browser tests."""

#: True once the map has fetched its geometry and MapLibre has drawn the hexagons.
MAP_READY = """
() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullData[1]) return false;
  const sub = gd._fullLayout.map._subplot;
  if (!sub || !sub.map || !sub.map.loaded()) return false;
  const url = gd._fullData[1].geojson;
  const doc = window.PlotlyGeoAssets && window.PlotlyGeoAssets[url];
  if (!doc || typeof doc !== 'object' || !doc.features) return false;
  const uid = gd._fullData[1].uid;
  const layers = sub.map.getStyle().layers.filter(l => l.id.includes(uid)).map(l => l.id);
  return layers.length > 0 && sub.map.queryRenderedFeatures({layers}).length > 0;
}
"""


def wait_for_url_part(page, text: str) -> None:
    """Wait until the address bar holds ``text``: Dash updates it after the callback returns."""
    page.wait_for_function("t => window.location.href.includes(t)", arg=text, timeout=10_000)
    assert text in page.url
