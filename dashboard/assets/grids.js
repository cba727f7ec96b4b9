/* Anning, the overview's lists (dashboard/screens/overview/page.py): AG Grids that ask the
   server for each page (the infinite row model).

   New data (the overview's data version changed) reloads the rows the grid shows without
   leaving the page the reader is on: the grid drops its cached blocks and asks again for
   the page in view. (A change of filters goes through the grid's filterModel instead,
   which starts again from the first page.) Reached by Dash as
   ClientsideFunction("anning_grid", "refresh"), which notes the version it reloaded for;
   no eval.

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
    anning_grid: { refresh: refresh },
  });
})();
