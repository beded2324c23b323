import fs from 'node:fs/promises';
import path from 'node:path';
import type * as vegaLite from 'vega-lite';
import { PlotInputError } from '../errors.js';

// Loaded on first use: vega is ESM-only and large, and most trainer imports never plot. A static
// import would also make `require('@losskit/trainer')` fail for CommonJS loaders.
const loadVega = () => import('vega');
const loadVegaLite = () => import('vega-lite');
const loadResvg = () => import('@resvg/resvg-js');

/** `tf.History` (or the Trainer's history): per-key series, one value per epoch. */
export type PlotHistoryInput =
  | Record<string, readonly (number | unknown)[]>
  | { history: Record<string, readonly (number | unknown)[]>; epoch?: readonly number[] };

export interface PlotOptions {
  /** Which series to draw; default every numeric series (loss, val_loss, per-output terms, metrics). */
  keys?: readonly string[];
  title?: string;
  /** Size of the plotting area in CSS pixels; axes and legend add to it. Default 600 x 320. */
  width?: number;
  height?: number;
  /** A log y axis helps when the loss falls by orders of magnitude. Default 'linear'. */
  yScale?: 'linear' | 'log';
  /** PNG pixels per SVG pixel. Default 2 (sharp on high-density screens). */
  pngScale?: number;
}

interface Point {
  epoch: number;
  value: number;
  series: string;
}

/** The history as long-form rows; NaN and infinite values are left out rather than breaking the scale. */
export function historyPoints(input: PlotHistoryInput, keys?: readonly string[]): Point[] {
  const { series, epochs } = splitHistory(input);
  const chosen = keys ?? Object.keys(series).filter((key) => series[key]!.some((v) => typeof v === 'number'));
  const points: Point[] = [];
  for (const key of chosen) {
    const values = series[key];
    if (!values) {
      throw new PlotInputError(`plotHistory: the history has no series '${key}'; it has ${Object.keys(series).join(', ')}.`);
    }
    values.forEach((value, i) => {
      if (typeof value === 'number' && Number.isFinite(value)) {
        points.push({ epoch: (epochs?.[i] ?? i) + 1, value, series: key });
      }
    });
  }
  return points;
}

function splitHistory(input: PlotHistoryInput): {
  series: Record<string, readonly unknown[]>;
  epochs: readonly number[] | undefined;
} {
  if ('history' in input && typeof input.history === 'object' && !Array.isArray(input.history)) {
    const epoch = (input as { epoch?: readonly number[] }).epoch;
    return { series: input.history as Record<string, readonly unknown[]>, epochs: epoch?.length ? epoch : undefined };
  }
  return { series: input as Record<string, readonly unknown[]>, epochs: undefined };
}

/** A Vega-Lite line chart of loss (and metric) per epoch, one colour per series. */
export function historyChartSpec(points: readonly Point[], options: PlotOptions = {}): vegaLite.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 600,
    height: options.height ?? 320,
    background: 'white',
    data: { values: points.map((point) => ({ ...point })) },
    mark: { type: 'line', point: points.length <= 400, strokeWidth: 2 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'value',
        scale: { type: options.yScale ?? 'linear', zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Renders the history to an SVG string, headless (no browser, no canvas). */
export async function renderHistorySvg(history: PlotHistoryInput, options: PlotOptions = {}): Promise<string> {
  const points = historyPoints(history, options.keys);
  if (points.length === 0) throw new PlotInputError('plotHistory: the history has no finite values to plot.');
  const [vega, vegaLite] = await Promise.all([loadVega(), loadVegaLite()]);
  const compiled = vegaLite.compile(historyChartSpec(points, options)).spec;
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
