/** Where the trainer's one-line notices go (backend choice, fallbacks, epoch lines). */
export type Logger = (line: string) => void;

/** The part of a writable stream progress output uses (Node's stderr has it; tests pass their own). */
export interface LineStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

type StderrHolder = { process?: { stderr?: LineStream } };

/**
 * Node's stderr; where there is none (a browser page or worker), the console, one call per
 * line. Looked up on globalThis, so a browser bundle holds no reference to `process`.
 */
export function stderrStream(): LineStream {
  return (globalThis as StderrHolder).process?.stderr ?? consoleStream;
}

const consoleStream: LineStream = { write: (chunk) => console.info(chunk.replace(/\n$/, '')) };

/** Node's stderr; the console where there is none (a browser page or worker). */
export const stderrLogger: Logger = (line) => {
  stderrStream().write(`${line}\n`);
};
export const silentLogger: Logger = () => {};

/**
 * Where the trainer's notices (backend choice, fallbacks, skipped batches, the workers' timing)
 * go: a logger given explicitly always gets them, since asking for them is why it was given;
 * `verbose` governs the progress output only. Without a logger they go to stderr, unless
 * `verbose` is 0 (`false`): a silent trainer writes nothing there.
 */
export function pickLogger(logger: Logger | undefined, verbose: boolean | number | undefined): Logger {
  if (logger) return logger;
  return verbose === false || verbose === 0 ? silentLogger : stderrLogger;
}
