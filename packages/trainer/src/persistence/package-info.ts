/**
 * This package's name and version, recorded in every save (`savedBy`). A constant rather than a
 * read of package.json, which a browser bundle cannot do; a test keeps it equal to package.json.
 */
export const TRAINER_PACKAGE = { name: '@losskit/trainer', version: '0.1.0' } as const;
