/**
 * The portal's browser tests: Debian's Chromium driven by playwright-core, against a real
 * gateway started in process on a random port, with its log lines kept for inspection.
 *
 * Chromium missing skips the suites with a loud notice, unless SEMGATE_REQUIRE_SERVICES=1
 * (CI), where it fails them instead: `npm run services` (scripts/services.sh) installs it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { Gateway, stateFor } from '../../src/service/gateway.ts';
import { REPO_ROOT, loadCatalog } from '../helpers/catalog.ts';

export const CHROMIUM = process.env['SEMGATE_CHROMIUM'] ?? '/usr/bin/chromium';
export const SHOTS = path.join(REPO_ROOT, 'test-results', 'portal');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Whether the browser tests can run; says loudly why not, or fails under SEMGATE_REQUIRE_SERVICES=1. */
export function requireChromium(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `${suite} needs Chromium at ${CHROMIUM}, which is not installed`;
  if (process.env['SEMGATE_REQUIRE_SERVICES'] === '1') throw new Error(`${why} (SEMGATE_REQUIRE_SERVICES=1 forbids skipping)`);
  console.warn(`\n  SKIPPED: ${why}: install it with \`apt-get install -y chromium\` (or \`npm run services\`).\n`);
  return false;
}

/** Headless, and quiet on the network: without these flags Chromium keeps calling home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface PortalGateway {
  readonly url: string;
  readonly server: RunningServer;
  /** Every log line the gateway wrote (level info and up). */
  readonly log: string[];
  close(): Promise<void>;
}

/** The gateway over `configDir` (the demo by default), logging at info into memory. */
export async function startPortalGateway(configDir: string = REPO_ROOT): Promise<PortalGateway> {
  const log: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      log.push(chunk.toString('utf8'));
      done();
    },
  });
  const gateway = new Gateway(stateFor(await loadCatalog(configDir)), pino({ level: 'info' }, sink));
  const server = await startServer({ configDir, gateway, port: 0, host: '127.0.0.1' });
  return { url: server.url, server, log, close: () => server.close() };
}

/** What the API answers for a query, straight (not through the page). */
export async function apiQuery(base: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}/v1/query`, {
    method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers },
  });
  return { status: res.status, json: await res.json() };
}

/** A cell as the page shows it: NULL empty, anything else its JSON value as text. */
export const cellText = (v: unknown): string => (v === null ? '' : String(v));

export async function tableCells(page: Page): Promise<{ head: string[]; rows: string[][] }> {
  const table = page.getByRole('table');
  await table.waitFor();
  const head = await table.locator('thead th').allTextContents();
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent ?? '')));
  return { head, rows };
}

/** Pixels painted on the canvas inside `figure` (0 when nothing was drawn). */
export async function paintedPixels(figure: Locator): Promise<number> {
  return figure.locator('canvas').evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    if (canvas.width === 0 || canvas.height === 0) return 0;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  });
}

/** axe-core over the page as it stands: no serious or critical violation. */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  // Evaluated through the devtools protocol: the page's CSP (rightly) refuses an injected <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe on the ${view} view`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/portal/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1 }).filter({ hasNotText: 'customer portal' }).waitFor();
}

export async function openView(page: Page, name: 'Datasets' | 'Query' | 'Connect' | 'Usage'): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name, exact: true }).click();
  const region = page.getByRole('region', { name, exact: true });
  await region.waitFor();
  return region;
}

export interface Clicks {
  dataset: string;
  /** Dimensions in the order they are ticked, each with a grain to choose or none. */
  dimensions: { name: string; grain?: string }[];
  metrics: string[];
  filter?: { field: string; op: string; values: string[] };
}

/** Builds a query by clicking, the way a person would, and runs it. */
export async function buildByClicking(page: Page, q: Clicks): Promise<void> {
  const region = await openView(page, 'Query');
  await region.getByLabel('Dataset', { exact: true }).selectOption(q.dataset);
  for (const d of q.dimensions) {
    await region.getByRole('checkbox', { name: d.name, exact: true }).check();
    if (d.grain) await region.getByLabel(`Time grain of ${d.name}`).selectOption(d.grain);
  }
  for (const m of q.metrics) await region.getByRole('checkbox', { name: m, exact: true }).check();
  if (q.filter) {
    await region.getByRole('button', { name: 'Add filter' }).click();
    await region.getByLabel('Filter 1 field').selectOption(q.filter.field);
    await region.getByLabel('Filter 1 operator').selectOption(q.filter.op);
    const boxes = q.filter.values.length === 2 ? ['Filter 1 from', 'Filter 1 to'] : ['Filter 1 value'];
    for (const [i, label] of boxes.entries()) await region.getByLabel(label, { exact: true }).fill(q.filter.values[i]!);
  }
  await region.getByRole('button', { name: 'Run', exact: true }).click();
  await page.getByRole('table').or(page.getByRole('alert')).first().waitFor();
}
