/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Registration: the ward list follows the province.
  var province = document.getElementById("province_code");
  var ward = document.getElementById("ward_code");
  if (province && ward) {
    province.addEventListener("change", function () {
      fetch("/areas/" + encodeURIComponent(province.value) + "/wards", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          var first = ward.options.length ? ward.options[0].cloneNode(true) : null;
          ward.innerHTML = "";
          if (first && first.value === "") ward.appendChild(first);
          items.forEach(function (w) {
            var o = document.createElement("option");
            o.value = String(w.code); o.textContent = w.name; ward.appendChild(o);
          });
        });
    });
  }

  // Report: ask for a second SpO2 reading when the first is at or below the threshold.
  var form = document.getElementById("report-form");
  if (form) {
    var spo2 = document.getElementById("spo2");
    var block = document.getElementById("recheck-block");
    var asked = document.getElementById("recheck_asked");
    var limit = parseInt(form.getAttribute("data-recheck-at"), 10);
    var update = function () {
      var v = parseInt((spo2.value || "").trim(), 10);
      if (!isNaN(v) && v <= limit) { block.classList.remove("js-hidden"); asked.value = "1"; }
    };
    if (spo2 && block) { spo2.addEventListener("input", update); update(); }
    var noOx = document.getElementById("no_oximeter");
    if (noOx && spo2) {
      noOx.addEventListener("change", function () { if (noOx.checked) { spo2.value = ""; } spo2.disabled = noOx.checked; });
      spo2.disabled = noOx.checked;
    }
  }

  // A double tap sends a form once (the server also de-duplicates by submission key).
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () {
      var b = f.querySelector("[data-once]");
      if (b) { setTimeout(function () { b.disabled = true; }, 0); }
    });
  });

  // Put the keyboard focus on the error summary after a rejected form.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

// Print buttons (the printable daily summary): the page's own print stylesheet does the rest.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
