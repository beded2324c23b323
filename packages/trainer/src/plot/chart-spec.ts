import type * as vegaLite from 'vega-lite';
import { PlotInputError } from '../errors.js';

// The loss-curve chart as data: the history turned into rows and a Vega-Lite spec. No vega, no
// Node built-ins: Node's plotHistory (SVG/PNG files) and the browser's renderLossChart
// ('@losskit/trainer/chart', vega-embed in a page) draw the same chart from this one spec.

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
export function historyPoints(input: PlotHistoryInput, keys?: readonly string[], caller = 'plotHistory'): Point[] {
  const { series, epochs } = splitHistory(input);
  const chosen = keys ?? Object.keys(series).filter((key) => series[key]!.some((v) => typeof v === 'number'));
  const points: Point[] = [];
  for (const key of chosen) {
    const values = series[key];
    if (!values) {
      throw new PlotInputError(`${caller}: the history has no series '${key}'; it has ${Object.keys(series).join(', ')}.`);
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

/** The chart of a history as Node and the browser draw it; an error (naming `caller`) when nothing can be drawn. */
export function lossChartSpec(history: PlotHistoryInput, options: PlotOptions = {}, caller = 'plotHistory'): vegaLite.TopLevelSpec {
  const points = historyPoints(history, options.keys, caller);
  if (points.length === 0) throw new PlotInputError(`${caller}: the history has no finite values to plot.`);
  return historyChartSpec(points, options);
}
