// Resolving loss specs by name: 10,000 resolutions with today's registry (the Keras 3 catalog,
// the owner table, Keras configs) against the registry as it was before the catalog (a copy of
// that build in packages/core/bench-baseline), side by side in one process, in alternating
// rounds. Prints one JSON line with the median (over rounds) of the fastest pass per 10,000 specs and the median per-round
// ratio (target at most 1.2).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const requireFromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const load = (name) => import(pathToFileURL(requireFromCore.resolve(name)).href);
const tf = await load('@tensorflow/tfjs');
await tf.setBackend('cpu');

// Today's core, with the seed's MSE plugin (which owns 'meanSquaredError' now).
const current = (await import(new URL('../packages/core/dist/index.js', import.meta.url).href)).getLossRegistry();
await import(new URL('../packages/loss-mse/dist/index.js', import.meta.url).href);

// The baseline builds its own registry once the process-wide one is out of its way.
const REGISTRY_KEY = Symbol.for('losskit.registry');
const LOADER_KEY = Symbol.for('losskit.discovery.defaultLoaderInstalled');
delete globalThis[REGISTRY_KEY];
delete globalThis[LOADER_KEY];
const baseline = (await import(new URL('../packages/core/bench-baseline/index.js', import.meta.url).href)).getLossRegistry();
if (baseline === current) throw new Error('the baseline shares the current registry; the comparison would be meaningless');

// Specs both registries resolve, the forms a trainer is given: names, objects, a sum.
const SPECS = [
  'meanSquaredError',
  'mae',
  { name: 'mean-absolute-error', reduction: 'sum' },
  'categoricalCrossentropy',
  { name: 'binary-crossentropy', reduction: 'mean_with_sample_weight' },
  'kld',
  { sum: ['mae', { name: 'hinge', weight: 0.5 }] },
  'poisson',
];
const COUNT = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);

// Each sample is the fastest of REPEAT passes over the 10,000 specs (as Python's timeit takes
// the minimum): one pass is a few milliseconds, and on a shared machine noise only ever adds
// time, so the fastest pass is the closest to the code's own cost.
const REPEAT = 7;
// Synchronous resolution on both sides: today's `resolve` is the asynchronous path (discovery and
// prepare), and its synchronous counterpart is `resolveSync`; the baseline's `resolve` was sync.
function timeResolving(registry) {
  const resolve = (registry.resolveSync ?? registry.resolve).bind(registry);
  let fastest = Infinity;
  for (let r = 0; r < REPEAT; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < COUNT; i++) resolve(SPECS[i % SPECS.length]);
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return fastest;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
timeResolving(current); // warm-up: JIT, zod's schema caches
timeResolving(baseline);
const times = { current: [], baseline: [] };
const paired = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['baseline', 'current'] : ['current', 'baseline'];
  for (const which of order) times[which].push(timeResolving(which === 'current' ? current : baseline));
  paired.push(times.current[round] / times.baseline[round]);
}
// The median of the per-round ratios: the two runs of a round see the same machine load.
const ratio = median(paired);
console.log(
  JSON.stringify({
    bench: 'registry-resolve',
    case: `${COUNT} specs`,
    currentMs: Number(median(times.current).toFixed(1)),
    baselineMs: Number(median(times.baseline).toFixed(1)),
    ratio: Number(ratio.toFixed(3)),
    ratioOfMedians: Number((median(times.current) / median(times.baseline)).toFixed(3)),
    target: 1.2,
    pass: ratio <= 1.2,
  }),
);
