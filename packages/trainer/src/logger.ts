/** Where the trainer's one-line notices go (backend choice, fallbacks, epoch lines). */
export type Logger = (line: string) => void;

type StderrHolder = { process?: { stderr?: { write(text: string): unknown } } };

/** Node's stderr; the console where there is none (a browser page or worker). */
export const stderrLogger: Logger = (line) => {
  const stderr = (globalThis as StderrHolder).process?.stderr;
  if (stderr) stderr.write(`${line}\n`);
  else console.info(line);
};
export const silentLogger: Logger = () => {};

/** `verbose: false` silences everything; a logger given explicitly wins otherwise. */
export function pickLogger(logger: Logger | undefined, verbose: boolean | number | undefined): Logger {
  if (verbose === false || verbose === 0) return silentLogger;
  return logger ?? stderrLogger;
}
