/**
 * The `workers` fit option (Node only; reached through parallel-start.ts's dynamic import).
 *
 * The trainer keeps running its own epoch loop: metrics, callbacks, schedules, checkpoints,
 * validation and seeds work as with one thread. Only the gradient of each batch is spread: the
 * batch is cut into `workers` contiguous slices; this thread computes slice 0 while worker
 * threads 1..n-1 compute theirs, each the gradient of its share of the whole batch's loss
 * (parallel-share.ts). The gradients are summed here in replica order 0, 1, ..., n-1, so a run
 * never depends on timing, and the trainer's optimizer applies the sum (clipping,
 * accumulation, schedules as usual); the new weights reach the workers through shared memory
 * before the next step.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { chooseWorkers, resolvePlugin, sliceOf } from '@losskit/parallel';
import { copyValuesInto, releaseGradientTape } from '../tfjs-internals.js';
import type { Logger } from '../logger.js';
import type { Batch } from './data.js';
import { WorkerFailedError } from './parallel-errors.js';
import type { PlainTensor, SharedRows, StepRequest, WorkerReply, WorkerSetup } from './parallel-protocol.js';
import { writeRows } from './parallel-rows.js';
import { rowSums, shareFactors, shareOfLoss } from './parallel-share.js';
import { StepTiming } from './parallel-timing.js';
import { withSeededMathRandom } from './seeded-random.js';
import type { FitSettings } from './settings.js';
import type { StepPlan, StepResult } from './step.js';
import { VariableSnapshot } from './variable-snapshot.js';

export interface ParallelFit {
  plan: StepPlan;
  optimizer: tf.Optimizer;
  settings: FitSettings;
  /** The trainer's `plugins`, which the workers resolve the losses with too. */
  plugins: readonly string[];
  seed: number | string;
  seededLayers: boolean;
  logger: Logger;
}

export interface WorkerPool {
  workers: number;
  step(batch: Batch, epoch: number, batchIndex: number): Promise<StepResult>;
  /** Ends every worker thread (idempotent); resolves once they are gone. */
  close(): Promise<void>;
}

const WORKER_URL = new URL('./parallel-worker.js', import.meta.url);

/** What to do when a worker fails before its first step: what exists in this thread only does not exist there. */
const MODULE_HINT = 'put its registration in a module and list it in the fit option workerImports, which every worker imports first';
const HINTS: Record<string, string> = {
  'resolving the losses': ` (a loss registered in the calling script only does not exist in a worker: ${MODULE_HINT})`,
  'importing workerImports': ' (workerImports are package names or paths relative to the working directory)',
  'rebuilding the model': ` (a custom layer class defined in the calling script does not exist in a worker: ${MODULE_HINT})`,
};

/** The worker count the option asks for, with its reason logged; undefined (no pool) for one. */
export async function startWorkerPool(fit: ParallelFit): Promise<WorkerPool | undefined> {
  const { count, why } = chooseWorkers(fit.settings.workers, fit.settings.batchSize);
  const plan = count === 1 ? 'training in this thread only'
    : `this thread computes slice 0 of each batch, ${count - 1} worker thread${count > 2 ? 's' : ''} the others, on ${tf.getBackend()}`;
  fit.logger(`[losskit] ${why}; ${plan}`);
  if (count === 1) return undefined;
  const pool = new Pool(fit, count);
  try {
    await pool.started;
  } catch (error) {
    await pool.close();
    throw error;
  }
  return pool;
}

/** One worker thread and the reply it owes. */
interface Thread {
  worker: Worker;
  slot: Float32Array;
  /** Its input buffer (parallel-rows.ts). */
  rows: SharedArrayBuffer;
  pending: { resolve(reply: WorkerReply): void; reject(error: Error): void } | undefined;
  failure: Error | undefined;
}

class Pool implements WorkerPool {
  readonly started: Promise<void>;
  private readonly threads: Thread[];
  private readonly variables: tf.Variable[];
  private readonly shared: Float32Array;
  private closed: Promise<void> | undefined;
  private where = 'start-up';
  private readonly timing = new StepTiming();

