export { plotHistory, renderHistorySvg, svgToPng, historyPoints, historyChartSpec, type PlotHistoryInput, type PlotOptions } from './plot-history.js';
