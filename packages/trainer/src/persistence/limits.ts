/** Caps on what losskit reads from a save; far above any real losskit.json / model.json. */
export const READ_LIMITS = {
  /** losskit.json. */
  manifestBytes: 16 * 1024 * 1024,
  /** model.json (the layer topology is JSON; large models stay well below this). */
  modelJsonBytes: 64 * 1024 * 1024,
  /** One weight or optimizer file set: the ArrayBuffer a tfjs model is decoded from. */
  binaryBytes: 2 ** 31 - 1,
  /**
   * Nesting of arrays and objects in any JSON losskit reads (losskit.json, model.json, a handler's
   * artifacts): a TF.js topology nests about 4 levels per nested model, so 200 is far above any
   * real model and far below the depth at which the recursive parsers overflow the stack.
   */
  jsonDepth: 200,
  /** A checkpoint lock file. */
  lockBytes: 4096,
} as const;
