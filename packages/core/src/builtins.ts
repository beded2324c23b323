// The losses core registers itself are Keras 3's catalog (see catalog/), which includes every
// name TF.js's `model.compile` accepts.
export { registerKerasCatalog as registerBuiltinLosses } from './catalog/register.js';
