// Saved with every spec that uses this loss, so a loaded model can say which package it needs.
// Keep it equal to package.json (the tests check).
export const PACKAGE = { name: 'losskit-loss-huber', version: '0.1.0' } as const;
