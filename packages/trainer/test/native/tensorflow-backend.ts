// The native test run's one switch (`pnpm test:native`, loaded with mocha --require): the
// suites run unchanged, with the same assertions, on tfjs-node's 'tensorflow' backend.
//
// The suites name 'cpu' as their reference backend (`tf.setBackend('cpu')` in hooks, `backend:
// 'cpu'` for Trainers). Here every request for 'cpu' activates 'tensorflow' instead, so those
// tensors, kernels and training steps run in TensorFlow's C library. Where a suite asks for
// 'wasm' it still gets wasm (the wasm-training comparisons then check wasm against TensorFlow's
// kernels instead of tfjs cpu's). After the run a root hook checks that the tfjs cpu backend was
// never even created: no test passed here by quietly running on cpu.
import * as tf from '@tensorflow/tfjs';

export const TEST_BACKEND_ENV_VAR = 'LOSSKIT_TEST_BACKEND';
if (process.env[TEST_BACKEND_ENV_VAR] !== 'tensorflow') {
  throw new Error(`${TEST_BACKEND_ENV_VAR}=tensorflow must be set when loading this file (pnpm test:native does).`);
}

try {
  await import('@tensorflow/tfjs-node' as string);
} catch (error) {
  throw new Error(`The native test run needs tfjs-node's addon; build it with \`pnpm native --download\` (${(error as Error).message.split('\n')[0]})`);
}

const engine = tf.engine();
const setBackend = engine.setBackend.bind(engine);
engine.setBackend = (name: string) => setBackend(name === 'cpu' ? 'tensorflow' : name);
await tf.setBackend('tensorflow');

/** Mocha root hooks (picked up from a --require'd module by this export's name). */
export const mochaHooks = {
  afterAll(): void {
    if ('cpu' in engine.registry) {
      throw new Error("The tfjs cpu backend was created during the native run: some test ran on cpu, not on 'tensorflow'.");
    }
  },
};
