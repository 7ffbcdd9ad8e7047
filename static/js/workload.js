// The workload page: "select all" ticks every patient's box (the server also reads all=1).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-select-all]")) return;
  var form = box.closest("form");
  form.querySelectorAll('input[name="patient"]').forEach(function (item) { item.checked = box.checked; });
});
