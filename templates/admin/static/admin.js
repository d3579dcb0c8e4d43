// The only script of the admin UI: parts marked data-live="N" refresh
// every N seconds from the same URL, and forms marked data-confirm ask
// first. Every page works without it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  var live = document.querySelectorAll("[data-live]");
  if (!live.length || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(live[0].getAttribute("data-live"), 10) || 5;
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelectorAll("[data-live]");
        live.forEach(function (el, i) { if (fresh[i]) { el.innerHTML = fresh[i].innerHTML; } });
      })
      .catch(function () {});
  }
  window.setInterval(refresh, seconds * 1000);
})();
