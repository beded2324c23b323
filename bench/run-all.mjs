// Runs every bench/*.bench.mjs in its own Node process (kernel registrations and backends are
// process-wide, so benchmarks must not share one) and passes their JSON lines through.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, [path.join(benchDir, file)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    failed++;
    console.log(JSON.stringify({ bench: file.replace('.bench.mjs', ''), error: `exited with ${result.status ?? result.signal}` }));
  }
}
process.exitCode = failed ? 1 : 0;
