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
// Buttons marked data-copy="ID" copy that element's text (setup's RADIUS
// commands, secrets shown once).
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) { return; }
      var text = el.textContent;
      var done = function () { b.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else {
        var range = document.createRange();
        range.selectNodeContents(el);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        try { if (document.execCommand("copy")) { done(); } } catch (e) {}
      }
    });
  });
})();
