/* Anning: the command-centre wall's clientside callbacks (see dashboard/pages/command.py).

   measure: the map's size in pixels, so the server fits the stations to it (1920×1080 and
            3840×2160 walls get the same picture).
   watch:   once a second, in the browser alone (so it works when the server is gone):
            - raises the "data stale" banner when no update arrived for config.staleMs;
            - makes the newest incidents pulse by restyling one trace's marker (no new figure,
              nothing accumulates on a wall that runs all day). */
(function () {
  "use strict";
  var noUpdate = function () { return window.dash_clientside.no_update; };
  var state = { stamp: null, at: Date.now(), stale: null, beat: 0 };

  function plotOf(id) {
    var holder = document.getElementById(id);
    return holder ? holder.querySelector(".js-plotly-plot") : null;
  }

  function pulse(config) {
    var gd = plotOf(config.mapId);
    if (!gd || !gd.data || !window.Plotly || !gd._fullLayout || !gd._fullLayout.map) { return; }
    var index = -1;
    for (var i = 0; i < gd.data.length; i++) {
      if (gd.data[i].name === config.pulseTrace) { index = i; break; }
    }
    if (index < 0 || !gd.data[index].lat || gd.data[index].lat.length === 0) { return; }
    state.beat = 1 - state.beat;
    window.Plotly.restyle(gd, {
      "marker.size": config.pulseSizes[state.beat],
      "marker.opacity": config.pulseOpacities[state.beat]
    }, [index]);
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    command: {
      measure: function () {
        var holder = document.getElementById("command-map");
        var box = holder ? holder.getBoundingClientRect() : null;
        if (!box || box.width < 50 || box.height < 50) {
          return { w: Math.round(window.innerWidth * 0.72), h: Math.round(window.innerHeight * 0.64) };
        }
        return { w: Math.round(box.width), h: Math.round(box.height) };
      },
      watch: function (_n, stamp, config) {
        if (!config) { return [noUpdate(), noUpdate(), noUpdate()]; }
        var now = Date.now();
        if (stamp !== state.stamp) { state.stamp = stamp; state.at = now; }
        try { pulse(config); } catch (e) { /* a map mid-redraw: next beat */ }
        var age = now - state.at;
        var stale = age > config.staleMs;
        if (stale === state.stale && !stale) { return [noUpdate(), noUpdate(), noUpdate()]; }
        state.stale = stale;
        var minutes = Math.max(1, Math.floor(age / 60000));
        return [
          !stale,
          stale ? config.staleText.replace("{minutes}", String(minutes)) : "",
          stale ? "wall is-stale" : "wall"
        ];
      }
    }
  });
})();
