/* Anning, the overview's lists (dashboard/screens/overview/page.py): AG Grids that ask the
   server for each page (the infinite row model).

   New data (the overview's data version changed) reloads the rows the grid shows without
   leaving the page the reader is on: the grid drops its cached blocks and asks again for
   the page in view. (A change of filters goes through the grid's filterModel instead,
   which starts again from the first page.) Reached by Dash as
   ClientsideFunction("anning_grid", "refresh"), which notes the version it reloaded for;
   no eval.

   A new selection (a hexagon, a station, a trend bar) brings the case list into view: the
   page scrolls just far enough to show the list's head and first rows at the bottom of the
   window, so most of the map stays in view. Reached as ClientsideFunction("anning_grid",
   "reveal").

   AnningClamp, a cell renderer (colDef "cellRenderer": "AnningClamp"): the cell's text in a
   span that CSS clamps to two lines (an ellipsis after), centred in the row. */
(function () {
  "use strict";

  function refresh(version, gridId) {
    var noUpdate = window.dash_clientside.no_update;
    var grids = window.dash_ag_grid;
    if (!grids || typeof grids.getApi !== "function" || typeof gridId !== "string") {
      return noUpdate;
    }
    var api;
    try {
      api = grids.getApi(gridId);
    } catch (e) {
      return noUpdate; /* the grid is not drawn yet: it will ask for its rows itself */
    }
    if (!api || api.isDestroyed()) {
      return noUpdate;
    }
    api.purgeInfiniteCache();
    return version;
  }

  /* Rows of the list (with its head) that a selection brings into view. */
  var REVEAL_PX = 300;

  function reveal(selection, cardId) {
    var card = selection && document.getElementById(cardId);
    if (!card) {
      return window.dash_clientside.no_update;
    }
    var box = card.getBoundingClientRect();
    var by = Math.max(0, box.top + Math.min(box.height, REVEAL_PX) + 12 - window.innerHeight);
    if (by > 0) {
      var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      window.scrollBy({ top: by, behavior: still ? "auto" : "smooth" });
    }
    return Math.round(by);
  }

  var renderers = (window.dashAgGridComponentFunctions =
    window.dashAgGridComponentFunctions || {});
  renderers.AnningClamp = function (props) {
    var text = props.valueFormatted != null ? props.valueFormatted : props.value;
    return window.React.createElement(
      "span",
      { className: "grid-clamp" },
      text == null ? "" : String(text)
    );
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    anning_grid: { refresh: refresh, reveal: reveal },
  });
})();
