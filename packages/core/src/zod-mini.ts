// The zod core builds its own schemas with (the Keras catalog's and the built-in metrics'
// options): zod's functional build, zod/mini. Classic zod's chaining classes, and the JSON
// Schema processors every classic schema carries, then load only where a plugin builds its
// schemas with the public `z` (shared-exports.ts, which stays classic zod for plugins): on a
// browser page with core, loss-mse and the trainer, this is about 10 KB gzip of the 75 KB
// budget (bench/browser-bundle-size.bench.mjs). Both builds share zod's core, so a classic
// schema parses, nests and converts to JSON Schema here exactly as before.
import { config } from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini installs no locale (classic zod installs English on its first schema): without one,
// every option error would read "Invalid input". As classic zod does, only when none is set,
// so an application's own `z.config(z.locales.xx())` is kept.
if (!config().localeError) config(en());

// Imported as a namespace (`import * as z from './zod-mini.js'`), so bundlers keep only what is used.
export * from 'zod/mini';
