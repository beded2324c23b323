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

/** `verbose: false` silences everything; a logger given explicitly wins otherwise. */
export function pickLogger(logger: Logger | undefined, verbose: boolean | number | undefined): Logger {
  if (verbose === false || verbose === 0) return silentLogger;
  return logger ?? stderrLogger;
}
