/**
 * The portal's safety: its static route needs no key and carries a strict CSP, every data
 * call needs one; a catalog description and a dimension value holding markup are shown as
 * those characters (no element, no script, no dialog); nothing the page does breaks its
 * own CSP; and the page works behind a reverse proxy's path prefix.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_CSP } from '../../src/portal/routes.ts';
import { REPO_ROOT } from '../helpers/catalog.ts';
import {
  apiQuery, buildByClicking, cellText, expectAccessible, launchChromium, openView, paintedPixels, requireChromium, screenshot,
  signIn, startPortalGateway, tableCells, type PortalGateway,
} from './harness.ts';

const run = requireChromium('test/portal/portal-safety.test.ts');
const PROBE = '<img src=x onerror=alert(1)>';

/** The demo's configuration, with the probe in a dataset's and a field's description and in a country's name. */
function probeConfig(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'semgate-portal-xss-'));
  for (const f of ['sources.yaml', 'api-keys.yaml']) cpSync(path.join(REPO_ROOT, f), path.join(dir, f));
  const catalog = readFileSync(path.join(REPO_ROOT, 'catalog.yaml'), 'utf8')
    .replace('description: One row per order, 2024-2025', `description: "${PROBE}"`)
    .replace("description: Sales region of the customer's country", `description: "region ${PROBE}"`);
  expect(catalog.split(PROBE)).toHaveLength(3);
  writeFileSync(path.join(dir, 'catalog.yaml'), catalog);
  cpSync(path.join(REPO_ROOT, 'examples', 'demo'), path.join(dir, 'examples', 'demo'), { recursive: true });
  const init = path.join(dir, 'examples', 'demo', 'init.sql');
  writeFileSync(init, `${readFileSync(init, 'utf8')}\nINSERT INTO countries VALUES ('XS', '${PROBE}', 'EU', 1.0);\n`);
  return dir;
}

