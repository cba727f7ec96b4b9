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

  /* dash-leaflet reports a tracked map's view from a timer and on every move; a map Dash
     removed in between (the page changed) has no panes left and Leaflet would throw
     "_leaflet_pos" from a page that is already gone: such a map keeps its last position */
  var guarded = false;
  function guardRemovedMaps() {
    if (guarded || !window.L || !window.L.Map) { return; }
    guarded = true;
    var panePos = window.L.Map.prototype._getMapPanePos;
    window.L.Map.prototype._getMapPanePos = function () {
      return this._mapPane ? panePos.call(this) : window.L.point(0, 0);
    };
  }

  function state(key) {
    guardRemovedMaps();
    if (!maps[key]) {
      maps[key] = { cellsByRes: {}, stations: new Map(), paint: null, painted: 0 };
    }
    return maps[key];
  }

  /* the resolution of an H3 cell id (its second hex digit, ids being 15 digits long) */
  function resOf(id) {
    var s = String(id);
    return s.length === 15 ? parseInt(s.charAt(1), 16) : null;
  }

  /* the resolution of the cell document a paint refers to ("/geo/cells/9.geojson?v=…") */
  function paintRes(paint) {
    var m = paint && paint.cellsUrl ? /\/cells\/(\d+)\./.exec(paint.cellsUrl) : null;
    return m ? Number(m[1]) : null;
  }

  /* the shapes of the hexagons the latest paint colours (by resolution: dash-leaflet hands
     onEachFeature the props the layer was made with, so a new cell URL cannot be read
     there; the resolution is in every cell id) */
  function paintedCells(st) {
    return st.cellsByRes[paintRes(st.paint)] || new Map();
  }

  /* whether a Leaflet map still has its panes and sits in the page: a map Dash removed or
     re-rendered (a redraw, a page change) throws "_leaflet_pos" on any move */
  function alive(m) {
    return !!(m && m._mapPane && m._container && m._container.isConnected && m._loaded);
  }

  function hideoutOf(context) {
    return (context && context.hideout) || {};
  }

  function isSelected(paint, kind, id) {
    var s = paint && paint.selected;
    return !!s && s.kind === kind && s.id === id;
  }

  /* the overlay's entry of a cell ([colour index, tooltip]), if the overlay outlines it */
  function overlayOf(paint, id) {
    return paint && paint.overlay && paint.overlay.cells ? paint.overlay.cells[id] : undefined;
  }

  function cellStyleOf(id, paint, look) {
    var entry = paint && paint.cells ? paint.cells[id] : undefined;
    var selected = isSelected(paint, "cell", id);
    var over = overlayOf(paint, id);
    if (over && !selected) {
      /* a cell of the overlay (a patrol cell, a hot spot under another layer): outlined in
         the overlay's colour, filled by the layer beneath (faintly where it has nothing) */
      return {
        stroke: true, color: paint.overlay.palette[over[0]], weight: 2.5,
        opacity: paint.overlay.opacity === undefined ? 1 : paint.overlay.opacity, fill: true,
        fillColor: entry ? paint.palette[entry[0]] : "#ffffff",
        fillOpacity: entry ? (paint.opacity === undefined ? 0.8 : paint.opacity) : 0.15,
        interactive: true
      };
    }
    if (!entry) {
      return {
        stroke: selected, color: look.selection || "#000", weight: 3,
        fill: true, fillOpacity: 0, opacity: selected ? 1 : 0,
        interactive: false  /* an empty hexagon lets the click through to its station */
      };
    }
    return {
      stroke: true,
      color: selected ? (look.selection || "#000") : (look.cellLine || "#ffffff"),
      weight: selected ? 3 : 0.4,
      opacity: 1,
      fill: true,
      fillColor: paint.palette[entry[0]],
      fillOpacity: paint.opacity === undefined ? 0.8 : paint.opacity,
      interactive: true
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
    var over = overlayOf(paint, id);
    var overLine = over && over[1] ? over[1] + "<br>" : "";
    if (!entry) {
      return (paint && paint.blankTip ? paint.blankTip + "<br>" : "") + overLine + cellLine;
    }
    return entry[1] + "<br>" + overLine + cellLine;
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
    var cells = paintedCells(st);
    var paint = st.paint || {};
    var sel = paint.selected && paint.selected.kind === "cell" ? paint.selected.id : null;
    cells.forEach(function (layer, id) {
      /* restyle only what changes: most hexagons stay empty from one filter to the next */
      var entry = paint.cells ? paint.cells[id] : undefined;
      var over = overlayOf(paint, id);
      var look = (entry ? entry[0] + "|" + paint.palette[entry[0]] + "|" + paint.opacity : "-") +
        (id === sel ? "|s" : "") +
        (over ? "|o" + paint.overlay.palette[over[0]] + "|" + paint.overlay.opacity : "");
      if (layer._anningLook === look) { return; }
      layer._anningLook = look;
      layer.setStyle(cellStyleOf(id, st.paint, cellLook));
    });
    if (stationLook) {
      st.stations.forEach(function (layer, code) {
        layer.setStyle(stationStyleOf(code, st.paint, stationLook));
      });
    }
  }

  /* why the map is empty, written over it (maps whose page has no note of its own) */
  function showNote(key, empty) {
    var holder = document.getElementById(key);
    var wrap = holder && holder.parentElement;
    if (!wrap) { return; }
    var note = wrap.querySelector(".map-note");
    if (!note) {
      note = document.createElement("div");
      note.className = "map-note";
      note.setAttribute("role", "status");
      wrap.appendChild(note);
    }
    note.hidden = !empty;
    note.textContent = "";
    if (empty) {
      var title = document.createElement("b");
      title.textContent = empty.title;
      note.appendChild(title);
      note.appendChild(document.createElement("br"));
      note.appendChild(document.createTextNode(empty.hint));
    }
  }

  /* fit the stations to the map once it has a size, and again whenever its size changes
     until the reader moves it (a wall's card settles its size after the first paint) */
  function fitOnce(m, bounds) {
    if (m._anningFit || !bounds) { return; }
    m._anningFit = true;
    var box = m.getContainer();
    var moved = false;
    var timer = null;
    var observer = null;
    var doFit = function () {
      if (!alive(m)) { return; }
      m.off("resize", fit);
      m.invalidateSize({ pan: false });
      m.on("resize", fit);
      if (!moved && box.clientWidth > 50 && box.clientHeight > 50) {
        /* a pan Leaflet started on an earlier resize would end after this fit and undo it */
        m.stop();
        m.fitBounds(bounds, { padding: [12, 12], animate: false });
      }
      m._anningSettled = true;
    };
    /* fit once the size has settled (a quarter second without change): one fit, one
       viewport sent back to the page, no stale view arriving after a later fit */
    var fit = function () {
      m._anningSettled = false;  /* a fit is pending: the view is about to move */
      clearTimeout(timer);
      timer = setTimeout(doFit, 250);
    };
    ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (name) {
      box.addEventListener(name, function () { moved = true; }, { passive: true });
    });
    fit();
    if (window.ResizeObserver) {
      observer = new ResizeObserver(fit);
      observer.observe(box);
    }
    m.on("unload", function () {
      clearTimeout(timer);
      if (observer) { observer.disconnect(); }
    });
    /* whoever told the map its new size (Leaflet on a window resize, dash-leaflet) moved
       its centre: fit again once things settle */
    m.on("resize", fit);
  }

  /* move names apart where two would overlap (two small stations side by side): a later
     name (a smaller station: the server sends the largest first) moves by the least that
     clears the names already placed: up or down by at most twice its height, sideways by at
     most its width, or both; a name that cannot be placed so, or would leave the map,
     is not shown */
  function declutter(m) {
    if (!alive(m)) { return; }
    var frame = m.getContainer().getBoundingClientRect();
    /* names not shown at this zoom take no room */
    var spans = [].slice.call(m.getContainer().querySelectorAll(".map-label-text"))
      .filter(function (el) { return el.offsetParent !== null; });
    spans.forEach(function (el) {
      el.style.top = "0px"; el.style.left = "0px"; el.style.visibility = "";
    });
    var boxes = spans.map(function (el) { return el.getBoundingClientRect(); });
    var placed = [];
    var hits = function (r, dx, dy) {
      var found = [];
      for (var i = 0; i < placed.length; i++) {
        var q = placed[i];
        if (r.left + dx < q.right && q.left < r.right + dx && r.top + dy < q.bottom &&
            q.top < r.bottom + dy) { found.push(q); }
      }
      return found;
    };
    spans.forEach(function (el, n) {
      var r = boxes[n];
      var height = r.bottom - r.top;
      var width = r.right - r.left;
      var tried = {};
      var queue = [[0, 0]];
      var best = null;
      /* sideways moves count double: a name stays over its own area where it can */
      var cost = function (s) { return 2 * Math.abs(s[0]) + Math.abs(s[1]); };
      while (queue.length && best === null) {
        queue.sort(function (a, b) { return cost(a) - cost(b); });
        var s = queue.shift();
        var dx = s[0], dy = s[1];
        if (tried[dx + "," + dy] || Math.abs(dy) > 2 * height || Math.abs(dx) > width) {
          continue;
        }
        tried[dx + "," + dy] = true;
        /* a name moved must stay on the map (one in place may be panned out of view) */
        var inside = (dx === 0 && dy === 0) ||
          (r.top + dy >= frame.top && r.bottom + dy <= frame.bottom &&
           r.left + dx >= frame.left && r.right + dx <= frame.right);
        var over = hits(r, dx, dy);
        if (!over.length && inside) { best = s; break; }
        over.forEach(function (q) {
          queue.push([dx, Math.ceil(q.bottom - r.top + 1)]);
          queue.push([dx, Math.floor(q.top - r.bottom - 1)]);
          queue.push([Math.ceil(q.right - r.left + 1), dy]);
          queue.push([Math.floor(q.left - r.right - 1), dy]);
        });
      }
      if (best === null) {
        el.style.visibility = "hidden";
        return;
      }
      el.style.left = best[0] + "px";
      el.style.top = best[1] + "px";
      /* two names side by side keep a space between them, or they read as one */
      var gap = height / 3;
      placed.push({ left: r.left + best[0] - gap, right: r.right + best[0] + gap,
                    top: r.top + best[1], bottom: r.bottom + best[1] });
    });
  }

  /* place names each from their zoom (``minZoom``): shown or hidden as the reader zooms,
     before the names are placed apart again (zoomend comes before moveend) */
  function showByZoom(m) {
    if (!alive(m)) { return; }
    var z = m.getZoom();
    (m._anningZoomLabels || []).forEach(function (marker) {
      var el = marker.getElement();
      if (el) { el.style.display = z >= marker._anningMinZoom ? "" : "none"; }
    });
  }

  function watchZoom(m, marker) {
    m._anningZoomLabels = (m._anningZoomLabels || []).filter(function (l) { return !!l._map; });
    m._anningZoomLabels.push(marker);
    if (!m._anningZoomWatch) {
      m._anningZoomWatch = true;
      m.on("zoomend", function () { showByZoom(m); });
    }
    showByZoom(m);
  }

  function declutterSoon(m) {
    if (m._anningDeclutter) { return; }
    m._anningDeclutter = true;
    m.on("moveend", function () { declutter(m); });
    setTimeout(function () { declutter(m); }, 0);
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
      var res = resOf(feature.id);
      if (!st.cellsByRes[res]) { st.cellsByRes[res] = new Map(); }
      st.cellsByRes[res].set(feature.id, layer);
      /* an empty hexagon (no fill, no line) is not drawn at all: the canvas redraws only
         the hexagons that show something */
      var drawPath = layer._updatePath;
      layer._updatePath = function () {
        if (!this.options.stroke && !(this.options.fill && this.options.fillOpacity > 0)) { return; }
        drawPath.call(this);
      };
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
      /* one canvas holds every shape, drawn (and hit) in the order added: stations go
         beneath the hexagons, whichever document arrived first */
      layer.on("add", function () {
        layer.bringToBack();
        if (layer._map) { fitOnce(layer._map, look.bounds); }
      });
      var names = look.names || {};
      var name = names[feature.id];
      if (name) {
        layer.bindTooltip(escapeText(name), { sticky: true, className: "map-tip" });
      }
    },
    eachArea: function (feature, layer) {
      layer.on("add", function () { layer.bringToFront(); });
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
      var marker = L.marker(latlng, {
        icon: L.divIcon({ className: "map-label map-label-" + (p.kind || "station"),
                          html: el, iconSize: null }),
        interactive: false, keyboard: false
      });
      if (p.minZoom !== undefined) { marker._anningMinZoom = p.minZoom; }
      marker.on("add", function () {
        if (marker._anningMinZoom !== undefined) { watchZoom(marker._map, marker); }
        declutterSoon(marker._map);
        setTimeout(function () { if (marker._map) { declutter(marker._map); } }, 0);
      });
      return marker;
    },
    /* a point of a point layer: a circle sized and coloured by the server */
    point: function (feature, latlng) {
      var p = feature.properties || {};
      if (p.halo) {  /* a pulsing halo beneath a dot: not a click target */
        return L.circleMarker(latlng, {
          radius: p.r || 8, fillColor: p.colour, fillOpacity: 0.55, stroke: false,
          interactive: false
        });
      }
      var opacity = p.opacity === undefined ? 0.95 : p.opacity;
      return L.circleMarker(latlng, {
        radius: p.r || 6, fillColor: p.colour || "#d95f0e", fillOpacity: opacity,
        color: p.selected ? "#000000" : (p.line || "#3e4c59"), weight: p.selected ? 3 : 1.5,
        opacity: Math.max(opacity, 0.5)
      });
    },
    eachPoint: function (feature, layer, context) {
      var st = state(hideoutOf(context).key);
      st.points = (st.points || []).filter(function (l) { return !!l._map; });
      st.points.push(layer);
      layer.on("add", function () { layer.bringToFront(); });
      var p = feature.properties || {};
      if (p.tip) {
        layer.bindTooltip(p.tip, { sticky: true, className: "map-tip", direction: "top" });
      }
    },
    /* the Leaflet map of ``key`` (from any of its shapes), once it has drawn something */
    leaflet: function (key) {
      var st = state(key);
      var found = null;
      st.stations.forEach(function (layer) {
        if (!found && alive(layer._map)) { found = layer._map; }
      });
      var cells = paintedCells(st);
      if (!found) {
        cells.forEach(function (layer) { if (!found && alive(layer._map)) { found = layer._map; } });
      }
      return found;
    },
    /* whether the map shows its latest paint on the hexagons of that paint, in its
       settled view */
    ready: function (key) {
      var st = state(key);
      var live = false;
      paintedCells(st).forEach(function (layer) { live = live || !!layer._map; });
      var m = window.anningMap.leaflet(key);
      /* the stations too, where the map has any: their document may come after the
         hexagons', and a click on a station before it is drawn selects nothing */
      var stationsIn = !(st.cellLook && st.cellLook.bounds);
      st.stations.forEach(function (layer) { stationsIn = stationsIn || layer._map === m; });
      /* and no fit is pending (a click aimed now would land where the map was) */
      return !!(st.paint && st.painted > 0 && live && m && stationsIn &&
                (!m._anningFit || m._anningSettled));
    },
    /* screen position (page pixels) of a WGS-84 point */
    project: function (key, lng, lat) {
      var m = window.anningMap.leaflet(key);
      var p = m.latLngToContainerPoint([lat, lng]);
      var box = m.getContainer().getBoundingClientRect();
      return [box.left + p.x, box.top + p.y];
    },
    zoom: function (key) { var m = window.anningMap.leaflet(key); return m ? m.getZoom() : null; },
    /* the painted hexagons: id, value, station and on-screen centre */
    hexagons: function (key) {
      var st = state(key);
      var cells = paintedCells(st);
      var m = window.anningMap.leaflet(key);
      var box = m.getContainer().getBoundingClientRect();
      var out = [];
      cells.forEach(function (layer, id) {
        var entry = st.paint.cells[id];
        if (!entry || !layer._map) { return; }
        var c = layer.getBounds().getCenter();
        var p = m.latLngToContainerPoint(c);
        out.push({ id: id, z: entry[2], station: (layer.feature.properties || {}).station,
                   x: box.left + p.x, y: box.top + p.y });
      });
      return out;
    },
    /* one beat of the wall's pulse: the halos take radius and opacity number ``beat`` */
    pulse: function (key, beat, radii, opacities) {
      var st = state(key);
      var n = 0;
      (st.points || []).forEach(function (l) {
        if (!l._map || !(l.feature.properties || {}).halo) { return; }
        l.setRadius(radii[beat]);
        l.setStyle({ fillOpacity: opacities[beat] });
        n += 1;
      });
      st.beat = beat;
      return n;
    },
    /* the halos' radii now (for tests) */
    haloRadii: function (key) {
      return (state(key).points || []).filter(function (l) {
        return !!l._map && (l.feature.properties || {}).halo;
      }).map(function (l) { return l.getRadius(); });
    },
    /* the hexagons drawn with the overlay's outline now: id and outline colour (tests) */
    outlinedCells: function (key) {
      var st = state(key);
      var out = [];
      paintedCells(st).forEach(function (layer, id) {
        var over = overlayOf(st.paint, id);
        if (over && layer._map && layer.options.color === st.paint.overlay.palette[over[0]]) {
          out.push({ id: id, colour: layer.options.color, opacity: layer.options.opacity });
        }
      });
      return out;
    },
    /* the layer the latest paint shows */
    layerShown: function (key) {
      var st = state(key);
      return st.paint && st.paint.meta ? (st.paint.meta.layer || null) : null;
    },
    /* the points on the map: what a click selects, radius and on-screen centre */
    points: function (key) {
      var st = state(key);
      var m = window.anningMap.leaflet(key);
      var box = m.getContainer().getBoundingClientRect();
      return (st.points || []).filter(function (l) { return !!l._map; }).map(function (l) {
        var p = m.latLngToContainerPoint(l.getLatLng());
        var props = l.feature.properties || {};
        return { cell: props.id, size: 2 * l.getRadius(), x: box.left + p.x, y: box.top + p.y };
      });
    },
    /* place the names of map ``key`` again (tests) */
    declutter: function (key) { declutter(window.anningMap.leaflet(key)); },
    /* the number of maps painted so far, for tests and benchmarks */
    painted: function (key) { return state(key).painted; },
    info: function (key) {
      var st = state(key);
      return { painted: st.painted, resolutions: Object.keys(st.cellsByRes),
               paintUrl: st.paint && st.paint.cellsUrl,
               painted_cells: st.paint ? Object.keys(st.paint.cells || {}).length : 0 };
    },
    cellCount: function (key) {
      var st = state(key);
      return paintedCells(st).size;
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
        if (paint.note) { showNote(paint.key, paint.empty); }
        st.painted += 1;
        return st.painted;
      },
      /* a search answer chosen: fly to its bounds ([[south, west], [north, east]]) */
      goTo: function (clicks, bounds) {
        var hit = window.dash_clientside.callback_context.triggered_id;
        if (!hit || !bounds || !clicks || !clicks[hit.index] || !bounds[hit.index]) {
          return window.dash_clientside.no_update;
        }
        return { bounds: bounds[hit.index], transition: "flyToBounds" };
      },
      /* the fit button: fly back to the stations */
      fit: function (clicks, bounds) {
        if (!clicks || !bounds) { return window.dash_clientside.no_update; }
        return { bounds: bounds, transition: "flyToBounds" };
      }
    }
  });
})();
