/** Where the trainer's one-line notices go (backend choice, fallbacks, epoch lines). */
export type Logger = (line: string) => void;

export const stderrLogger: Logger = (line) => process.stderr.write(`${line}\n`);
export const silentLogger: Logger = () => {};

/** `verbose: false` silences everything; a logger given explicitly wins otherwise. */
export function pickLogger(logger: Logger | undefined, verbose: boolean | number | undefined): Logger {
  if (verbose === false || verbose === 0) return silentLogger;
  return logger ?? stderrLogger;
}
