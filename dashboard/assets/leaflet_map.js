/* Anning, every map (overview, wall, station workspace): Leaflet on a canvas, no WebGL.

   The geometry (stations, hexagon cells) is fetched once by URL and drawn once; a new
   answer from the server is a "paint" (colour class and tooltip per cell, the selection),
   applied here by restyling the existing shapes in place (no shape is rebuilt). A paint
   arriving before the geometry is kept and read by the style function when the shapes are
   made, so neither order loses it. Functions are reached by dash-leaflet as
   {"variable": "anningMap.…"} (no eval); each gets the layer's props, whose hideout names
   the map ({"key": …}) and its static colours. */
(function () {
  "use strict";
  var maps = {};

  function state(key) {
    if (!maps[key]) {
      maps[key] = { cellsByUrl: {}, stations: new Map(), paint: null, painted: 0 };
    }
    return maps[key];
  }

  function hideoutOf(context) {
    return (context && context.hideout) || {};
  }

  function isSelected(paint, kind, id) {
    var s = paint && paint.selected;
    return !!s && s.kind === kind && s.id === id;
  }

  function cellStyleOf(id, paint, look) {
    var entry = paint && paint.cells ? paint.cells[id] : undefined;
    var selected = isSelected(paint, "cell", id);
    if (!entry) {
      return {
        stroke: selected, color: look.selection || "#000", weight: 3,
        fill: true, fillOpacity: 0, opacity: selected ? 1 : 0
      };
    }
    return {
      stroke: true,
      color: selected ? (look.selection || "#000") : (look.cellLine || "#ffffff"),
      weight: selected ? 3 : 0.4,
      opacity: 1,
      fill: true,
      fillColor: paint.palette[entry[0]],
      fillOpacity: paint.opacity === undefined ? 0.8 : paint.opacity
    };
  }

  function stationStyleOf(code, paint, look) {
    var selected = isSelected(paint, "station", code);
    return {
      stroke: true,
      color: selected ? (look.selection || "#000") : look.stationLine,
      weight: selected ? 3.5 : look.stationWeight,
      opacity: 1,
      fill: true,
      fillColor: look.stationFill,
      fillOpacity: look.stationFillOpacity === undefined ? 1 : look.stationFillOpacity
    };
  }

  function tipOf(key, id) {
    var paint = state(key).paint;
    var entry = paint && paint.cells ? paint.cells[id] : undefined;
    var cellLine = '<span class="map-tip-cell">' + id + "</span>";
    if (!entry) { return (paint && paint.blankTip ? paint.blankTip + "<br>" : "") + cellLine; }
    return entry[1] + "<br>" + cellLine;
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text === undefined || text === null ? "" : String(text);
    return div.innerHTML;
  }

  function restyle(key) {
    var st = state(key);
    var cellLook = st.cellLook || {};
    var stationLook = st.stationLook;
    var cells = st.cellsByUrl[st.paint && st.paint.cellsUrl] || new Map();
    cells.forEach(function (layer, id) {
      layer.setStyle(cellStyleOf(id, st.paint, cellLook));
    });
    if (stationLook) {
      st.stations.forEach(function (layer, code) {
        layer.setStyle(stationStyleOf(code, st.paint, stationLook));
      });
    }
  }

  window.anningMap = {
    /* style of a hexagon cell: its colour class from the latest paint */
    cellStyle: function (feature, context) {
      var look = hideoutOf(context);
      var st = state(look.key);
      st.cellLook = look;
      return cellStyleOf(feature.id, st.paint, look);
    },
    /* keep each cell's shape, to restyle it in place; its tooltip is made when shown */
    eachCell: function (feature, layer, context) {
      var key = hideoutOf(context).key;
      var st = state(key);
      var url = context && context.url;
      if (!st.cellsByUrl[url]) { st.cellsByUrl = {}; st.cellsByUrl[url] = new Map(); }
      st.cellsByUrl[url].set(feature.id, layer);
      layer.bindTooltip(function () { return tipOf(key, feature.id); },
        { sticky: true, className: "map-tip", direction: "top", offset: [0, -6] });
    },
    stationStyle: function (feature, context) {
      var look = hideoutOf(context);
      var st = state(look.key);
      st.stationLook = look;
      return stationStyleOf(feature.id, st.paint, look);
    },
    eachStation: function (feature, layer, context) {
      var look = hideoutOf(context);
      state(look.key).stations.set(feature.id, layer);
      var names = look.names || {};
      var name = names[feature.id];
      if (name) {
        layer.bindTooltip(escapeText(name), { sticky: true, className: "map-tip" });
      }
    },
    areaStyle: function (feature, context) {
      var look = hideoutOf(context);
      return { stroke: true, color: look.areaLine, weight: look.areaWeight, fill: false,
               interactive: false };
    },
    /* a label (station or place name) as text on the map, from the page's own fonts */
    label: function (feature, latlng, context) {
      var p = feature.properties || {};
      var el = document.createElement("span");
      el.className = "map-label-text";
      el.textContent = p.name || "";
      return L.marker(latlng, {
        icon: L.divIcon({ className: "map-label map-label-" + (p.kind || "station"),
                          html: el, iconSize: null }),
        interactive: false, keyboard: false
      });
    },
    /* a point of a point layer: a circle sized and coloured by the server */
    point: function (feature, latlng) {
      var p = feature.properties || {};
      return L.circleMarker(latlng, {
        radius: p.r || 6, fillColor: p.colour || "#d95f0e", fillOpacity: 0.95,
        color: p.line || "#3e4c59", weight: p.selected ? 3 : 1.5, opacity: 0.95
      });
    },
    eachPoint: function (feature, layer) {
      var p = feature.properties || {};
      if (p.tip) {
        layer.bindTooltip(p.tip, { sticky: true, className: "map-tip", direction: "top" });
      }
    },
    /* the number of maps painted so far, for tests and benchmarks */
    painted: function (key) { return state(key).painted; },
    info: function (key) {
      var st = state(key);
      return { painted: st.painted, urls: Object.keys(st.cellsByUrl),
               paintUrl: st.paint && st.paint.cellsUrl,
               painted_cells: st.paint ? Object.keys(st.paint.cells || {}).length : 0 };
    },
    cellCount: function (key) {
      var st = state(key);
      var cells = st.cellsByUrl[st.paint && st.paint.cellsUrl];
      return cells ? cells.size : 0;
    }
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    anning_leaflet: {
      /* a new paint from the server: restyle the shapes already drawn */
      paint: function (paint) {
        if (!paint || !paint.key) { return window.dash_clientside.no_update; }
        var st = state(paint.key);
        st.paint = paint;
        restyle(paint.key);
        st.painted += 1;
        return st.painted;
      },
      /* the fit buttons: fly to the bounds they carry */
      fit: function (clicks, bounds) {
        if (!clicks || !bounds) { return window.dash_clientside.no_update; }
        return { bounds: bounds, transition: "flyToBounds" };
      }
    }
  });
})();
