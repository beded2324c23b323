// Saved with every spec that uses these losses, so a loaded model can say which package it needs.
export const PACKAGE = { name: '@losskit/loss-image', version: '0.1.0' } as const;
