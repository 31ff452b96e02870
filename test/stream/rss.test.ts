/**
 * Acceptance (issue 13): a 1,000,000-row CSV, JSON and OData export each grow the gateway's
 * RSS by under 50 MB. The gateway runs as its own process (`bin/semgate.js serve`) over
 * PostgreSQL; its memory is read from /proc/<pid>/status: VmRSS before the request, sampled
 * while it runs, and VmHWM (reset before each export through clear_refs) after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireServices } from '../helpers/services.ts';
import { KEYS, PG_ROWS, seedPostgres, writeStreamConfig } from './fixture.ts';
import { MB, runExport, spawnGateway, type ExportKind, type ExportRun, type SpawnedGateway } from './export.ts';

const svc = await requireServices('postgres');
const LIMIT = 1_000_000;
const GROWTH_LIMIT = 50 * MB;

let gw: SpawnedGateway;
const runs: ExportRun[] = [];

beforeAll(async () => {
  if (!svc.ok) return;
  await seedPostgres();
  gw = await spawnGateway(writeStreamConfig({ engines: ['postgres'] }));
  // Warm up: modules, the pool, the JIT and one streamed result, so the numbers are the export's.
  await runExport(gw, 'csv', KEYS.a, 100_000);
  await runExport(gw, 'json', KEYS.a, 100_000);
  await runExport(gw, 'odata', KEYS.a, 100_000);
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  if (runs.length > 0) {
    const f = (n: number): string => (Number.isNaN(n) ? 'n/a' : (n / MB).toFixed(1));
    console.log(['| export | rows | MB sent | s | RSS before MB | max RSS MB | growth (max RSS) MB | growth (VmHWM) MB |', '|---|---|---|---|---|---|---|---|',
      ...runs.map((r) => `| ${r.kind} | ${r.rows} | ${f(r.bytes)} | ${r.seconds.toFixed(2)} | ${f(r.rssBefore)} | ${f(r.rssMax)} | ${f(r.rssMax - r.rssBefore)} | ${f(r.hwmAfter - r.rssBefore)} |`)].join('\n'));
  }
});

describe.skipIf(!svc.ok)('a 1,000,000-row export, gateway in its own process', () => {
  expect(PG_ROWS.a).toBeGreaterThanOrEqual(LIMIT);
  for (const kind of ['csv', 'json', 'odata'] as ExportKind[]) {
    it(`${kind}: every row arrives and the gateway's RSS grows by under 50 MB`, async () => {
      const run = await runExport(gw, kind, KEYS.a, LIMIT);
      runs.push(run);
      expect(run.rows).toBe(LIMIT);
      expect(run.rssMax - run.rssBefore).toBeLessThan(GROWTH_LIMIT);
      if (!Number.isNaN(run.hwmAfter)) expect(run.hwmAfter - run.rssBefore).toBeLessThan(GROWTH_LIMIT);
    }, 300_000);
  }
});
