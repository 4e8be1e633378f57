/* Call QA: a hit's ▶ button plays the call from that second (the recordings player on the page). */
(function () {
  "use strict";
  function seek(t) {
    var audio = document.querySelector("[data-player] audio");
    if (!audio || isNaN(t)) return;
    var go = function () {
      audio.currentTime = Math.max(0, t);
      var p = audio.play();
      if (p && p.catch) p.catch(function () {});
    };
    if (audio.readyState >= 1) go();
    else { audio.addEventListener("loadedmetadata", go, { once: true }); audio.load(); }
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-seek]");
    if (b) { e.preventDefault(); seek(parseFloat(b.dataset.seek)); }
  });
})();
