#!/usr/bin/env node
// Builds the customer portal (portal/) into dist/portal/ with esbuild: one hashed JS file
// (Preact + Chart.js + the page), one hashed CSS file, and index.html naming them. Runs at
// install (the `prepare` script), and the gateway runs it when dist/portal/ is missing, so
// `npm ci && npm start` serves the page with nothing else to run.
//
//   node scripts/build-portal.mjs            # build; prints each file's size, raw and gzip
//   node scripts/build-portal.mjs --quiet    # build, print nothing
//   node scripts/build-portal.mjs --if-missing --quiet   # the gateway's: only when no build is there
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'portal');
const target = path.join(root, 'dist', 'portal');
const quiet = process.argv.includes('--quiet');
// Gateways in several processes (test workers) may find the build missing at once: the
// first to finish puts it in place, and the others leave it there.
const ifMissing = process.argv.includes('--if-missing');
const built = () => existsSync(path.join(target, 'index.html'));
if (ifMissing && built()) process.exit(0);

/** The whole page must stay small: it is served to every key holder, often over slow links. */
const BUDGET_GZIP_BYTES = 250 * 1024;

// Built beside the target and renamed into place, so a gateway never serves half a build.
const work = path.join(root, 'dist', `.portal-${process.pid}-${Date.now()}`);
await rm(work, { recursive: true, force: true });
await mkdir(path.join(work, 'assets'), { recursive: true });

try {
  const result = await esbuild.build({
    entryPoints: { app: path.join(source, 'src', 'main.tsx') },
    outdir: path.join(work, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'linked',
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`esbuild wrote ${outputs.join(', ')}: expected one .js and one .css`);

  const template = await readFile(path.join(source, 'index.html'), 'utf8');
  // `%BASE%` is filled in by the gateway: the page is served at /portal and /portal/, and its
  // asset URLs stay relative so a path prefix in front of the gateway keeps working.
  const html = template.replaceAll('%ASSETS%', '%BASE%assets').replace('%JS%', js).replace('%CSS%', css);
  await writeFile(path.join(work, 'index.html'), html);

  const files = [];
  for (const name of ['index.html', ...outputs.map((f) => `assets/${f}`)]) {
    const bytes = await readFile(path.join(work, name));
    files.push({ file: name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  const total = { bytes: files.reduce((n, f) => n + f.bytes, 0), gzip: files.reduce((n, f) => n + f.gzip, 0) };
  await writeFile(path.join(work, 'build.json'), `${JSON.stringify({ files, total }, null, 2)}\n`);

  if (ifMissing && built()) {
    await rm(work, { recursive: true, force: true });
    process.exit(0);
  }
  await rm(target, { recursive: true, force: true });
  await rename(work, target);
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const f of files) console.log(`portal: ${f.file.padEnd(34)} ${kb(f.bytes).padStart(10)} ${kb(f.gzip).padStart(10)} gzip`);
    console.log(`portal: ${'total'.padEnd(34)} ${kb(total.bytes).padStart(10)} ${kb(total.gzip).padStart(10)} gzip -> ${path.relative(root, target)}/`);
  }
  if (total.gzip > BUDGET_GZIP_BYTES) {
    console.warn(`portal: over budget: ${total.gzip} bytes gzip, the budget is ${BUDGET_GZIP_BYTES}`);
  }
} catch (e) {
  await rm(work, { recursive: true, force: true });
  console.error(`portal: build failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
