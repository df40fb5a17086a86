// The dashboard's progressive enhancement: every page works without it; with it, charts
// are drawn, the parameter tree filters as one types, and live lists keep a selection.

const ready = (fn) => {
  if (window.htmx) window.htmx.onLoad(fn);
  else document.addEventListener("DOMContentLoaded", () => fn(document.body));
};

// Charts: <div class="chart" data-chart='{"label": "...", "x": [epoch s], "y": [n]}'>
function drawCharts(root) {
  if (!window.uPlot) return;
  const scope = root.matches && root.matches("[data-chart]") ? [root] : [];
  for (const el of [...scope, ...root.querySelectorAll("[data-chart]")]) {
    if (el.dataset.drawn) continue;
    el.dataset.drawn = "1";
    const data = JSON.parse(el.dataset.chart);
    const width = Math.max(260, el.clientWidth || 600);
    const opts = {
      width, height: 220,
      series: [{}, { label: data.label, stroke: "#1f5fbf", fill: "rgba(31,95,191,0.12)",
                     width: 2, points: { show: data.x.length < 60 }, paths: data.steps ? window.uPlot.paths.stepped({ align: 1 }) : undefined }],
      axes: [{}, { size: 60 }],
      legend: { show: true },
    };
    el.textContent = "";
    const chart = new window.uPlot(opts, [data.x, data.y], el);
    new ResizeObserver(() => chart.setSize({ width: Math.max(260, el.clientWidth), height: 220 })).observe(el);
  }
}

// The parameter tree's search box: <input data-filter-tree="#tree-id">
function filterTree(input) {
  const tree = document.querySelector(input.dataset.filterTree);
  if (!tree) return;
  const needle = input.value.trim().toLowerCase();
  let shown = 0;
  for (const leaf of tree.querySelectorAll("[data-parameter]")) {
    const text = (leaf.dataset.parameter + " " + (leaf.dataset.value || "")).toLowerCase();
    const match = !needle || text.includes(needle);
    leaf.hidden = !match;
    if (match) shown += 1;
  }
  for (const node of [...tree.querySelectorAll("details")].reverse()) {
    const visible = node.querySelector("[data-parameter]:not([hidden])") !== null;
    node.hidden = !visible;
    if (needle) node.open = visible;
  }
  const count = document.querySelector(input.dataset.filterCount || "#parameter-count");
  if (count) count.textContent = needle ? `${shown} matching` : "";
}

function wireTreeSearch(root) {
  for (const input of root.querySelectorAll("[data-filter-tree]")) {
    if (input.dataset.wired) continue;
    input.dataset.wired = "1";
    input.addEventListener("input", () => filterTree(input));
    if (input.value) filterTree(input);
  }
}

// "Select all" checkboxes: <input type=checkbox data-select-all="form-id">
function wireSelectAll(root) {
  for (const box of root.querySelectorAll("[data-select-all]")) {
    if (box.dataset.wired) continue;
    box.dataset.wired = "1";
    box.addEventListener("change", () => {
      const form = document.getElementById(box.dataset.selectAll);
      for (const other of form.querySelectorAll("input[type=checkbox][name=device]")) {
        other.checked = box.checked;
      }
    });
  }
}

// A live list (hx-trigger="every 5s") pauses while its form has a checked box, so that
// refreshing it never loses a selection: <tbody data-pause-when-checked="form-id">
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  const formId = elt.dataset && elt.dataset.pauseWhenChecked;
  if (!formId) return;
  const form = document.getElementById(formId);
  const busy = form && form.querySelector("input[type=checkbox]:checked");
  const focused = form && form.contains(document.activeElement) && document.activeElement.type !== "checkbox";
  if (busy || focused || document.hidden) event.preventDefault();
});

// Polling of a fragment stops when the fragment says it is final: data-live="off"
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (elt.dataset && elt.dataset.live === "off") event.preventDefault();
});

// A refused change made in place (a 4xx answer to hx-post) is said at the top of the page.
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const said = doc.querySelector("[role=alert], #forbidden p, #message p");
  let flash = document.getElementById("flash");
  if (!flash) {
    flash = document.createElement("p");
    flash.id = "flash";
    flash.setAttribute("role", "alert");
    document.getElementById("main").prepend(flash);
  }
  flash.classList.add("error");
  flash.textContent = `Not done (${xhr.status}): ${said ? said.textContent.trim() : xhr.statusText}`;
  flash.scrollIntoView({ block: "nearest" });
});

ready((root) => {
  drawCharts(root);
  wireTreeSearch(root);
  wireSelectAll(root);
});
