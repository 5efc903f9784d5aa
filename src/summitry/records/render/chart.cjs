// Draws one ECharts option as SVG, on the server: echarts' own SSR mode, no browser.
// Usage: node chart.cjs ECHARTS_JS WIDTH HEIGHT < option.json > chart.svg
"use strict";
const [echartsPath, width, height] = process.argv.slice(2);
// Compiled as CommonJS whatever the nearest package.json says of .js files (Summitry's own is an
// ES module package, and the copy of echarts.min.js in the package has no package.json beside it).
const Module = require("node:module");
const loaded = new Module(echartsPath);
loaded.filename = echartsPath;
loaded._compile(require("node:fs").readFileSync(echartsPath, "utf8"), echartsPath);
const echarts = loaded.exports;
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const chart = echarts.init(null, null, {
    renderer: "svg", ssr: true, width: Number(width), height: Number(height),
  });
  chart.setOption(JSON.parse(input));
  const svg = chart.renderToSVGString();
  chart.dispose();
  // zrender keeps an animation timer alive: end once the pipe has taken the whole drawing
  // (writes to a pipe are asynchronous, and an early exit would cut the SVG short).
  process.stdout.write(svg, () => process.exit(0));
});
