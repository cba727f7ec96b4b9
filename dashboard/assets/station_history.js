/* Station workspace: the back and forward buttons restore the whole view.
 *
 * The workspace keeps its search, filters, sort and page in the address (a copied link
 * reopens the same view), but the grid does not follow later changes of the address. When
 * the browser moves between two entries of the same station's history, the page is loaded
 * again from the address, which restores every control and the grid exactly.
 */
(function () {
  let last = window.location.pathname;
  window.addEventListener('popstate', function () {
    const path = window.location.pathname;
    const stationBefore = last.startsWith('/station/');
    last = path;
    if (stationBefore && path.startsWith('/station/') && !path.endsWith('/patrol-sheet')) {
      window.location.reload();
    }
  });
  // Dash changes the address with pushState: keep `last` current for in-page moves too.
  const push = window.history.pushState;
  window.history.pushState = function () {
    const result = push.apply(this, arguments);
    last = window.location.pathname;
    return result;
  };
})();
