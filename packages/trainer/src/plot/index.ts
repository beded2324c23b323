export { plotHistory, renderHistorySvg, svgToPng } from './plot-history.js';
export { historyPoints, historyChartSpec, lossChartSpec, type PlotHistoryInput, type PlotOptions } from './chart-spec.js';
