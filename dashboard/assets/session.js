/* Anning: when the session has ended (idle timeout, logout in another tab), a callback is
   answered 401: go to the login page and come back here afterwards, instead of leaving a
   page that silently stops updating. */
(function () {
  "use strict";
  var originalFetch = window.fetch;
  if (!originalFetch) { return; }
  window.fetch = function (input, init) {
    return originalFetch.apply(this, arguments).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
