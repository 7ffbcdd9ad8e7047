/* Loads plotly.js (served by f0monitor itself) after the page, then draws the charts. */
(function () {
  "use strict";
  var me = document.currentScript;
  var charts = document.querySelectorAll("[data-figure]");
  if (!charts.length) return;
  function draw() {
    charts.forEach(function (el) {
      var fig = JSON.parse(el.getAttribute("data-figure"));
      window.Plotly.newPlot(el, fig.data, fig.layout, { displayModeBar: false, responsive: true });
    });
  }
  function load() {
    var s = document.createElement("script");
    s.src = me.getAttribute("data-plotly");
    s.onload = draw;
    document.body.appendChild(s);
  }
  if (document.readyState === "complete") load(); else window.addEventListener("load", load);
})();
