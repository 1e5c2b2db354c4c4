// The queue's auto-refresh (progressive enhancement: without it the page is complete and
// a reload shows the same). Every few seconds it asks /holds/poll for a signature of what
// the queue lists; when it changed, it fetches the rows (rendered and escaped by the
// server) and swaps the table body, keeping the scroll position and the focused row.
(function () {
  "use strict";
  var table = document.getElementById("queue");
  if (!table || !window.fetch) { return; }
  var live = document.getElementById("queue-status");
  var pollUrl = table.getAttribute("data-poll");
  var rowsUrl = table.getAttribute("data-rows");
  var busy = false;
  var lastRows = Date.now();

  function focusedKey() {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("tr[data-key]") : null;
    return row ? row.getAttribute("data-key") : null;
  }

  function expired(response) {
    if (response.status === 401) { window.location.reload(); return true; }
    return false;
  }

  function swapRows() {
    return fetch(rowsUrl, { credentials: "same-origin" }).then(function (response) {
      if (expired(response) || !response.ok) { return null; }
      var signature = response.headers.get("X-Queue-Signature");
      return response.text().then(function (html) {
        var key = focusedKey();
        var body = table.tBodies[0];
        var before = body.querySelectorAll("tr[data-key]").length;
        var x = window.scrollX, y = window.scrollY;
        body.innerHTML = html;
        window.scrollTo(x, y);
        table.setAttribute("data-signature", signature || "");
        lastRows = Date.now();
        var after = body.querySelectorAll("tr[data-key]").length;
        if (key) {
          var rows = body.querySelectorAll("tr[data-key]");
          for (var i = 0; i < rows.length; i++) {
            if (rows[i].getAttribute("data-key") === key) {
              var link = rows[i].querySelector("a");
              if (link) { link.focus({ preventScroll: true }); }
              break;
            }
          }
        }
        if (live && after !== before) {
          live.textContent = "Queue updated: " + after + (after === 1 ? " hold." : " holds.");
        }
      });
    });
  }

  function tick() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(pollUrl, { credentials: "same-origin" }).then(function (response) {
      if (expired(response) || !response.ok) { return null; }
      return response.json();
    }).then(function (state) {
      var changed = state && state.signature !== table.getAttribute("data-signature");
      // Ages move on even when nothing else does: redraw them once a minute.
      if (changed || Date.now() - lastRows > 60000) { return swapRows(); }
      return null;
    }).catch(function () { return null; }).then(function () { busy = false; });
  }

  // A signature check is cheap; every 1.5 s keeps a new hold within seconds of its decision.
  window.setInterval(tick, 1500);
})();
