import 'reflect-metadata';

export { TotalVariationLoss, totalVariationOptionsSchema, type TotalVariationOptions } from './total-variation.js';
export { CharbonnierLoss, charbonnierOptionsSchema, type CharbonnierOptions } from './charbonnier.js';
export { StyleLoss, styleOptionsSchema, type StyleOptions } from './style.js';
export { gramMatrices, gramDistance } from './gram.js';
export { safeSqrt } from './safe-sqrt.js';
export { PACKAGE } from './package-info.js';