  constructor(private readonly fit: ParallelFit, readonly workers: number) {
    const { plan } = fit;
    this.variables = plan.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const params = this.variables.reduce((s, v) => s + v.size, 0);
    const sharedWeights = new SharedArrayBuffer(params * 4);
    this.shared = new Float32Array(sharedWeights);
    const base: Omit<WorkerSetup, 'index' | 'gradientSlot'> = {
      workers,
      backend: tf.getBackend(),
      modelTopology: plan.model.toJSON(null, false),
      weights: plan.model.getWeights().map((w) => ({ values: w.dataSync() as PlainTensor['values'], shape: [...w.shape], dtype: w.dtype as PlainTensor['dtype'] })),
      losses: plan.loss.outputs.map((o) => o.loss.spec),
      lossWeights: plan.loss.weights,
      plugins: [...fit.plugins],
      imports: fit.settings.workerImports.map(resolvePlugin),
      sharedWeights,
      wantsPredictions: plan.metrics.metrics.length > 0,
    };
    this.threads = Array.from({ length: workers - 1 }, (_, i) => {
      const gradientSlot = new SharedArrayBuffer(params * 4);
      const worker = new Worker(WORKER_URL, { workerData: { ...base, index: i + 1, gradientSlot } satisfies WorkerSetup });
      const thread: Thread = { worker, slot: new Float32Array(gradientSlot), rows: new SharedArrayBuffer(0), pending: undefined, failure: undefined };
      this.watch(thread, i + 1);
      return thread;
    });
    this.started = Promise.all(this.threads.map((t) => this.await(t))).then(() => undefined);
  }

  private watch(thread: Thread, index: number): void {
    const fail = (error: Error) => {
      thread.failure ??= error;
      thread.pending?.reject(thread.failure);
      thread.pending = undefined;
    };
    thread.worker.on('message', (reply: WorkerReply) => {
      if (reply.type !== 'error') {
        thread.pending?.resolve(reply);
        thread.pending = undefined;
        return;
      }
      fail(new WorkerFailedError(index, this.workers, reply.where, reply.name, reply.message + (HINTS[reply.where] ?? '')));
    });
    thread.worker.on('error', (error) => fail(new WorkerFailedError(index, this.workers, this.where, error.name, error.message)));
    thread.worker.on('exit', (code) => fail(new WorkerFailedError(index, this.workers, this.where, 'WorkerExit', `its thread exited with code ${code}`)));
  }

  /** The next reply of a thread (its 'ready', or the 'done' of a step). */
  private await(thread: Thread): Promise<WorkerReply> {
    if (thread.failure) return Promise.reject(thread.failure);
    return new Promise((resolve, reject) => (thread.pending = { resolve, reject }));
  }

  async step(batch: Batch, epoch: number, batchIndex: number): Promise<StepResult> {
    this.where = `epoch ${epoch + 1}, batch ${batchIndex + 1}`;
    this.timing.start();
    const { plan } = this.fit;
    const size = batch.size;
    this.publishWeights();
    this.timing.lap('publish');
    const sums = plan.loss.outputs.map((o) =>
      o.loss.reduction === 'mean_with_sample_weight' && batch.weights[o.outputIndex] ? rowSums(batch.weights[o.outputIndex]!) : undefined);
    const slices = Array.from({ length: this.workers }, (_, r) => sliceOf(size, this.workers, r));
    const replies = this.send(batch, epoch, batchIndex, slices, sums);
    // Settled even when this thread's own slice throws, so no rejection goes unhandled.
    const settled = Promise.allSettled(replies);
    this.timing.lap('send');
    let own: ReturnType<Pool['ownSlice']> | undefined;
    // This thread's slice moves the model's moving statistics; a batch that does not count puts them back (as trainStep does).
    const nonTrainable = plan.model.nonTrainableWeights;
    const statsBefore = nonTrainable.length ? new VariableSnapshot(nonTrainable.map((w) => w.read() as tf.Variable)) : undefined;
    try {
      const [start, end] = slices[0]!;
      const compute = () => this.ownSlice(batch, start, end, shareFactors(plan.loss, sums, size, start, end));
      own = this.fit.seededLayers ? withSeededMathRandom(this.fit.seed, epoch, batchIndex, compute) : compute();
      this.timing.lap('own');
      const results = await settled;
      this.timing.lap('wait');
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const result = this.finish(batch, own, results.map((r) => (r as PromiseFulfilledResult<WorkerReply | undefined>).value));
      if (!result.applied) statsBefore?.restore();
      this.timing.lap('apply');
      return result;
    } catch (error) {
      statsBefore?.restore();
      await settled;
      throw error;
    } finally {
      statsBefore?.dispose();
      if (own) tf.dispose([own.value, ...own.preds, ...Object.values(own.grads)]);
    }
  }

