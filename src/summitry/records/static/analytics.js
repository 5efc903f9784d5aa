// Draws each chart of the analytics page with ECharts, from the option the server wrote into
// the page (the same option the server draws as SVG and PNG for reports).
const charts = [];
for (const el of document.querySelectorAll("[data-chart]")) {
  const option = JSON.parse(document.getElementById(`option-${el.dataset.chart}`).textContent);
  const chart = globalThis.echarts.init(el, null, { renderer: "svg" });
  chart.setOption(option);
  charts.push(chart);
}
addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
