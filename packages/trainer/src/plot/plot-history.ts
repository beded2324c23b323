import fs from 'node:fs/promises';
import path from 'node:path';
import { PlotInputError } from '../errors.js';
import { lossChartSpec, type PlotHistoryInput, type PlotOptions } from './chart-spec.js';

// Loaded on first use: vega is ESM-only and large, and most trainer imports never plot. A static
// import would also make `require('@losskit/trainer')` fail for CommonJS loaders.
const loadVega = () => import('vega');
const loadVegaLite = () => import('vega-lite');
const loadResvg = () => import('@resvg/resvg-js');

/** Renders the history to an SVG string, headless (no browser, no canvas). */
export async function renderHistorySvg(history: PlotHistoryInput, options: PlotOptions = {}): Promise<string> {
  const spec = lossChartSpec(history, options);
  const [vega, vegaLite] = await Promise.all([loadVega(), loadVegaLite()]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG with resvg; missing fonts only drop text, they never fail the render. */
export async function svgToPng(svg: string, scale = 2, options: { systemFonts?: boolean } = {}): Promise<Buffer> {
  const { Resvg } = await loadResvg();
  const rendered = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    // DejaVu is preferred where installed; any other system sans-serif serves as fallback.
    font: { loadSystemFonts: options.systemFonts ?? true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render();
  return rendered.asPng();
}

/**
 * Writes a loss-curve picture of a training history: PNG for a `.png` file, SVG for `.svg`.
 *
 *     const history = await trainer.fit(x, y, { epochs: 20 });
 *     await plotHistory(history, 'loss.png');
 */
export async function plotHistory(history: PlotHistoryInput, file: string, options: PlotOptions = {}): Promise<string> {
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.png' && extension !== '.svg') {
    throw new PlotInputError(`plotHistory writes .png or .svg files; got '${file}'.`);
  }
  const svg = await renderHistorySvg(history, options);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, extension === '.svg' ? svg : await svgToPng(svg, options.pngScale ?? 2));
  return path.resolve(file);
}