  /** Sends each worker its slice; resolves to undefined for a worker whose slice is empty. */
  private send(batch: Batch, epoch: number, batchIndex: number, slices: [number, number][], sums: (Float64Array | undefined)[]): Promise<WorkerReply | undefined>[] {
    const seed = this.fit.seededLayers ? `${this.fit.seed}/worker-` : undefined;
    return this.threads.map((thread, i) => {
      const [start, end] = slices[i + 1]!;
      if (end === start) return Promise.resolve(undefined);
      const { xs, ys, weights } = batch;
      const written = writeRows(thread.rows, [...xs, ...ys, ...weights], start, end);
      thread.rows = written.buffer;
      const request: StepRequest = {
        type: 'step', epoch, batch: batchIndex, seed: seed === undefined ? undefined : `${seed}${i + 1}`, rows: written.buffer,
        xs: written.rows.slice(0, xs.length) as SharedRows[],
        ys: written.rows.slice(xs.length, xs.length + ys.length) as SharedRows[],
        weights: written.rows.slice(xs.length + ys.length),
        factors: shareFactors(this.fit.plan.loss, sums, batch.size, start, end),
      };
      const reply = this.await(thread);
      thread.worker.postMessage(request);
      return reply;
    });
  }

  /** This thread's slice: its share's gradients, loss values and (for metrics) predictions. */
  private ownSlice(batch: Batch, start: number, end: number, factors: number[]) {
    const { plan } = this.fit;
    const rows = (t: tf.Tensor) => (start === 0 && end === batch.size ? t : tf.slice(t, start, end - start));
    let logged: tf.Scalar[] = [];
    let preds: tf.Tensor[] = [];
    try {
      const { value, grads } = tf.variableGrads(() => {
        const xs = batch.xs.map(rows);
        const out = plan.model.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor | tf.Tensor[];
        const outputs = Array.isArray(out) ? out : [out];
        const share = shareOfLoss(plan.loss, plan.model, batch.ys.map(rows), outputs, batch.weights.map((w) => w && rows(w)), factors, true);
        logged = share.logged.map((s) => tf.keep(s));
        if (plan.metrics.metrics.length) preds = outputs.map((p) => tf.keep(p));
        return share.total;
      }, this.variables);
      const values = tf.tidy(() => (logged.length ? tf.stack([value, ...logged]) : value).dataSync());
      tf.dispose(logged);
      return { value, grads, values, preds };
    } catch (error) {
      releaseGradientTape();
      tf.dispose([...logged, ...preds]);
      throw error;
    }
  }

  /** Sums the gradients and values in replica order, applies them when finite, updates the metrics. */
  private finish(batch: Batch, own: ReturnType<Pool['ownSlice']>, replies: (WorkerReply | undefined)[]): StepResult {
    const { plan, optimizer } = this.fit;
    const values = Float64Array.from(own.values);
    const done = replies.map((reply, i) => (reply?.type === 'done' ? { reply, slot: this.threads[i]!.slot } : undefined)).filter((d) => d !== undefined);
    for (const { reply } of done) for (let k = 0; k < values.length; k++) values[k]! += reply.values[k]!;
    const result = Float32Array.from(values);
    const applied = result.every(Number.isFinite);
    if (applied) {
      tf.tidy(() => {
        // Summed on the backend, in replica order: own + slot 1 + slot 2 + ... (float32 adds, as
        // a loop here would do, without reading this thread's gradients back first). A slot is
        // not written again before the next request, so viewing it here is safe.
        let at = 0;
        const grads: tf.NamedTensorMap = {};
        for (const v of this.variables) {
          let g = own.grads[v.name]!;
          for (const { slot } of done) g = tf.add(g, tf.tensor(slot.subarray(at, at + v.size), v.shape));
          grads[v.name] = g;
          at += v.size;
        }
        optimizer.applyGradients(grads);
      });
      if (own.preds.length) {
        // Not in a tidy: a metric's state may be tensors it keeps (as in finishStep).
        const preds = own.preds.map((p, o) => tf.tidy(() =>
          tf.concat([p, ...replies.flatMap((r) => (r?.type === 'done' ? [tf.tensor(r.predictions[o]!.values, r.predictions[o]!.shape)] : []))])));
        try {
          plan.metrics.update(batch.ys, preds);
        } finally {
          tf.dispose(preds);
        }
      }
    }
    return { values: result, applied };
  }

  /** The trainable weights as they are now (a callback may have changed them too) into shared memory. */
  private publishWeights(): void {
    let offset = 0;
    for (const v of this.variables) {
      copyValuesInto(v, this.shared, offset);
      offset += v.size;
    }
  }

  close(): Promise<void> {
    if (!this.closed) {
      const summary = this.timing.summary();
      if (summary) this.fit.logger(summary);
      this.closed = Promise.all(this.threads.map((thread) => thread.worker.terminate())).then(() => undefined);
    }
    return this.closed;
  }
}
