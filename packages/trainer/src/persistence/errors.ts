import { LossKitError } from '@losskit/core';

// The errors of a save read back anywhere (a directory or a tf.io handler). Those only the file
// system raises are in fs-errors.ts, so a browser bundle's persistence chunk does not hold them.

/** A saved trainer or checkpoint directory that is missing, incomplete, corrupt or refused as unsafe. */
export class TrainerFileError extends LossKitError {}

/** A saved trainer needs a loss that no installed plugin provides. */
export class MissingLossPluginError extends LossKitError {
  constructor(
    readonly lossName: string,
    /** The package the loss was saved from; undefined when the application registered it itself. */
    readonly packageName: string | undefined,
    readonly packageVersion: string | undefined,
    readonly dir: string,
    /** The `plugins` list of the trainer that was saved: shown, never imported from the file. */
    readonly savedPlugins: readonly string[] = [],
  ) {
    const head = `Cannot load the trainer saved in ${dir}: it uses loss '${lossName}', which is not registered.`;
    const unchanged = `Nothing in ${dir} was changed.`;
    if (packageName === undefined) {
      // No package recorded: a registerLossFunction loss or a @RegisterLoss class without
      // `package` metadata. There is nothing to install; naming a made-up package would mislead.
      super(
        `${head} No plugin package is recorded for it: it was registered by the application ` +
          `(registerLossFunction or a @RegisterLoss class without package metadata). Register '${lossName}' again ` +
          `(run the code that registers it) before Trainer.load(). ${unchanged}`,
      );
      return;
    }
    const pinned = packageVersion ? `${packageName}@${packageVersion}` : packageName;
    const listed = savedPlugins.length
      ? ` The trainer was saved with plugins [${savedPlugins.map((p) => `'${p}'`).join(', ')}]; a saved list is never ` +
        `imported by itself: pass the ones you trust as Trainer.load(dir, { plugins: [...] }).`
      : '';
    super(
      `${head} It was saved from the package ${pinned}. Install it (\`pnpm add ${pinned}\`) and import it ` +
        `(\`import '${packageName}'\`) or pass \`plugins: ['${packageName}']\` to Trainer.load().${listed} ${unchanged}`,
    );
  }
}
