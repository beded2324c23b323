// Saved with every spec that uses this loss, so a loaded model can say which package it needs.
export const PACKAGE = { name: '@losskit/loss-combined', version: '0.1.0' } as const;
