/** Charts as standalone SVG strings: no dependencies, no DOM; write them to .svg files or inline them in a page. */
export { lineChart, type LineChartOptions, type LineSeries } from './svg-line.js';
export { heatmap, type HeatmapOptions } from './svg-heatmap.js';
export { barChart, type BarChartOptions, type BarSeries } from './svg-bar.js';
export { PALETTE, niceTicks, viridis } from './svg-kit.js';
