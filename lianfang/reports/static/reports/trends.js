/* Trends page: one ECharts chart per element with data-chart, options from the json_script "chart-data". */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var options = JSON.parse(source.textContent);
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var option = options[el.dataset.chart];
    if (!option) { return; }
    var chart = echarts.init(el, null, { renderer: "svg" });
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    el.dataset.ready = "1";
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
