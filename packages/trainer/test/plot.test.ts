import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { plotHistory } from '@losskit/trainer';
import { renderHistorySvg, svgToPng } from '@losskit/trainer/plot';
import { makeTempDir } from './support/persistence-models.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isBackground(png: PNG, x: number, y: number): boolean {
  const i = (png.width * y + x) * 4;
  return png.data[i]! > 245 && png.data[i + 1]! > 245 && png.data[i + 2]! > 245;
}

describe('plotHistory', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = makeTempDir('plot');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const history = {
    epoch: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    history: { loss: [1, 0.6, 0.4, 0.3, 0.22, 0.18, 0.15, 0.13, 0.12, 0.11], val_loss: [1.1, 0.7, 0.5, 0.42, 0.35, 0.33, 0.31, 0.3, 0.3, 0.29] },
  };

  it('writes a PNG whose size follows the SVG and whose curve pixels are drawn', async () => {
    const file = await plotHistory(history, path.join(dir, 'loss.png'), { width: 400, height: 200, pngScale: 1 });
    const bytes = fs.readFileSync(file);
    expect([...bytes.subarray(0, 8)]).to.deep.equal(PNG_SIGNATURE);
    const png = PNG.sync.read(bytes);
    // The independent reference for the size is the SVG vega produced for the same chart.
    const svg = await renderHistorySvg(history, { width: 400, height: 200 });
    const [, svgWidth, svgHeight] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
    expect([png.width, png.height]).to.deep.equal([Number(svgWidth), Number(svgHeight)]);
    expect(png.width).to.be.greaterThan(400);

    // Locate the plotting area from the SVG's translate of the chart group, then check that the
    // first loss point (epoch 1, the maximum of 'loss' near the top-left) is not background.
    const [, left, top] = /translate\((\d+(?:\.\d+)?),(\d+(?:\.\d+)?)\)/.exec(svg)!.map(Number) as [unknown, number, number];
    const nonBackground = (x0: number, y0: number, radius: number) => {
      let count = 0;
      for (let y = Math.max(0, y0 - radius); y <= Math.min(png.height - 1, y0 + radius); y++) {
        for (let x = Math.max(0, x0 - radius); x <= Math.min(png.width - 1, x0 + radius); x++) if (!isBackground(png, x, y)) count++;
      }
      return count;
    };
    // y domain is [~0.1, ~1.1] (zero: false), so loss(epoch 1) = 1 lies a little below the top edge.
    const yOfLossStart = Math.round(top + 200 * (1 - (1 - 0.1) / (1.1 - 0.1)));
    expect(nonBackground(Math.round(left), yOfLossStart, 6), 'pixels of the curve near its first point').to.be.greaterThan(5);
    // The empty upper-right region of the plot (low losses, late epochs, only gridlines) is mostly background.
    let background = 0;
    let total = 0;
    for (let y = Math.round(top + 10); y < top + 60; y++) {
      for (let x = Math.round(left + 250); x < left + 390; x++, total++) if (isBackground(png, x, y)) background++;
    }
    expect(background / total).to.be.greaterThan(0.8);
  });

  it('writes an SVG for a .svg file, with one line per series and a legend', async () => {
    const file = await plotHistory(history.history, path.join(dir, 'nested', 'loss.svg'));
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.include('>loss<');
    expect(svg).to.include('>val_loss<');
    expect(svg).to.include('mark-line');
  });

  it('skips NaN values, rejects unknown keys and unknown file types with a clear message', async () => {
    const svg = await renderHistorySvg({ loss: [1, Number.NaN, 0.5] });
    expect(svg).to.include('<svg');
    try {
      await renderHistorySvg({ loss: [1] }, { keys: ['acc'] });
      expect.fail('expected an error');
    } catch (error) {
      expect((error as Error).message).to.match(/no series 'acc'; it has loss/);
    }
    try {
      await plotHistory({ loss: [1] }, path.join(dir, 'loss.jpg'));
      expect.fail('expected an error');
    } catch (error) {
      expect((error as Error).message).to.match(/\.png or \.svg/);
    }
  });

  it('renders (without text) rather than failing when no font is available', async () => {
    const svg = await renderHistorySvg({ loss: [1, 0.5, 0.25] });
    const withFonts = PNG.sync.read(await svgToPng(svg, 1));
    const withoutFonts = PNG.sync.read(await svgToPng(svg, 1, { systemFonts: false }));
    expect([withoutFonts.width, withoutFonts.height]).to.deep.equal([withFonts.width, withFonts.height]);
    const inked = (png: PNG) => png.data.filter((_, i) => i % 4 === 0 && png.data[i]! < 128).length;
    expect(inked(withoutFonts), 'axis labels are missing, the lines are not').to.be.lessThan(inked(withFonts));
    expect(inked(withoutFonts)).to.be.greaterThan(0);
  });
});
