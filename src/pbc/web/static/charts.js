// Draw every Plotly chart on the page, without inline scripts (the content security policy
// allows scripts from this site only: docs/security.md). The markup (templates/_charts.jinja):
//
//   <div class="pbc-chart" id="ID" data-figure="DATA-ID" data-height="420"></div>
//   <script type="application/json" id="DATA-ID">{"data": [...], "layout": {...}}</script>
//
// A chart inside a hidden tab panel is drawn when its tab is first shown. Tabs:
//   <div data-tabs> <button role="tab" aria-controls="PANEL-ID">...</button> ... </div>
(function () {
  "use strict";

  function draw(el) {
    if (el.dataset.drawn) return;
    var source = document.getElementById(el.dataset.figure);
    var fig = source ? JSON.parse(source.textContent) : null;
    if (!fig) return;
    Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
    el.dataset.drawn = "1";
  }

  function drawVisible() {
    document.querySelectorAll(".pbc-chart[data-figure]").forEach(function (el) {
      if (!el.closest("[hidden]")) draw(el);
    });
  }

  document.querySelectorAll(".pbc-chart[data-height]").forEach(function (el) {
    el.style.minHeight = el.dataset.height + "px"; // through the CSSOM: no inline style needed
  });

  document.querySelectorAll("[data-tabs]").forEach(function (group) {
    var tabs = Array.prototype.slice.call(group.querySelectorAll("[role=tab]"));
    function show(chosen) {
      tabs.forEach(function (tab) {
        var on = tab === chosen;
        document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
        tab.setAttribute("aria-selected", on ? "true" : "false");
      });
      drawVisible();
    }
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab); });
    });
  });

  drawVisible();
})();
