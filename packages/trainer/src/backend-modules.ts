import * as tf from '@tensorflow/tfjs';

// The backend packages, as backend.ts loads them in Node: through the package import
// '#backend-modules' (see package.json "imports"), which browsers resolve to
// backend-modules-browser.ts instead, so a page that trains on cpu never bundles the wasm
// backend. Each function makes its backend available and returns why it cannot, or undefined.

// Package names in variables: bundlers leave such imports alone instead of failing on optional
// packages the application did not install (tfjs-node never exists in a browser).
const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';

/** What @losskit/wasm-training exports that we use; typed here so it stays an optional import. */
export interface WasmTrainingModule {
  wasmTrainingSupport?: (model: tf.LayersModel) => { ok: boolean; unsupported: string[] };
}

export async function loadTensorflow(): Promise<string | undefined> {
  try {
    await import(/* @vite-ignore */ TFJS_NODE);
    return undefined;
  } catch (error) {
    // Installed without its install script (offline, or pnpm's allowBuilds), tfjs-node's
    // index throws for the missing addon; `losskit-native` builds it from a local TensorFlow.
    return /native addon|tfjs_binding|libtensorflow/.test((error as Error).message)
      ? '@tensorflow/tfjs-node is not installed completely: its native addon is missing (build it offline with `npx losskit-native`)'
      : '@tensorflow/tfjs-node is not installed (optional dependency; its install needs network access, or see `npx losskit-native`)';
  }
}

export async function loadWebgpu(): Promise<string | undefined> {
  try {
    await import(/* @vite-ignore */ TFJS_WEBGPU);
    return undefined;
  } catch {
    return `${TFJS_WEBGPU} is not installed (install it next to @tensorflow/tfjs to train on webgpu)`;
  }
}

export async function loadWasm(): Promise<string | undefined> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    return undefined;
  } catch {
    return '@tensorflow/tfjs-backend-wasm is not installed';
  }
}

/** Imports the wasm training kernels (registering them), or undefined where the package is absent. */
export async function loadWasmTraining(): Promise<WasmTrainingModule | undefined> {
  try {
    return (await import('@losskit/wasm-training' as string)) as WasmTrainingModule;
  } catch {
    return undefined;
  }
}
