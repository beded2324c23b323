import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownFiles } from '../docs/extract-snippets.js';
import { PACKED, outputOf, run, userEnvironment, type PackedName, type Tarballs } from './packed.js';

// The install lines the READMEs print (`pnpm add ...`, `npm install ...`, `yarn add ...` in sh
// blocks), and how a fresh project is prepared so that each runs as printed while the packed
// tarballs stand in for the registry (losskit is not published there).

export type Manager = 'pnpm' | 'npm' | 'yarn';

export interface InstallLine {
  /** Where the docs print it, e.g. 'README.md:52'. */
  where: string[];
  text: string;
  manager: Manager;
  /** The words after the command (`add` / `install`): flags and package names. */
  words: string[];
}

const COMMAND = /^(pnpm add|npm install|yarn add)\s+(.*)$/;

/** Every distinct install line of the docs; `npm install -g` (tool set-up) is not a project install. */
export function documentedInstallLines(root: string): InstallLine[] {
  const byText = new Map<string, InstallLine>();
  for (const file of markdownFiles(root)) {
    let inShell = false;
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^ {0,3}```/.test(line)) inShell = !inShell && /^ {0,3}```(sh|bash|shell)\s*$/.test(line);
        const match = inShell ? COMMAND.exec(line.trim()) : null;
        if (!match || /(^|\s)-g(\s|$)/.test(match[2]!)) return;
        const text = line.trim();
        const known = byText.get(text);
        if (known) known.where.push(`${file}:${i + 1}`);
        else byText.set(text, { where: [`${file}:${i + 1}`], text, manager: match[1]!.split(' ')[0] as Manager, words: shellWords(match[2]!) });
      });
  }
  return [...byText.values()];
}

/** Splits like sh does for what install lines use: blanks between words, single and double quotes inside them. */
export function shellWords(text: string): string[] {
  if (/[;&|$`<>\\]/.test(text.replace(/'[^']*'/g, ''))) throw new Error(`install line needs a real shell: ${text}`);
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced quote in install line: ${text}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

export function packedNamesIn(line: InstallLine): PackedName[] {
  return line.words.filter((word): word is PackedName => word in PACKED);
}

/**
 * Writes a fresh project's package.json (and pnpm-workspace.yaml) and returns the command's
 * arguments. pnpm runs the line verbatim: `overrides` send every losskit name to its tarball.
 * npm refuses an override of a direct dependency (EOVERRIDE), so with npm and yarn the names
 * the line gives become tarball paths, and overrides / resolutions cover the others
 * (@losskit/wasm-training, which the trainer depends on).
 */
export function prepareInstall(line: InstallLine, project: string, tarballs: Tarballs): string[] {
  mkdirSync(project, { recursive: true });
  const manifestFile = path.join(project, 'package.json');
  // A second line in the same project keeps what the first installed.
  const manifest: Record<string, unknown> = existsSync(manifestFile)
    ? JSON.parse(readFileSync(manifestFile, 'utf8'))
    : { name: `fresh-${line.manager}-project`, version: '1.0.0', private: true, type: 'module' };
  const direct = new Set<string>([...packedNamesIn(line), ...Object.keys((manifest.dependencies as object | undefined) ?? {})]);
  const others = Object.fromEntries(
    (Object.keys(PACKED) as PackedName[]).filter((name) => !direct.has(name)).map((name) => [name, `file:${tarballs[name]}`]),
  );
  if (line.manager === 'npm') manifest.overrides = others;
  if (line.manager === 'yarn') manifest.resolutions = others;
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  if (line.manager === 'pnpm') {
    const overrides = (Object.keys(PACKED) as PackedName[]).map((name) => `  ${JSON.stringify(name)}: ${JSON.stringify(`file:${tarballs[name]}`)}`);
    writeFileSync(path.join(project, 'pnpm-workspace.yaml'), `# the tarballs stand in for the registry\noverrides:\n${overrides.join('\n')}\n`);
    return ['add', ...line.words];
  }
  const substituted = line.words.map((word) => (word in PACKED ? tarballs[word as PackedName] : word));
  return [line.manager === 'npm' ? 'install' : 'add', ...substituted];
}

/** Package names the line installs (not its flags), each of which must be in node_modules afterwards. */
export function installedNames(line: InstallLine): string[] {
  return line.words.filter((word) => !word.startsWith('-'));
}

export function isInstalled(project: string, name: string): boolean {
  return existsSync(path.join(project, 'node_modules', ...name.split('/'), 'package.json'));
}

/** Runs a documented line in `project` (prepared as above) with `command` (the package manager's binary); returns its output. */
export async function runInstallLine(line: InstallLine, project: string, tarballs: Tarballs, command: string = line.manager): Promise<string> {
  const args = prepareInstall(line, project, tarballs);
  try {
    const { stdout, stderr } = await run(command, args, { cwd: project, env: userEnvironment(), maxBuffer: 64 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    throw new Error(`\`${line.text}\` (${line.where.join(', ')}) failed in ${project}:\n${outputOf(error).split('\n').slice(-30).join('\n')}`);
  }
}
