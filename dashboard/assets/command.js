/* Anning: the command-centre wall's clientside callbacks (see dashboard/pages/command.py).

   measure: the map's size in pixels, so the server fits the stations to it (1920×1080 and
            3840×2160 walls get the same picture).
   watch:   once a second, in the browser alone (so it works when the server is gone):
            - raises the "data stale" banner when no update arrived for config.staleMs;
            - makes the newest incidents pulse by restyling their halos on the map's canvas
              (nothing is rebuilt, nothing accumulates on a wall that runs all day). */
(function () {
  "use strict";
  var noUpdate = function () { return window.dash_clientside.no_update; };
  var state = { stamp: null, at: Date.now(), stale: null, beat: 0 };

  /* The halos of the newest incidents grow and shrink on the map's canvas: the shapes
     are restyled in place (assets/leaflet_map.js), nothing is rebuilt. */
  function pulse(config) {
    if (!window.anningMap) { return; }
    state.beat = 1 - state.beat;
    window.anningMap.pulse(config.mapId, state.beat, config.pulseRadii, config.pulseOpacities);
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
        var seconds = Math.floor(age / 1000);
        var text = seconds < 120
          ? config.staleSecondsText.replace("{seconds}", String(seconds))
          : config.staleText.replace("{minutes}", String(Math.floor(seconds / 60)));
        return [!stale, stale ? text : "", stale ? "wall is-stale" : "wall"];
      }
    }
  });
})();
