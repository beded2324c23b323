import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './bundle.js';

// losskit as an application installs it: each package packed with `pnpm pack` (so only what its
// "files" list ships, with workspace versions replaced), unpacked into the node_modules of an
// application directory of its own, beside a copy of an example's sources. Third-party
// dependencies are not downloaded (nothing may be, at run time): each is linked to the copy
// this workspace installed, so every package resolves the same single tfjs.

/** The packages a browser application of the examples installs (the example plugin included). */
const PACKED_DIRS = [
  'packages/core',
  'packages/loss-mse',
  'packages/loss-ssim',
  'packages/loss-combined',
  'packages/loss-image',
  'packages/trainer',
  'packages/wasm-training',
  'examples/losskit-loss-huber',
];

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readManifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
const dependencyNames = (m: Manifest) => Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies });

export interface PackedApp {
  dir: string;
  /** Removes the application directory (its node_modules holds links only, never their targets). */
  remove(): void;
}

/** An application directory with the packed packages installed and `exampleDir`'s `src/` copied in. */
export function packedApp(exampleDir: string): PackedApp {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'losskit-packed-'));
  try {
    const modules = path.join(dir, 'node_modules');
    const own = new Set<string>();
    const external = new Map<string, string>(); // name -> the directory a package resolved it from
    for (const relative of PACKED_DIRS) {
      const source = path.join(repoRoot, relative);
      const manifest = readManifest(source);
      // pnpm pack prints the tarball's path on its last line.
      const tarball = execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: source, encoding: 'utf8' }).trim().split('\n').at(-1)!;
      const target = path.join(modules, manifest.name);
      mkdirSync(target, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
      rmSync(tarball);
      own.add(manifest.name);
      for (const name of dependencyNames(readManifest(target))) if (!external.has(name)) external.set(name, source);
    }
    for (const name of dependencyNames(readManifest(exampleDir))) if (!external.has(name)) external.set(name, exampleDir);
    for (const [name, from] of external) {
      if (own.has(name)) continue;
      const installed = path.join(from, 'node_modules', name);
      if (!existsSync(installed)) continue; // an optional dependency this machine left out (tfjs-node)
      mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
      symlinkSync(realpathSync(installed), path.join(modules, name), 'dir');
    }
    cpSync(path.join(exampleDir, 'src'), path.join(dir, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'losskit-packed-app', private: true, type: 'module' }));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
