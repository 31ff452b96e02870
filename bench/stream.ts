/**
 * Export throughput: the gateway's CSV (and JSON, OData) export of 1,000,000 rows from
 * PostgreSQL against `psql \copy (<the same SELECT>) TO '/dev/null' CSV` (issue 13 target:
 * each export at no less than 0.5x psql's rows/s), with the gateway's RSS growth.
 *
 *   npx tsx bench/stream.ts [--rows 1000000] [--runs 3]
 *
 * The table `semgate_stream.items` is seeded once (test/stream/fixture.ts); the gateway runs
 * as its own process (`bin/semgate.js serve`). The SELECT is the gateway's own compiled SQL
 * (POST /v1/query/sql) with its two parameters (the tenant and limit + 1) written in. Runs
 * alternate psql and gateway so both see the same machine load; the best and the median of
 * each are printed.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { KEYS, PG, seedPostgres, writeStreamConfig } from '../test/stream/fixture.ts';
import { MB, runExport, spawnGateway, type ExportKind } from '../test/stream/export.ts';
import { printTable } from './config.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
const rows = Number(values.rows);
const runs = Number(values.runs);

await seedPostgres();
const gw = await spawnGateway(writeStreamConfig({ engines: ['postgres'] }), { SEMGATE_AUDIT_SINK: 'none' });
try {
  const compiled = await (await fetch(`${gw.url}/v1/query/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.admin}`, 'x-tenant-id': 'a', 'content-type': 'application/json' },
    body: JSON.stringify({ dataset: 'items_pg', dimensions: ['id', 'tenant', 'note'], limit: rows }),
  }).then((r) => r.json())) as { sql: string; parameters: [string, number] };
  const [tenant, limit] = compiled.parameters;
  if (!/^[a-z]+$/.test(tenant) || !Number.isInteger(limit)) throw new Error('unexpected parameters');
  const select = compiled.sql.replace('$1', `'${tenant}'`).replace('$2', String(limit));

  const psql = (): number => {
    const started = performance.now();
    const r = spawnSync('psql', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', PG.database, '-X', '-q', '-c', `\\copy (${select}) TO '/dev/null' CSV`], {
      env: { ...process.env, PGPASSWORD: PG.password }, encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return (performance.now() - started) / 1000;
  };

  // Warm-up: the gateway's modules, pool and JIT; PostgreSQL's buffers.
  await runExport(gw, 'csv', KEYS.a, 100_000);
  psql();

  const times: Record<'psql' | ExportKind, number[]> = { psql: [], csv: [], json: [], odata: [] };
  const growth: Record<ExportKind, number[]> = { csv: [], json: [], odata: [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of ['csv', 'json', 'odata'] as ExportKind[]) {
      times.psql.push(psql());
      const r = await runExport(gw, kind, KEYS.a, rows);
      if (r.rows !== rows) throw new Error(`${kind}: ${r.rows} rows, expected ${rows}`);
      times[kind].push(r.seconds);
      growth[kind].push(r.rssMax - r.rssBefore);
    }
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const psqlBest = best(times.psql);
  const psqlMedian = median(times.psql);
  const row = (name: string, xs: number[], grow: number[] | null): string[] => [
    name, String(rows), best(xs).toFixed(2), median(xs).toFixed(2),
    Math.round(rows / best(xs)).toLocaleString('en-US'),
    `${(psqlBest / best(xs)).toFixed(2)}x`, `${(psqlMedian / median(xs)).toFixed(2)}x`,
    grow === null ? '-' : (Math.max(...grow) / MB).toFixed(1),
  ];
  printTable(
    ['export', 'rows', 'best s', 'median s', 'rows/s (best)', 'vs psql (best)', 'vs psql (median)', 'max RSS growth MB'],
    [
      row('psql \\copy to /dev/null', times.psql, null),
      row('gateway CSV', times.csv, growth.csv),
      row('gateway JSON', times.json, growth.json),
      row('gateway OData', times.odata, growth.odata),
    ],
  );
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n${runs} runs each, alternating; load average during the run: ${load}. Target (issue 13): each export >= 0.5x psql, RSS growth < 50 MB.`);
} finally {
  await gw.stop();
}
