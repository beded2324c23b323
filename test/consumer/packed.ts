import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The packed tarballs of every publishable package, made once per test run and shared by the
// consumer tests (packing is the slow, common step). `pnpm build` must have run (`pnpm test` does).

export const run = promisify(execFile);
export const workspace = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Every publishable package of the workspace (packages/* and examples/* that are not private),
 * name -> directory, so the tests prove each one packs, and a new package is packed without
 * being listed here.
 */
export const PACKED: Readonly<Record<string, string>> = Object.fromEntries(
  ['packages', 'examples'].flatMap((parent) =>
    readdirSync(path.join(workspace, parent))
      .map((entry) => path.join(parent, entry))
      .filter((dir) => existsSync(path.join(workspace, dir, 'package.json')))
      .map((dir) => [JSON.parse(readFileSync(path.join(workspace, dir, 'package.json'), 'utf8')) as { name: string; private?: boolean }, dir] as const)
      .filter(([manifest]) => !manifest.private)
      .map(([manifest, dir]) => [manifest.name, dir]),
  ),
);
export type PackedName = string;
export type Tarballs = Record<PackedName, string>;

let packing: Promise<{ root: string; tarballs: Tarballs }> | undefined;

/** A fresh temp directory holding the tarballs (made on first call); `scratch()` gives more room beside them. */
export function packedTarballs(): Promise<{ root: string; tarballs: Tarballs }> {
  packing ??= (async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'losskit-consumer-'));
    return { root, tarballs: await packAll(path.join(root, 'tarballs')) };
  })();
  return packing;
}

// A root-level hook (this module is loaded once, by the first consumer spec): the shared
// directory goes when the whole run ends, after every suite that used it. LOSSKIT_KEEP_CONSUMER=1 keeps it.
after(async function () {
  this.timeout(10 * 60 * 1000); // npm and yarn projects hold copies of tfjs
  if (!packing || process.env.LOSSKIT_KEEP_CONSUMER) return;
  const { root } = await packing;
  rmSync(root, { recursive: true, force: true });
});

async function packAll(destination: string): Promise<Tarballs> {
  mkdirSync(destination, { recursive: true });
  const result = {} as Tarballs;
  for (const [name, dir] of Object.entries(PACKED) as [PackedName, string][]) {
    const before = new Set(readdirSync(destination));
    await pnpmPack(path.join(workspace, dir), destination);
    const created = readdirSync(destination).filter((file) => !before.has(file) && file.endsWith('.tgz'));
    if (created.length !== 1) throw new Error(`pnpm pack of ${name} made ${created.length} tarballs`);
    result[name] = path.join(destination, created[0]!);
  }
  return result;
}

/**
 * pnpm 12 sometimes fails before packing while resolving the packageManager pin's binaries
 * (ERR_PNPM_BAD_CONFIG_DEP, a registry 404 for a platform build; about one run in six here).
 * That is pnpm's start-up, not packing, so only that error is retried.
 */
async function pnpmPack(dir: string, destination: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('pnpm', ['pack', '--pack-destination', destination], { cwd: dir, env: userEnvironment() });
      return;
    } catch (error) {
      if (attempt >= 5 || !outputOf(error).includes('ERR_PNPM_BAD_CONFIG_DEP')) throw error;
    }
  }
}

export function outputOf(error: unknown): string {
  return `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
}

export async function readFromTarball(tarball: string, file: string): Promise<string> {
  const { stdout } = await run('tar', ['-xzOf', tarball, file], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function listTarball(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/** The environment without what `pnpm test` adds for its scripts, so package managers behave as for a user. */
export function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD'),
  );
}
