/**
 * A gradient worker of a fit with `workers` (runs in a worker thread; Node only). It rebuilds
 * the model from JSON on its own backend, re-resolves the losses by name, and for each step
 * request computes the gradient of its slice's share of the batch's loss (parallel-share.ts)
 * at the weights the trainer published, into its shared gradient slot. It applies nothing: the
 * trainer's optimizer does, in the trainer's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { copyValuesInto, releaseGradientTape } from '../tfjs-internals.js';
import { CompiledLoss } from './compiled-loss.js';
import { readRows } from './parallel-rows.js';
import { shareOfLoss } from './parallel-share.js';
import type { PlainTensor, StepRequest, WorkerReply, WorkerSetup } from './parallel-protocol.js';
import { withSeededMathRandom } from './seeded-random.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
let where = 'start-up';

const toTensor = (t: PlainTensor): tf.Tensor => tf.tensor(t.values, t.shape, t.dtype);

async function activateBackend(name: string): Promise<void> {
  // The same kernels as the trainer's thread: wasm with losskit's training kernels.
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    await import('@losskit/wasm-training' as string);
  } else if (name === 'tensorflow') {
    await import('@tensorflow/tfjs-node' as string);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed in the worker`);
  await tf.ready();
}

interface Replica {
  model: tf.LayersModel;
  loss: CompiledLoss;
  variables: tf.Variable[];
}

async function start(): Promise<Replica> {
  await activateBackend(setup.backend);
  where = 'importing workerImports';
  for (const specifier of setup.imports) await import(specifier);
  where = 'rebuilding the model';
  const model = await tf.models.modelFromJSON(setup.modelTopology as never);
  tf.tidy(() => model.setWeights(setup.weights.map(toTensor)));
  where = 'resolving the losses';
  const loss = await CompiledLoss.compile(model, setup.losses, setup.lossWeights as number[], setup.plugins);
  return { model, loss, variables: model.trainableWeights.map((w) => w.read() as tf.Variable) };
}

/** The trainer wrote the current weights into shared memory before sending the request. */
function loadWeights(variables: tf.Variable[]): void {
  const flat = new Float32Array(setup.sharedWeights);
  // wasm copies a tensor's values into its heap; the cpu backend would keep a view of memory the
  // trainer overwrites next step, so it gets a copy.
  const copies = tf.getBackend() !== 'wasm';
  tf.tidy(() => {
    let offset = 0;
    for (const v of variables) {
      const values = copies ? flat.slice(offset, offset + v.size) : flat.subarray(offset, offset + v.size);
      v.assign(tf.tensor(values, v.shape));
      offset += v.size;
    }
  });
}

function step(replica: Replica, request: StepRequest): void {
  where = `epoch ${request.epoch + 1}, batch ${request.batch + 1}`;
  const { model, loss, variables } = replica;
  loadWeights(variables);
  const slot = new Float32Array(setup.gradientSlot);
  let result: { values: Float64Array; predictions: PlainTensor[] } | undefined;
  const body = () =>
    tf.tidy(() => {
      const xs = request.xs.map((r) => readRows(request.rows, r));
      const ys = request.ys.map((r) => readRows(request.rows, r));
      const weights = request.weights.map((w) => (w === null ? undefined : readRows(request.rows, w)));
      let logged: tf.Scalar[] = [];
      let preds: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const out = model.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor | tf.Tensor[];
        const outputs = Array.isArray(out) ? out : [out];
        const share = shareOfLoss(loss, model, ys, outputs, weights, request.factors, false);
        logged = share.logged.map((s) => tf.keep(s));
        if (setup.wantsPredictions) preds = outputs.map((p) => tf.keep(p));
        return share.total;
      }, variables);
      let offset = 0;
      for (const v of variables) {
        copyValuesInto(grads[v.name]!, slot, offset);
        offset += v.size;
      }
      const values = Float64Array.from((logged.length ? tf.stack([value, ...logged]) : value).dataSync());
      const predictions = preds.map((p) => ({ values: p.dataSync() as Float32Array, shape: [...p.shape], dtype: 'float32' as const }));
      result = { values, predictions };
    });
  try {
    if (request.seed === undefined) body();
    else withSeededMathRandom(request.seed, request.epoch, request.batch, body);
  } catch (error) {
    releaseGradientTape();
    throw error;
  }
  if (!result) throw new Error('the step produced no result');
  post({ type: 'done', ...result }, [result.values.buffer as ArrayBuffer, ...result.predictions.map((p) => p.values.buffer as ArrayBuffer)]);
}

function report(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message, where });
}

start().then(
  (replica) => {
    port.on('message', (request: StepRequest) => {
      try {
        step(replica, request);
      } catch (error) {
        report(error);
      }
    });
    post({ type: 'ready' });
  },
  report,
);
