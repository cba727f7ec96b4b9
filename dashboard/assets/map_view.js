/* Anning, overview map: remember the reader's view (zoom and centre) in the browser.
   Plotly keeps a map's centre through a redraw (uirevision) but not its zoom, so the map
   callback puts this view back into each new figure. Runs in the browser: a pan or a zoom
   costs no request. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  anning_map: {
    view: function (relayout) {
      var noUpdate = window.dash_clientside.no_update;
      if (!relayout || typeof relayout["map.zoom"] !== "number") { return noUpdate; }
      var centre = relayout["map.center"] || {};
      return {
        zoom: relayout["map.zoom"],
        lat: typeof centre.lat === "number" ? centre.lat : null,
        lon: typeof centre.lon === "number" ? centre.lon : null
      };
    }
  }
});
