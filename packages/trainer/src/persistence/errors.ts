import { LossKitError } from '@losskit/core';

/** A saved trainer or checkpoint directory that is missing, incomplete or corrupt. */
export class TrainerFileError extends LossKitError {}

/** A saved trainer needs a loss that no installed plugin provides. */
export class MissingLossPluginError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly packageName: string,
    readonly packageVersion: string | undefined,
    readonly dir: string,
  ) {
    const pinned = packageVersion ? `${packageName}@${packageVersion}` : packageName;
    super(
      `Cannot load the trainer saved in ${dir}: it uses loss '${lossName}', which is not registered. ` +
        `It was saved from the package ${pinned}. Install it (\`pnpm add ${pinned}\`) and import it ` +
        `(\`import '${packageName}'\`) or pass \`plugins: ['${packageName}']\` to Trainer.load(). ` +
        `Nothing in ${dir} was changed.`,
    );
  }
}
