/* Loads plotly.js (served by f0monitor itself) after the page, then draws the charts.
 *
 * Two ways: charts whose figures are in the page ([data-figure], the staff pages), drawn once
 * the page has loaded; and the patient home's charts on demand (#charts[data-charts]): its
 * figures and plotly.js are fetched only when the patient taps "show", or at once on a large
 * screen, so a phone on a weak network is not made to download them.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var plotly = null;

  function loadPlotly(url) {
    if (!plotly) {
      plotly = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = url; s.onload = resolve; s.onerror = reject;
        document.body.appendChild(s);
      });
    }
    return plotly;
  }
  function draw(el, fig) {
    window.Plotly.newPlot(el, fig.data, fig.layout, { displayModeBar: false, responsive: true });
  }

  var inPage = document.querySelectorAll("[data-figure]");
  if (inPage.length) {
    var start = function () {
      loadPlotly(me.getAttribute("data-plotly")).then(function () {
        inPage.forEach(function (el) { draw(el, JSON.parse(el.getAttribute("data-figure"))); });
      });
    };
    if (document.readyState === "complete") start(); else window.addEventListener("load", start);
  }

  var box = document.getElementById("charts");
  if (!box || !box.getAttribute("data-charts")) return;
  var button = document.getElementById("show-charts");
  var list = document.getElementById("chart-list");
  var shown = false;
  function show() {
    if (shown) return;
    shown = true;
    button.disabled = true;
    fetch(box.getAttribute("data-charts"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(); return r.json(); })
      .then(function (body) {
        return loadPlotly(box.getAttribute("data-plotly")).then(function () {
          var label = list.getAttribute("data-label");
          body.figures.forEach(function (f) {
            var el = document.createElement("div");
            el.className = "chart"; el.setAttribute("role", "img");
            el.setAttribute("aria-label", label.replace("%(name)s", f.title));
            list.appendChild(el);
            draw(el, JSON.parse(f.figure));
          });
          button.hidden = true;
          box.querySelector(".hint").hidden = true;
        });
      })
      .catch(function () { shown = false; button.disabled = false; });
  }
  button.addEventListener("click", show);
  var large = window.matchMedia && window.matchMedia("(min-width: 900px)").matches;
  if (large && navigator.onLine) {
    if (document.readyState === "complete") show(); else window.addEventListener("load", show);
  }
})();
