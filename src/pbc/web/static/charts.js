// Draw every Plotly figure on the page, without inline scripts (the content security policy
// allows scripts from this site only: docs/security.md).
//
//   <div class="pbc-chart" data-figure="ID" data-height="420"></div>
//   <script type="application/json" id="ID">{"data": [...], "layout": {...}}</script>
//
// A figure inside a hidden tab panel is drawn when its tab is first shown. Tabs:
//   <div data-tabs> <button data-tab-panel="PANEL-ID">...</button> ... </div>
(function () {
  "use strict";

  function draw(el) {
    if (el.dataset.drawn) return;
    var source = document.getElementById(el.dataset.figure);
    if (!source) return;
    var fig = JSON.parse(source.textContent);
    if (!fig) return;
    Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
    el.dataset.drawn = "1";
  }

  function drawVisible() {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      if (!el.closest("[hidden]")) draw(el);
    });
  }

  document.querySelectorAll("[data-figure][data-height]").forEach(function (el) {
    el.style.minHeight = el.dataset.height + "px"; // CSSOM: allowed without 'unsafe-inline'
  });

  document.querySelectorAll("[data-tabs]").forEach(function (group) {
    var tabs = Array.prototype.slice.call(group.querySelectorAll("[data-tab-panel]"));
    function show(chosen) {
      tabs.forEach(function (tab) {
        var on = tab === chosen;
        document.getElementById(tab.dataset.tabPanel).hidden = !on;
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
