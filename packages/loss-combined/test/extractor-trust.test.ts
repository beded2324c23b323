// tsyringe (imported below, before @losskit/core) needs the reflect polyfill loaded first.
import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry } from '@losskit/core';
import {
  allowExtractorModels,
  clearAllowedExtractorModels,
  ExtractorModelNotAllowedError,
  FeatureExtractorLoadError,
} from '@losskit/loss-combined';
import { saveToTempDir, tinyExtractorModel } from './helpers.js';

const registry = getLossRegistry();

/** Serves `files` (URL path -> bytes) on 127.0.0.1 and records every path requested. */
async function serve(files: Record<string, Buffer | string>): Promise<{ server: Server; base: string; requested: string[] }> {
  const requested: string[] = [];
  const server = createServer((request, response) => {
    requested.push(request.url ?? '');
    const body = files[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requested };
}

async function tinyModelFiles(seed: number): Promise<{ json: Record<string, unknown>; weights: Buffer }> {
  const path = await saveToTempDir(tinyExtractorModel(3, seed));
  return { json: JSON.parse(await readFile(path, 'utf8')), weights: await readFile(join(dirname(path), 'weights.bin')) };
}

const spec = (model: string) => ({ name: 'combined', options: { alpha: 0, layers: [{ name: 'conv_a' }], extractor: { model } } });

describe('combined loss: extractor.model is loaded only where the application allows it', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => clearAllowedExtractorModels());
  // Other test files allow their temp files in their own before hooks; leave the same state behind.
  after(() => allowExtractorModels(tmpdir(), '/nonexistent/losskit/model.json'));

  it('a URL in a spec is not fetched until allowed; once allowed, it loads from the loopback server', async () => {
    const { json, weights } = await tinyModelFiles(71);
    const { server, base, requested } = await serve({ '/m/model.json': JSON.stringify(json), '/m/weights.bin': weights });
    try {
      const url = `${base}/m/model.json`;
      const refused = await registry.resolve(spec(url)).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(ExtractorModelNotAllowedError);
      expect((refused as Error).message).to.include(`allowExtractorModels('${url}')`);
      expect(requested, 'nothing was fetched').to.deep.equal([]);

      allowExtractorModels(`${base}/m/`);
      const tensors = tf.memory().numTensors;
      const loss = await registry.resolve(spec(url));
      expect(requested).to.deep.equal(['/m/model.json', '/m/weights.bin']);
      const value = loss.compute(tf.zeros([1, 4, 4, 3]), tf.zeros([1, 4, 4, 3]));
      expect(value.dataSync()[0]).to.equal(0);
      value.dispose();
      loss.dispose();
      expect(tf.memory().numTensors).to.be.greaterThan(tensors, 'the loaded network stays cached');
    } finally {
      server.close();
    }
  });

  it('an allowed model.json cannot send the weight fetch outside its directory, nor to another host', async () => {
    const { json, weights } = await tinyModelFiles(72);
    for (const [i, path] of ['../secret.bin', 'http://127.0.0.2/weights.bin', '/abs/weights.bin'].entries()) {
      const manifest = structuredClone(json) as { weightsManifest: { paths: string[] }[] };
      manifest.weightsManifest[0]!.paths = [path];
      const { server, base, requested } = await serve({ [`/m${i}/model.json`]: JSON.stringify(manifest), '/secret.bin': weights });
      try {
        const url = `${base}/m${i}/model.json`;
        allowExtractorModels(url);
        const error = await registry.resolve(spec(url)).catch((e: unknown) => e);
        expect(error, path).to.be.instanceOf(FeatureExtractorLoadError);
        expect((error as Error).message).to.match(/weight file outside its own directory/);
        expect(requested, path).to.deep.equal([`/m${i}/model.json`]);
      } finally {
        server.close();
      }
    }
  });

  it('a file path in a spec is refused until allowed, and its weight paths stay in its directory', async () => {
    const path = await saveToTempDir(tinyExtractorModel(3, 73));
    const refused = await registry.resolve(spec(path)).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ExtractorModelNotAllowedError);

    allowExtractorModels(dirname(path));
    const json = JSON.parse(await readFile(path, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0]!.paths = ['../../etc/hostname'];
    await writeFile(path, JSON.stringify(json));
    const escaped = await registry.resolve(spec(path)).catch((e: unknown) => e);
    expect(escaped).to.be.instanceOf(FeatureExtractorLoadError);
    expect((escaped as Error).message).to.match(/weight file outside its own directory/);
  });
});
