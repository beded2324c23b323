import { getLossRegistry, InvalidOptionsError, isSumSpec, loadPlugins, LossKitError, VersionMismatchError, type SavedLossSpec, type SavedSingleLossSpec } from '@losskit/core';
import { MissingLossPluginError, TrainerFileError } from './errors.js';
import type { SavedLossSpecs } from './manifest.js';
import type { ArtifactsManifest } from './schemas.js';

export interface LoadTrainerOptions {
  /**
   * Plugin packages the application trusts, imported before the losses are resolved (besides
   * the conventionally named packages discovery finds). The `plugins` list recorded in a save
   * is never imported by itself: a saved directory cannot name code to run.
   */
  plugins?: readonly string[];
}

/** Every saved spec, whichever form the loss option had. */
export function savedSpecsIn(losses: SavedLossSpecs): SavedLossSpec[] {
  if (Array.isArray(losses)) return losses;
  if (isSumSpec(losses as SavedLossSpec) || typeof (losses as SavedSingleLossSpec).name === 'string') return [losses as SavedLossSpec];
  return Object.values(losses as Record<string, SavedLossSpec>);
}

function singleSpecsIn(spec: SavedLossSpec): SavedSingleLossSpec[] {
  return isSumSpec(spec) ? spec.sum : [spec];
}

/** The loss names of a loss option, for messages: names a save holds are checked as registered before they are shown. */
export function lossNamesIn(losses: SavedLossSpecs): string {
  return [...new Set(savedSpecsIn(losses).flatMap(singleSpecsIn).map((single) => `'${single.name}'`))].join(', ');
}

/**
 * Makes every saved loss name resolvable before any tensor is made: the application's
 * `plugins` first, then discovery of conventionally named packages, then a clear error naming
 * the package the loss was saved from (or saying the application registered it). Resolving
 * each spec once also checks the saved options against the installed plugin's schema.
 */
export async function ensureLossesResolvable(
  manifest: Pick<ArtifactsManifest, 'losses' | 'trainer'>,
  dir: string,
  options: LoadTrainerOptions,
  /** The file holding the losses (losskit.json of a directory save; the location itself otherwise). */
  file: string = dir,
): Promise<void> {
  const registry = getLossRegistry();
  const specs = savedSpecsIn(manifest.losses as SavedLossSpecs);
  const singles = specs.flatMap(singleSpecsIn);
  if (options.plugins?.length) await loadPlugins(options.plugins);
  for (const single of singles) {
    try {
      // Discovery imports only packages named by the convention (see core's plugin-names.ts).
      await registry.load([single.name]);
    } catch (error) {
      // By name as well: the plugin may have registered through another copy of core.
      if (error instanceof VersionMismatchError || (error instanceof Error && error.name === 'VersionMismatchError')) {
        throw savedWithVersion(single, dir, error);
      }
      throw error;
    }
  }
  for (const single of singles) {
    if (!registry.has(single.name)) {
      const pkg = single.package;
      throw new MissingLossPluginError(single.name, pkg?.name, pkg?.version, dir, manifest.trainer?.plugins ?? []);
    }
    checkPluginVersion(single, registry.describe(single.name).package, dir);
  }
  for (const spec of specs) {
    let resolved: Awaited<ReturnType<typeof registry.resolve>>;
    try {
      resolved = await registry.resolve(spec);
    } catch (error) {
      throw savedSpecRefused(error, file);
    }
    resolved.dispose();
  }
}

/** Option names are quoted only when they look like option names: the key itself came from the file. */
const OPTION_NAME = /^[A-Za-z_$][\w$.[\]-]{0,63}$/;

/**
 * A saved spec the installed plugin refuses is a fault of the file, said as one: the file and the
 * field, never the saved values (InvalidOptionsError quotes them; it is kept as the cause).
 */
function savedSpecRefused(error: unknown, file: string): unknown {
  if (error instanceof InvalidOptionsError) {
    const options = [...new Set(error.problems.map((p) => (OPTION_NAME.test(p.option) ? `'${p.option}'` : 'an option with an unusual name')))].join(', ');
    return Object.assign(
      new TrainerFileError(
        `${file}: losses: the saved options of loss '${error.lossName}' are not valid for the installed plugin (${options}). ` +
          `Fix or remove them in the file, or save the trainer again; \`registry.describe('${error.lossName}')\` lists the options the plugin takes.`,
      ),
      { cause: error },
    );
  }
  if (!(error instanceof LossKitError) || error instanceof VersionMismatchError || error instanceof MissingLossPluginError) return error;
  return Object.assign(new TrainerFileError(`${file}: losses: a saved loss spec cannot be built by the installed plugin (${error.name}); fix it in the file or save the trainer again.`), {
    cause: error,
  });
}

/** A plugin that refuses this core's API: say which plugin version the trainer was saved with. */
function savedWithVersion(spec: SavedSingleLossSpec, dir: string, error: Error): VersionMismatchError {
  const saved = spec.package;
  const from = saved ? `${saved.name}@${saved.version}` : 'a plugin the application registered';
  const fix = saved ? ` Install ${saved.name}@${saved.version} (the version the trainer was saved with) or another version built for this core.` : '';
  return new VersionMismatchError(
    `Cannot load the trainer saved in ${dir}: it was saved with loss '${spec.name}' from ${from}, but the installed plugin ` +
      `cannot be used: ${error.message}${fix} Nothing in ${dir} was changed.`,
  );
}

/** A plugin of another major version may compute a different loss under the same name. */
function checkPluginVersion(spec: SavedSingleLossSpec, installed: { name: string; version: string } | undefined, dir: string): void {
  const saved = spec.package;
  if (!saved || !installed || saved.name !== installed.name) return;
  if (major(saved.version) !== major(installed.version)) {
    throw new VersionMismatchError(
      `The trainer in ${dir} was saved with loss '${spec.name}' from ${saved.name}@${saved.version}, but ` +
        `${installed.name}@${installed.version} is installed. Install ${saved.name}@^${major(saved.version)} ` +
        `to continue this run with the same loss.`,
    );
  }
}

function major(version: string): string {
  return version.split('.')[0] ?? version;
}

/**
 * The loss specs as JSON with their `package` fields left out: names, options, weights and
 * reductions are compared. The round trip through JSON.parse orders keys as a manifest's are.
 */
export function specsWithoutPackages(losses: unknown): string {
  return JSON.stringify(JSON.parse(JSON.stringify(losses, (key, value: unknown) => (key === 'package' ? undefined : value))));
}
