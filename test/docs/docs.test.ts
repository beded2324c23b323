import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { extractSnippets, isMochaSuite, snippetsOfRepository, type Snippet } from './extract-snippets.js';
import { compileSnippets, createSnippetProject, inParallel, runProgram, type SnippetFile } from './snippet-project.js';

// Docs that run: every ts/js block of every README and guide, copied as printed into one
// project configured as the docs tell users to, is type-checked (one TypeScript program) and
// run (node; mocha for test suites). Needs `pnpm build` first (`pnpm test` does it).
// Blocks marked `<!-- snippet: no-run: why -->` are only type-checked, `<!-- snippet: fragment: why -->`
// neither; CONTRIBUTING.md says when to use them.

const workspace = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mochaBin = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
/** Per-block limit: the docs promise runs of a few seconds; a slower block gets a no-run marker with its reason. */
const RUN_TIMEOUT_MS = 90_000;

describe('docs: every code block as printed', function () {
  this.timeout(10 * 60 * 1000);
  let root: string;
  let files: SnippetFile[];
  let snippets: Snippet[];

  before(() => {
    snippets = snippetsOfRepository(workspace);
    root = mkdtempSync(path.join(os.tmpdir(), 'losskit-docs-'));
    files = createSnippetProject(
      root,
      workspace,
      snippets.filter((s) => s.mode === 'run' || s.mode === 'no-run'),
    );
  });
  after(() => {
    if (root && !process.env.LOSSKIT_KEEP_DOCS) rmSync(root, { recursive: true, force: true });
  });

  it('finds the blocks of the READMEs and the guide, and one documented tsconfig', () => {
    const fileNames = new Set(snippets.map((s) => s.file));
    for (const file of ['README.md', 'docs/writing-a-loss-plugin.md', 'packages/core/README.md', 'packages/trainer/README.md']) {
      expect(fileNames, file).to.include(file);
    }
    expect(snippets.filter((s) => s.mode === 'tsconfig').map((s) => s.file)).to.deep.equal(['README.md']);
    for (const s of snippets.filter((x) => x.mode === 'fragment' || x.mode === 'no-run')) {
      expect(s.reason, `${s.file}:${s.line}`).to.be.a('string').with.length.above(5);
    }
  });

  it('type-checks every block with the documented tsconfig (strict), in one program', () => {
    const diagnostics = compileSnippets(root, files, documentedCompilerOptions(snippets));
    const report = diagnostics.map((d) => `${d.snippet.file}:${d.line}: ${d.message}`);
    expect(report, report.join('\n')).to.deep.equal([]);
  });

  it('runs every block not marked no-run or fragment', async () => {
    const runnable = files.filter((f) => f.snippet.mode === 'run');
    const results = await inParallel(runnable, 2, async (f) => {
      const cwd = path.join(root, 'run', path.basename(f.emitted).replace(/\.[a-z]+$/, ''));
      const args = isMochaSuite(f.snippet) ? [mochaBin, '--timeout', '60000', f.emitted] : [f.emitted];
      const result = await runProgram(process.execPath, args, cwd, RUN_TIMEOUT_MS);
      // mocha exits 0 when a file defines no test at all: a suite block must have run some.
      if (isMochaSuite(f.snippet) && result.ok && !/[1-9]\d* passing/.test(result.output)) {
        return { f, result: { ...result, ok: false, output: `mocha ran no test:\n${result.output}` } };
      }
      return { f, result };
    });
    // Visible in CI: the blocks that cost the most (each should stay at a few seconds).
    const slowest = [...results].sort((a, b) => b.result.ms - a.result.ms).slice(0, 3);
    console.log(`      slowest blocks: ${slowest.map(({ f, result }) => `${f.snippet.file}:${f.snippet.line} ${result.ms} ms`).join(', ')}`);
    const failures = results
      .filter(({ result }) => !result.ok)
      .map(({ f, result }) => `${f.snippet.file}:${f.snippet.line} (${result.ms} ms):\n${indent(result.output)}`);
    expect(failures, failures.join('\n\n')).to.deep.equal([]);
  });
});

describe('docs: snippet markers', () => {
  const md = (...lines: string[]) => lines.join('\n');

  it('takes the marker on the line before a block, with its reason', () => {
    const found = extractSnippets('x.md', md('<!-- snippet: no-run: downloads a model -->', '```ts', 'const a = 1;', '```', '```js', 'b();', '```'));
    expect(found.map(({ mode, reason, line, language }) => ({ mode, reason, line, language }))).to.deep.equal([
      { mode: 'no-run', reason: 'downloads a model', line: 3, language: 'ts' },
      { mode: 'run', reason: undefined, line: 6, language: 'js' },
    ]);
  });

  it('refuses a marker without a reason, an unknown marker, an untagged block and a marker before prose', () => {
    expect(() => extractSnippets('x.md', md('<!-- snippet: fragment -->', '```ts', 'x', '```'))).to.throw(/needs a reason/);
    expect(() => extractSnippets('x.md', md('<!-- snippet: skip: why not -->', '```ts', 'x', '```'))).to.throw(/unknown snippet marker 'skip'/);
    expect(() => extractSnippets('x.md', md('```', 'x', '```'))).to.throw(/x.md:1: a code block without a language/);
    expect(() => extractSnippets('x.md', md('<!-- snippet: fragment: a part -->', 'text', '```ts', 'x', '```'))).to.throw(/right before a code block/);
  });

  it('skips shell and output blocks but keeps indented code blocks, de-indented', () => {
    const found = extractSnippets('x.md', md('```sh', 'pnpm test', '```', '1. step', '   ```ts', '   const a = 1;', '   ```'));
    expect(found.map((s) => s.code)).to.deep.equal(['const a = 1;\n']);
  });
});

function documentedCompilerOptions(snippets: readonly Snippet[]): Record<string, unknown> {
  const block = snippets.find((s) => s.mode === 'tsconfig');
  if (!block) throw new Error('no <!-- snippet: tsconfig --> block: the root README must print the tsconfig.json users need');
  return (JSON.parse(block.code) as { compilerOptions: Record<string, unknown> }).compilerOptions;
}

function indent(text: string): string {
  return text.replace(/^/gm, '    ');
}
