/**
 * The floors of src/ (docs/architecture.md): an import only ever points down a floor, so
 * the front doors (REST in src/http, OData in src/odata, the portal, the CLI) never import
 * one another and share only what sits below them (src/web's plumbing, src/service's one
 * query road). Read from the source text, so a new file is covered without listing it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Floor of each top-level folder or file of src/; an import must go to a lower number. */
const FLOORS: Record<string, number> = {
  'errors.ts': 0, 'suggest.ts': 0, 'digest.ts': 0, 'timing.ts': 0,
  catalog: 1,
  query: 2, sources: 2,
  sql: 3, cache: 3, auth: 3, limits: 3, audit: 3,
  observability: 4,
  service: 5,
  web: 6,
  http: 7, odata: 7, portal: 7,
  openapi: 8,
  'app.ts': 9,
  'server.ts': 10,
  cli: 11,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mjs|js)$/.test(e.name) ? [path] : [];
  });
}

/** Relative imports of a file (static, re-exports and dynamic), as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

const roomOf = (path: string): string => path.split('/')[0]!;

const edges = sourceFiles(SRC).flatMap((file) => {
  const from = relative(SRC, file);
  return importsOf(file).filter((to) => !to.startsWith('..')).map((to) => ({ from, to }));
});

describe('the floors of src/', () => {
  it('reads the imports (the rule below is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((e) => roomOf(e.from) === 'odata' && roomOf(e.to) === 'web')).toBe(true);
    expect(edges.some((e) => roomOf(e.from) === 'app.ts' && roomOf(e.to) === 'odata')).toBe(true);
  });

  it('places every folder and file of src/ on a floor', () => {
    const rooms = new Set(sourceFiles(SRC).map((f) => roomOf(relative(SRC, f))));
    for (const room of rooms) expect(FLOORS[room], `src/${room} has no floor in this test`).toBeTypeOf('number');
  });

  it('never imports from src/http into src/odata, nor the other way', () => {
    const across = edges.filter((e) => (roomOf(e.from) === 'odata' && roomOf(e.to) === 'http') || (roomOf(e.from) === 'http' && roomOf(e.to) === 'odata'));
    expect(across).toEqual([]);
  });

  it('points every import across folders down a floor: no door imports another, nothing imports upwards', () => {
    const wrong = edges
      .filter((e) => roomOf(e.from) !== roomOf(e.to))
      .filter((e) => !(FLOORS[roomOf(e.to)]! < FLOORS[roomOf(e.from)]!))
      .map((e) => `src/${e.from} -> src/${e.to}`);
    expect(wrong).toEqual([]);
  });
});
