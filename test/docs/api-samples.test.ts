/**
 * docs/api.md's sample outputs are what the demo answers (issue 14, point 6): the samples are
 * run again against the demo (scripts/docs-samples.ts, through bash and the real curl) and the
 * page must be exactly what `npm run docs:samples` would write, request ids, timings and
 * today's date aside. When this fails, run `npm run docs:samples` and review the diff.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { API_DOC, formatJson, normaliseVolatile, renderSamples, samplesOf, startDemo } from '../../scripts/docs-samples.ts';

let demo: RunningServer;
beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await demo?.close();
});

describe('docs/api.md samples', () => {
  it('has its samples between markers, each a curl command', () => {
    const samples = samplesOf(readFileSync(API_DOC, 'utf8'));
    expect(samples.length).toBeGreaterThanOrEqual(15);
    for (const s of samples) expect(s.command).toMatch(/^curl /);
  });

  it('shows what the demo answers (npm run docs:samples writes exactly this page)', async () => {
    const doc = readFileSync(API_DOC, 'utf8');
    const fresh = await renderSamples(doc, demo.url);
    const [a, b] = [normaliseVolatile(doc).split('\n'), normaliseVolatile(fresh).split('\n')];
    const first = a.findIndex((line, i) => line !== b[i]);
    expect(first, first < 0 ? '' : `docs/api.md line ${first + 1} differs from the demo's answer (run npm run docs:samples):\n  doc:  ${a[first]}\n  demo: ${b[first]}`).toBe(-1);
    expect(a.length).toBe(b.length);
  }, 120_000);

  it('normalises only what changes on every call', () => {
    const text = '{"duration_ms":12.5,"request_id":"01a245de-4396-744b-ad19-61b41fac1d78","rows":[["2024-06-01",3]],"date":"2026-12-05"}';
    expect(normaliseVolatile(text)).toBe('{"duration_ms":<n>,"request_id":"<uuid>","rows":[["2024-06-01",3]],"date":<date>}');
    expect(formatJson({ a: [1, 2], b: { c: 'x' } })).toBe('{"a":[1,2],"b":{"c":"x"}}');
  });
});
