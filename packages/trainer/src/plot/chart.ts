import type { Result as EmbedResult } from 'vega-embed';
import { PlotInputError } from '../errors.js';
import { checkKeys, checkOptionsObject, oneOf } from '../options/strict.js';
import { historyChartSpec, historyPoints, lossChartSpec, type PlotHistoryInput, type PlotOptions } from './chart-spec.js';

// '@losskit/trainer/chart': the loss-curve chart in a browser page, from the same Vega-Lite spec
// Node's plotHistory renders to PNG/SVG. vega-embed (with vega and vega-lite, about 1 MB
// minified) is imported only when a chart is drawn, so a page that never draws one does not
// load it: bundlers put it in a chunk of its own (esbuild with --splitting, Vite by default).

export { historyPoints, historyChartSpec, lossChartSpec, type PlotHistoryInput, type PlotOptions };

type Embed = (element: unknown, spec: unknown, options: { renderer: 'svg' | 'canvas'; actions: boolean }) => Promise<EmbedResult>;

async function loadVegaEmbed(): Promise<Embed> {
  // vega-embed's types describe a CommonJS module (its package.json has no "type": "module"),
  // while bundlers load its ES module build, whose default export is embed itself.
  const module = (await import('vega-embed')) as unknown as { default: Embed | { default: Embed } };
  return typeof module.default === 'function' ? module.default : module.default.default;
}

/** The page's document where there is one; typed structurally, so the package needs no DOM typings. */
const pageDocument = () => (globalThis as { document?: { querySelector(selector: string): object | null } }).document;

export interface ChartOptions extends Omit<PlotOptions, 'pngScale'> {
  /** 'svg' (default: crisp, selectable, easy to inspect) or 'canvas'. */
  renderer?: 'svg' | 'canvas';
  /** vega-embed's export/source menu beside the chart. Default false. */
  actions?: boolean;
}

const CHART_OPTIONS = ['keys', 'title', 'width', 'height', 'yScale', 'renderer', 'actions'] as const;

/** A drawn chart: vega's view (for `view.toSVG()`, `view.toImageURL('png')`) and `finalize()` to remove its listeners. */
export interface LossChart {
  view: EmbedResult['view'];
  finalize(): void;
}

/**
 * Draws the loss curves of a history (the Trainer's, or a `tf.History`) into `target`, an
 * element (HTMLElement) or a CSS selector; the chart replaces what the element held.
 *
 *     const { history } = await trainer.fit(x, y, { epochs: 20 });
 *     await renderLossChart('#chart', history, { title: 'loss' });
 */
export async function renderLossChart(target: object | string, history: PlotHistoryInput, options: ChartOptions = {}): Promise<LossChart> {
  const checked = checkOptionsObject(options, 'renderLossChart', "{ title: 'loss', yScale: 'log' }") as ChartOptions;
  checkKeys(checked, CHART_OPTIONS, 'renderLossChart');
  const renderer = oneOf(checked.renderer ?? 'svg', ['svg', 'canvas'] as const, 'renderLossChart: renderer');
  const element = typeof target === 'string' ? pageDocument()?.querySelector(target) : target;
  if (!element) {
    throw new PlotInputError(
      pageDocument() === undefined
        ? 'renderLossChart needs a browser page (document); in Node, write a file with plotHistory from @losskit/trainer/plot.'
        : `renderLossChart: no element matches '${String(target)}'; pass an element or a selector of one on the page.`,
    );
  }
  const spec = lossChartSpec(history, checked, 'renderLossChart');
  const embed = await loadVegaEmbed();
  const result = await embed(element, spec, { renderer, actions: checked.actions ?? false });
  return { view: result.view, finalize: () => result.finalize() };
}
