#!/usr/bin/env node
// `npm run build`: compiles the server (src/, TypeScript) to dist/server/ with tsc, copies
// the JSON schemas the code reads at run time next to it, and builds the portal's assets
// (dist/portal/). What the container runs: `node dist/server/cli/main.js serve`.
// `npm start` does not need it (bin/semgate.js runs the sources through tsx).
//
//   node scripts/build.mjs            (or: npm run build)
import { execFileSync } from 'node:child_process';
import { cp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'server');
const require = createRequire(import.meta.url);

// A clean output: a source file deleted since the last build must not linger as .js.
await rm(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

/** Every .json under src/ (schemas read with require/readFileSync), at the same place under dist/server/. */
async function copyJson(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const from = path.join(dir, e.name);
    if (e.isDirectory()) await copyJson(from);
    else if (e.name.endsWith('.json')) await cp(from, path.join(out, path.relative(path.join(root, 'src'), from)));
  }
}
await copyJson(path.join(root, 'src'));

execFileSync(process.execPath, [path.join(root, 'scripts', 'build-portal.mjs'), '--quiet'], { stdio: 'inherit', cwd: root });
process.stdout.write(`built ${path.relative(root, out)}/ and dist/portal/\n`);
