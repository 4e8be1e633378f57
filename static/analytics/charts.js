/* Chart.js wiring for the analytics pages. Data comes from json_script blocks (the same
   numbers the API returns), so the page works without extra requests. */
(function () {
  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  var palette = ["#b3261e", "#0b5cab", "#1b7f3b", "#b26a00", "#6a1b9a", "#00838f", "#5d4037", "#546e7a"];
  var common = { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
  window.vocCharts = {
    top: function (canvasId, dataId, currentLabel, previousLabel) {
      var d = data(dataId);
      return new Chart(document.getElementById(canvasId), {
        type: "bar",
        data: { labels: d.labels, datasets: [
          { label: currentLabel, data: d.current, backgroundColor: palette[0] },
          { label: previousLabel, data: d.previous, backgroundColor: "#9aa7b4" } ] },
        options: Object.assign({ indexAxis: "y", scales: { x: { beginAtZero: true } } }, common)
      });
    },
    trend: function (canvasId, dataId) {
      var d = data(dataId);
      return new Chart(document.getElementById(canvasId), {
        type: "line",
        data: { labels: d.labels, datasets: d.series.map(function (s, i) {
          return { label: s.label, data: s.data, borderColor: palette[i % palette.length],
                   backgroundColor: palette[i % palette.length], tension: 0.2, pointRadius: 2 }; }) },
        options: Object.assign({ scales: { y: { beginAtZero: true } } }, common)
      });
    }
  };
  // <canvas data-chart="top|trend" data-source="json_script id">: drawn once the page is parsed
  // (no inline script: Content-Security-Policy).
  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      if (c.dataset.chart === "top") {
        window.vocCharts.top(c.id, c.dataset.source, c.dataset.currentLabel, c.dataset.previousLabel);
      } else if (c.dataset.chart === "trend") {
        window.vocCharts.trend(c.id, c.dataset.source);
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", drawAll); } else { drawAll(); }
})();