/** A reverse proxy that serves the gateway under /analytics/, as nginx's `location /analytics/ { proxy_pass http://gw/; }`. */
function prefixProxy(target: string): Promise<{ url: string; server: Server; seen: string[] }> {
  const to = new URL(target);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (!req.url?.startsWith('/analytics/')) {
      res.writeHead(404).end();
      return;
    }
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url.slice('/analytics'.length), headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${address.port}`, server, seen });
  }));
}

describe('the portal\'s static route', () => {
  let gw: PortalGateway;
  beforeAll(async () => {
    gw = await startPortalGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('needs no key, carries the CSP and the other safety headers, and has no inline script; every data call needs a key', async () => {
    for (const p of ['/portal', '/portal/']) {
      const res = await fetch(`${gw.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(PORTAL_CSP);
      expect(PORTAL_CSP).toContain("script-src 'self'");
      expect(PORTAL_CSP).not.toContain('unsafe');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts).toHaveLength(1);
      expect(scripts[0]![2]!.trim()).toBe(''); // no inline script: only src=
      expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere
      const assets = [...html.matchAll(/(?:src|href)="((?:portal\/)?assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(assets).toHaveLength(2);
      for (const a of assets) {
        const file = await fetch(new URL(a, `${gw.url}${p}`), { headers: { 'Accept-Encoding': 'gzip' } });
        expect(file.status, a).toBe(200);
        expect(file.headers.get('content-type')).toMatch(a.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
        expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(file.headers.get('x-content-type-options')).toBe('nosniff');
        expect(file.headers.get('content-encoding')).toBe('gzip');
        expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
    }
    const missing = await fetch(`${gw.url}/portal/assets/app-NOTAHASH.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    for (const p of ['/portal/assets/../../package.json', '/portal/assets/%2e%2e%2fpackage.json', '/portal/index.html', '/portal/build.json']) {
      expect((await fetch(`${gw.url}${p}`)).status, p).toBe(404);
    }
    for (const p of ['/v1/datasets', '/v1/datasets/orders', '/v1/usage', '/v1/admin/usage']) {
      expect((await fetch(`${gw.url}${p}`)).status, p).toBe(401);
    }
    expect((await fetch(`${gw.url}/v1/query`, { method: 'POST', body: '{"dataset":"orders","metrics":["revenue"]}' })).status).toBe(401);
  });
});

describe.skipIf(!run)('the portal\'s safety in Chromium', () => {
  let gw: PortalGateway;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startPortalGateway(probeConfig()), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  async function watchedPage(): Promise<Page> {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    p.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Every CSP violation the page causes, counted from before its first script runs.
    await p.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    return p;
  }
  const violations = (p: Page): Promise<string[]> => p.evaluate(() => (window as unknown as { violations: string[] }).violations);

  it('shows markup from the catalog and from the data as text: no element, no script, no dialog', async () => {
    page = await watchedPage();
    await signIn(page, gw.url, 'sk_demo_acme');
    const datasets = page.getByRole('region', { name: 'Datasets' });
    await expect.poll(() => datasets.getByText(PROBE, { exact: true }).count()).toBe(1);
    await expect.poll(() => datasets.getByText(`region ${PROBE}`, { exact: true }).count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);

    await buildByClicking(page, { dataset: 'countries', dimensions: [{ name: 'country_name' }], metrics: ['country_count'] });
    const api = await apiQuery(gw.url, 'sk_demo_acme', { dataset: 'countries', dimensions: ['country_name'], metrics: ['country_count'], limit: 100 });
    const { rows } = await tableCells(page);
    expect(rows).toEqual(api.json.rows.map((r: unknown[]) => r.map(cellText)));
    expect(rows.map((r) => r[0])).toContain(PROBE);
    await expect.poll(() => page.getByRole('cell', { name: PROBE, exact: true }).count()).toBe(1);
    expect(await paintedPixels(page.getByRole('figure', { name: 'Chart' }))).toBeGreaterThan(1000);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => document.body.innerHTML.includes('<img'))).toBe(false);
    await page.waitForTimeout(200); // an onerror would have fired by now
    expect(dialogs).toEqual([]);
    expect(await violations(page)).toEqual([]);
    await screenshot(page, 'xss-probe-as-text');
  });

  it('causes no CSP violation in any view, the admin\'s included', async () => {
    for (const view of ['Datasets', 'Connect', 'Usage'] as const) {
      await openView(page, view);
      await page.waitForTimeout(100);
    }
    const admin = await watchedPage();
    await signIn(admin, gw.url, 'sk_demo_admin');
    await openView(admin, 'Usage');
    await admin.getByRole('table', { name: 'Every tenant\'s usage today' }).waitFor();
    await expectAccessible(admin, 'admin Usage with the probe');
    expect(await violations(page)).toEqual([]);
    expect(await violations(admin)).toEqual([]);
    expect(dialogs).toEqual([]);
    await admin.close();
  });

  it('works behind a path prefix: assets and API calls go through the prefix, and Connect names the URL the browser used', async () => {
    const proxy = await prefixProxy(gw.url);
    try {
      const p = await watchedPage();
      await p.goto(`${proxy.url}/analytics/portal`); // no trailing slash: the assets still resolve
      await p.getByLabel('API key').fill('sk_demo_globex');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => p.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant globex_inc');
      await p.getByRole('region', { name: 'Datasets' }).getByRole('article').first().waitFor();
      const connect = await openView(p, 'Connect');
      expect(await connect.locator('#odata-url').textContent()).toBe(`${proxy.url}/analytics/odata/`);
      await buildByClicking(p, { dataset: 'orders', dimensions: [{ name: 'channel' }], metrics: ['order_count'] });
      const { rows } = await tableCells(p);
      const api = await apiQuery(gw.url, 'sk_demo_globex', { dataset: 'orders', dimensions: ['channel'], metrics: ['order_count'], limit: 100 });
      expect(rows).toEqual(api.json.rows.map((r: unknown[]) => r.map(cellText)));
      expect(proxy.seen.filter((u) => !u.startsWith('/analytics/'))).toEqual([]);
      expect(proxy.seen).toEqual(expect.arrayContaining(['/analytics/portal', '/analytics/v1/datasets', '/analytics/v1/query']));
      expect(proxy.seen.some((u) => /^\/analytics\/portal\/assets\/app-\w+\.js$/.test(u))).toBe(true);
      expect(await violations(p)).toEqual([]);
      await p.close();
    } finally {
      proxy.server.closeAllConnections();
      await new Promise((ok) => proxy.server.close(ok));
    }
  });
});
