import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { CODE_LANGUAGES, type Snippet } from './extract-snippets.js';

// One temporary project, shaped like a user's: a package.json with "type": "module", a
// node_modules holding the workspace packages (symlinks to their built directories) and the
// peers a user installs, and the tsconfig the docs print. Every block is one file in it; one
// TypeScript program type-checks and emits them all, then node runs the emitted files.

/** Workspace packages a snippet may import, by package name. */
function workspacePackages(workspace: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const parent of ['packages', 'examples']) {
    for (const entry of readdirSync(path.join(workspace, parent))) {
      const manifest = path.join(workspace, parent, entry, 'package.json');
      if (existsSync(manifest)) found.set(JSON.parse(readFileSync(manifest, 'utf8')).name, path.dirname(manifest));
    }
  }
  return found;
}

/** What a user installs beside losskit (the peers the READMEs name) and the type packages of their editor and test runner. */
const THIRD_PARTY = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'tsyringe', 'reflect-metadata', '@types/node', '@types/mocha'];

export interface SnippetFile {
  snippet: Snippet;
  /** Path of the source file, relative to the project's src/. */
  source: string;
  /** The emitted file node runs, absolute. */
  emitted: string;
}

export function createSnippetProject(root: string, workspace: string, snippets: readonly Snippet[]): SnippetFile[] {
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'losskit-docs-snippets', private: true, type: 'module' }));
  const packages = workspacePackages(workspace);
  const links = new Map<string, string>(packages);
  for (const name of THIRD_PARTY) links.set(name, locate(workspace, [...packages.values()], name));
  for (const [name, target] of links) {
    const link = path.join(root, 'node_modules', ...name.split('/'));
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  mkdirSync(path.join(root, 'src'));
  const used = new Map<string, number>();
  return snippets.map((snippet) => {
    const base = `${snippet.file.replace(/\.md$/i, '').replace(/[^A-Za-z0-9]+/g, '_')}_L${snippet.line}`;
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    const extension = CODE_LANGUAGES[snippet.language]!;
    const source = `${base}${n ? `_${n}` : ''}${extension}`;
    writeFileSync(path.join(root, 'src', source), snippet.code);
    const emittedExtension = { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs', '.tsx': '.js' }[extension] ?? extension;
    return { snippet, source, emitted: path.join(root, 'out', source.replace(/\.[a-z]+$/, emittedExtension)) };
  });
}

/** A package's real directory, from whichever workspace package (or the root) has it installed. */
function locate(workspace: string, packageDirs: readonly string[], name: string): string {
  for (const dir of [workspace, ...packageDirs]) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
  }
  throw new Error(`the docs test needs ${name}, which no workspace package has installed (run pnpm install)`);
}

export interface Diagnostic {
  snippet: Snippet;
  /** Line in the markdown file. */
  line: number;
  message: string;
}

/**
 * Type-checks and emits every snippet with the documented compiler options. The test adds only
 * what a one-directory project of many files needs: src/ in, out/ out, JavaScript checked too,
 * and every file a module of its own (as each block would be in the user's project).
 */
export function compileSnippets(root: string, files: readonly SnippetFile[], documented: Record<string, unknown>): Diagnostic[] {
  const converted = ts.convertCompilerOptionsFromJson(documented, root);
  if (converted.errors.length) throw new Error(`documented tsconfig: ${ts.flattenDiagnosticMessageText(converted.errors[0]!.messageText, '\n')}`);
  const options: ts.CompilerOptions = {
    ...converted.options,
    rootDir: path.join(root, 'src'),
    outDir: path.join(root, 'out'),
    allowJs: true,
    checkJs: true,
    jsx: ts.JsxEmit.ReactJSX,
    moduleDetection: ts.ModuleDetectionKind.Force,
    noEmitOnError: false,
  };
  const program = ts.createProgram(files.map((f) => path.join(root, 'src', f.source)), options);
  const emitted = program.emit();
  const bySource = new Map(files.map((f) => [path.join(root, 'src', f.source), f]));
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const owner = d.file && bySource.get(path.resolve(d.file.fileName));
    if (!owner || d.start === undefined) return { snippet: files[0]!.snippet, line: 0, message: `TS${d.code}: ${text}${d.file ? ` (in ${d.file.fileName})` : ''}` };
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
    return { snippet: owner.snippet, line: owner.snippet.line + line, message: `TS${d.code}: ${text}` };
  });
}

export interface RunResult {
  ok: boolean;
  ms: number;
  output: string;
}

/** Runs one program with the user's environment (none of what pnpm/mocha add), in its own directory. */
export function runProgram(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  mkdirSync(cwd, { recursive: true });
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD'),
  );
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const ms = Date.now() - started;
      const killed = error && (error as { killed?: boolean }).killed;
      const tail = `${stdout}${stderr}`.trim().split('\n').slice(-25).join('\n');
      resolve({ ok: !error, ms, output: killed ? `killed after ${ms} ms (over the budget; mark it <!-- snippet: no-run: why -->)\n${tail}` : tail });
    });
  });
}

/** Runs tasks with at most `limit` in flight (the machine is shared; two at a time). */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
