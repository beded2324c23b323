// Saved with every spec that uses these losses, so a loaded model can say which package it needs.
export const PACKAGE = { name: '@losskit/loss-ssim', version: '0.1.0' } as const;

// What every loss of this package declares alike in @RegisterLoss: the core plugin API range it
// was built for and the package that ships it. One place, so a core API bump is one edit.
export const REGISTRATION = { coreApi: '^1.0.0', package: PACKAGE } as const;
