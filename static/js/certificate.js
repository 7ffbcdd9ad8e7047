// The certificate page's print button (no inline script: the CSP forbids it).
(function () {
  var button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
