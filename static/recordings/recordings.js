/* Recordings: synced transcript player (no CDN, no framework).
   - clicking a segment seeks the audio and plays;
   - the segment being played is highlighted (and kept in view);
   - the search box filters segments client-side;
   - error responses of the upload form (400) are still swapped into the panel. */
(function () {
  "use strict";
  if (window.vocRecordings) { window.vocRecordings.scan(document); return; }

  function segmentsOf(player) { return Array.prototype.slice.call(player.querySelectorAll("li[data-start]")); }

  function init(player) {
    if (player.dataset.ready) return;
    player.dataset.ready = "1";
    var audio = player.querySelector("audio");
    var segs = segmentsOf(player);
    var current = null;
    if (audio) {
      audio.addEventListener("timeupdate", function () {
        var t = audio.currentTime, hit = null;
        for (var i = 0; i < segs.length; i++) {
          var s = parseFloat(segs[i].dataset.start), e = parseFloat(segs[i].dataset.end);
          if (t >= s && t < e) { hit = segs[i]; break; }
        }
        if (hit === current) return;
        if (current) { current.classList.remove("playing"); current.removeAttribute("aria-current"); }
        current = hit;
        if (hit) {
          hit.classList.add("playing");
          hit.setAttribute("aria-current", "true");
          var list = hit.parentNode;
          if (list && (hit.offsetTop < list.scrollTop || hit.offsetTop > list.scrollTop + list.clientHeight - 30)) {
            list.scrollTop = hit.offsetTop - list.offsetTop;
          }
        }
      });
    }
    segs.forEach(function (li) {
      var btn = li.querySelector("button") || li;
      btn.addEventListener("click", function () {
        if (!audio) return;
        audio.currentTime = parseFloat(li.dataset.start) + 0.01;
        var p = audio.play();
        if (p && p.catch) p.catch(function () {});
      });
    });
    player.querySelectorAll("button[data-src]").forEach(function (b) {
      b.addEventListener("click", function () {
        if (!audio) return;
        audio.src = b.dataset.src;
        player.querySelectorAll("button[data-src]").forEach(function (o) { o.setAttribute("aria-pressed", o === b ? "true" : "false"); });
        var p = audio.play();
        if (p && p.catch) p.catch(function () {});
      });
    });
    var search = player.querySelector("input[data-rec-search]");
    var counter = player.querySelector("[data-rec-count]");
    if (search) {
      search.addEventListener("input", function () {
        var q = search.value.trim().toLowerCase(), shown = 0;
        segs.forEach(function (li) {
          var ok = !q || li.textContent.toLowerCase().indexOf(q) !== -1;
          li.hidden = !ok;
          if (ok) shown++;
        });
        if (counter) counter.textContent = q ? shown + " / " + segs.length : "";
      });
    }
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-player]").forEach(init);
  }

  window.vocRecordings = { scan: scan };
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (e) { scan(e.target.parentNode || document); });
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr && xhr.status === 400 && e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-rec-panel]")) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  if (document.readyState !== "loading") scan(document);
})();
