// fundguard web app: the pages' only script (a file, so the Content-Security-Policy allows no inline script)
document.addEventListener("DOMContentLoaded", function () {
  const filters = document.getElementById("filters");
  if (!filters) return;
  // the period picker opens that month's list
  const period = filters.querySelector("select[name=_period]");
  if (period) {
    period.addEventListener("change", function () {
      location.href = "/periods/" + encodeURIComponent(this.value) + "/" + encodeURIComponent(this.dataset.entity);
    });
  }
  // drop empty fields and the period picker from the query, so links stay short and shareable
  filters.addEventListener("submit", function () {
    for (const el of this.elements) { if (el.name && (el.value === "" || el.name === "_period")) el.disabled = true; }
  });
});
