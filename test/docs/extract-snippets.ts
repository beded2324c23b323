import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// Finds the code blocks of every README and guide, with the marker that says how the docs test
// treats each one. Markers are HTML comments (invisible on GitHub and npm) on the line before
// the fence; see CONTRIBUTING.md ("Code blocks in the docs").

/** Languages whose blocks are type-checked and run, and the file extension each is checked as. */
export const CODE_LANGUAGES: Readonly<Record<string, string>> = {
  ts: '.ts',
  typescript: '.ts',
  mts: '.mts',
  cts: '.cts',
  tsx: '.tsx',
  js: '.js',
  javascript: '.js',
  mjs: '.mjs',
  cjs: '.cjs',
};

/** Languages that are not code the docs test can check (shell lines, data, program output). */
export const OTHER_LANGUAGES = new Set(['sh', 'bash', 'shell', 'json', 'jsonc', 'yaml', 'text', 'txt', 'diff', 'math']);

/**
 * - `run` (no marker): type-checked and run; a block that calls `describe(...)` at top level
 *   runs under mocha.
 * - `no-run`: type-checked, not run; the marker gives the reason (network, > 20 s, a placeholder package).
 * - `fragment`: neither; the marker gives the reason. For code that cannot be a whole file.
 * - `tsconfig`: a json block holding the tsconfig.json the docs tell users to write; the docs
 *   test checks every other block with exactly these compiler options.
 */
export type SnippetMode = 'run' | 'no-run' | 'fragment' | 'tsconfig';

export interface Snippet {
  /** Repository-relative path of the markdown file. */
  file: string;
  /** 1-based line of the first code line (after the opening fence). */
  line: number;
  language: string;
  code: string;
  mode: SnippetMode;
  reason?: string;
}

const MARKER = /^\s*<!--\s*snippet:\s*([a-z-]+)\s*(?::\s*(.*?))?\s*-->\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;

/** Every code block of a markdown text, markers applied; throws on a malformed marker or an untagged fence. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  let pending: { mode: SnippetMode; reason?: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    if (marker) {
      pending = { ...parseMarker(file, i + 1, marker[1]!, marker[2]), line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(lines[i]!);
    if (!fence) {
      if (pending && lines[i]!.trim() !== '') throw new Error(`${file}:${pending.line}: a snippet marker must come right before a code block`);
      continue;
    }
    const [, ticks, language = ''] = fence;
    const end = lines.findIndex((l, j) => j > i && new RegExp(`^ {0,3}${ticks![0]}{${ticks!.length},}\\s*$`).test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
    const lang = language.toLowerCase();
    if (!lang) {
      throw new Error(`${file}:${i + 1}: a code block without a language; tag it (\`\`\`ts, \`\`\`sh, \`\`\`text, ...) so the docs test knows whether to check it`);
    }
    const isCode = lang in CODE_LANGUAGES;
    if (!isCode && !OTHER_LANGUAGES.has(lang)) throw new Error(`${file}:${i + 1}: unknown code block language '${lang}'`);
    const misplaced = pending && (pending.mode === 'tsconfig' ? lang !== 'json' : !isCode);
    if (pending && misplaced) throw new Error(`${file}:${pending.line}: marker '${pending.mode}' does not apply to a '${lang}' block`);
    if (isCode || pending?.mode === 'tsconfig') {
      const indent = /^ */.exec(lines[i]!)![0].length;
      const code = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent, /^ */.exec(l)![0].length))).join('\n');
      snippets.push({ file, line: i + 2, language: lang, code: `${code}\n`, mode: pending?.mode ?? 'run', ...(pending?.reason ? { reason: pending.reason } : {}) });
    }
    pending = undefined;
    i = end;
  }
  if (pending) throw new Error(`${file}:${pending.line}: a snippet marker must come right before a code block`);
  return snippets;
}

function parseMarker(file: string, line: number, mode: string, reason: string | undefined): { mode: SnippetMode; reason?: string } {
  if (mode === 'tsconfig') return { mode };
  if (mode !== 'no-run' && mode !== 'fragment') {
    throw new Error(`${file}:${line}: unknown snippet marker '${mode}' (known: fragment, no-run, tsconfig)`);
  }
  if (!reason) throw new Error(`${file}:${line}: <!-- snippet: ${mode}: ... --> needs a reason after the colon`);
  return { mode, reason };
}

/** The READMEs and guides of the repository: tracked and new (not ignored) markdown files, none under node_modules. */
export function markdownFiles(root: string): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: root, encoding: 'utf8' });
  return [...new Set(out.split('\n').filter((f) => f && !f.split('/').includes('node_modules')))].sort();
}

export function snippetsOfRepository(root: string): Snippet[] {
  return markdownFiles(root).flatMap((file) => extractSnippets(file, readFileSync(path.join(root, file), 'utf8')));
}

/** A block's code calls mocha's `describe` (or the testkit's `describeLossPlugin`) at top level. */
export function isMochaSuite(snippet: Snippet): boolean {
  return /^(describe|describeLossPlugin)\(/m.test(snippet.code);
}
