import { expect } from 'chai';
import { historyChartSpec, historyPoints, lossChartSpec, renderLossChart } from '@losskit/trainer/chart';
import { historyChartSpec as nodeChartSpec } from '@losskit/trainer/plot';

// '@losskit/trainer/chart' draws in a page (test/browser/chromium.test.ts renders it in
// Chromium); here, what it checks before it loads vega-embed, and that it is Node's chart.
describe('@losskit/trainer/chart', () => {
  const history = { loss: [0.5, 0.25, Number.NaN, 0.125] };

  it("builds the same Vega-Lite spec as Node's plotHistory, from the finite values", () => {
    const points = historyPoints(history);
    expect(points).to.deep.equal([
      { epoch: 1, value: 0.5, series: 'loss' },
      { epoch: 2, value: 0.25, series: 'loss' },
      { epoch: 4, value: 0.125, series: 'loss' },
    ]);
    expect(historyChartSpec).to.equal(nodeChartSpec);
    expect(lossChartSpec(history, { title: 't' })).to.deep.equal(nodeChartSpec(points, { title: 't' }));
  });

  it('names an unknown option with the nearest known one, a bad renderer, and the missing page', async () => {
    const failure = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: Error) => error.message);
    expect(await failure(renderLossChart('#chart', history, { titel: 'x' } as never))).to.equal(
      "renderLossChart: unknown option 'titel' (did you mean 'title'?). Options are: keys, title, width, height, yScale, renderer, actions.",
    );
    expect(await failure(renderLossChart('#chart', history, { renderer: 'png' } as never))).to.match(/^renderLossChart: renderer must be one of "svg", "canvas" \(got "png"\)/);
    expect(await failure(renderLossChart('#chart', history))).to.match(/^renderLossChart needs a browser page \(document\); in Node, write a file with plotHistory/);
    expect(await failure(renderLossChart({}, { loss: [Number.NaN] }))).to.equal('renderLossChart: the history has no finite values to plot.');
    expect(await failure(renderLossChart({}, history, { keys: ['val_loss'] }))).to.equal("renderLossChart: the history has no series 'val_loss'; it has loss.");
  });
});
