/**
 * The customer portal in a real browser against the demo gateway: sign-in, the datasets,
 * a query built by clicking whose table, chart, CSV, curl line and OData URL all give the
 * API's own answer for that key, another tenant's other numbers, Connect, Usage, the
 * admin's view, accessibility (axe-core) of each view, and the whole flow by keyboard.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiQuery, buildByClicking, cellText, expectAccessible, launchChromium, openView, paintedPixels, requireChromium, screenshot,
  signIn, startPortalGateway, tableCells, type Clicks, type PortalGateway,
} from './harness.ts';

const run = requireChromium('test/portal/portal.test.ts');
const ACME = 'sk_demo_acme';
const GLOBEX = 'sk_demo_globex';
const ADMIN = 'sk_demo_admin';

const CLICKS: Clicks = {
  dataset: 'orders',
  dimensions: [{ name: 'region' }, { name: 'order_date', grain: 'month' }],
  metrics: ['revenue'],
  filter: { field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] },
};
/** What those clicks mean, written out by hand: the page must send exactly this. */
const QUERY = {
  dataset: 'orders',
  dimensions: ['region', 'order_date.month'],
  metrics: ['revenue'],
  filters: [{ field: 'order_date', op: 'between', values: ['2024-01-01', '2024-06-30'] }],
  limit: 100,
};

describe.skipIf(!run)('the customer portal (Chromium, demo gateway)', () => {
  let gw: PortalGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const sent: { url: string; headers: Record<string, string> }[] = [];

  beforeAll(async () => {
    [gw, browser] = await Promise.all([startPortalGateway(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  async function freshPage(): Promise<Page> {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r) => sent.push({ url: r.url(), headers: r.headers() }));
    return page;
  }

  it('a bad key gets an alert in the API\'s words; the tenant key shows that tenant and its datasets', async () => {
    await freshPage();
    await page.goto(`${gw.url}/portal`);
    await expectAccessible(page, 'sign-in');
    await page.getByLabel('API key').fill('sk_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('The API key is not valid.');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'sign-in-refused');

    await page.getByLabel('API key').fill(ACME);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant acme_corp');
    const datasets = page.getByRole('region', { name: 'Datasets' });
    for (const [label, description] of [['Orders', 'One row per order, 2024-2025'], ['Customers', 'Customers, one row each'], ['Countries', 'Reference data, the same for every tenant'], ['Refunds', 'Money given back on an order, one row per refund']]) {
      const article = datasets.getByRole('article', { name: new RegExp(`^${label} `) });
      await expect.poll(() => article.textContent()).toContain(description);
    }
    const fields = datasets.getByRole('table', { name: 'Fields of Orders' });
    // Its own fields and those of the datasets it joins, as the API lists them.
    const detail = await (await fetch(`${gw.url}/v1/datasets/orders`, { headers: { Authorization: `Bearer ${ACME}` } })).json() as { dimensions: unknown[]; metrics: unknown[] };
    await expect.poll(async () => (await fields.locator('tbody tr').allTextContents()).length).toBe(detail.dimensions.length + detail.metrics.length);
    expect(await fields.getByRole('row', { name: /^customers\.segment/ }).textContent()).toContain('Enterprise, SMB or Consumer');
    expect(await datasets.getByRole('article', { name: /^Orders / }).textContent()).toMatch(/Joined: Customers \(customers, one per row\), Refunds \(refunds, several per row\), Countries \(countries, one per row, through customers\)/);
    expect(await fields.getByRole('row', { name: /order_date/ }).textContent()).toContain('day, week, month, quarter, year');
    expect(await fields.getByRole('row', { name: /^region/ }).textContent()).toContain('Sales region of the customer\'s country');
    // The key is in this tab's session storage, and nowhere a URL or cookie would carry it.
    expect(await page.evaluate(() => sessionStorage.getItem('semgate.key'))).toBe(ACME);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await context.cookies()).toEqual([]);
    await expectAccessible(page, 'Datasets');
    await screenshot(page, 'datasets');
  });

  let acmeRows: string[][] = [];

  it('a query built by clicking shows the API\'s rows, a drawn chart, and its curl line, OData URL and CSV give the same rows', async () => {
    await buildByClicking(page, CLICKS);
    const api = await apiQuery(gw.url, ACME, QUERY);
    expect(api.status).toBe(200);
    const { head, rows } = await tableCells(page);
    expect(head).toEqual(api.json.columns.map((c: { name: string }) => c.name));
    expect(head).toEqual(['region', 'order_date.month', 'revenue']);
    expect(rows).toEqual(api.json.rows.map((r: unknown[]) => r.map(cellText)));
    expect(rows.length).toBe(24);
    acmeRows = rows;
    const chart = page.getByRole('figure', { name: 'Chart' });
    expect(await chart.locator('canvas').getAttribute('aria-label')).toBe('Line chart of revenue by order_date.month, one line per region.');
    expect(await paintedPixels(chart)).toBeGreaterThan(2000);

    // The curl line, with the key shown, run as is in a shell.
    const curl = page.locator('#curl-line');
    expect(await curl.textContent()).not.toContain(ACME);
    await page.getByRole('button', { name: 'Show key' }).click();
    const line = (await curl.textContent())!;
    expect(line).toContain(JSON.stringify(QUERY));
    const { stdout } = await promisify(execFile)('sh', ['-c', line]);
    expect(JSON.parse(stdout).rows).toEqual(api.json.rows);
    await page.getByRole('button', { name: 'Show key' }).click();

    // The OData URL: the same groups, as OData rows.
    const odataUrl = (await page.locator('#odata-query-url').textContent())!;
    expect(odataUrl.startsWith(`${gw.url}/odata/orders?$select=region,order_date_month,revenue&$filter=`)).toBe(true);
    const odata = await fetch(odataUrl, { headers: { Authorization: `Basic ${Buffer.from(`x:${ACME}`).toString('base64')}` } });
    expect(odata.status).toBe(200);
    const value = ((await odata.json()) as { value: Record<string, unknown>[] }).value;
    const asRows = value.map((v) => [v['region'], v['order_date_month'], v['revenue']].map(cellText));
    expect(asRows.sort()).toEqual([...rows].sort());

    // Download CSV: the file the browser saves is what Accept: text/csv answers.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('orders.csv');
    const saved = await readFile((await download.path())!, 'utf8');
    const csv = await fetch(`${gw.url}/v1/query`, { method: 'POST', body: JSON.stringify(QUERY), headers: { Authorization: `Bearer ${ACME}`, Accept: 'text/csv' } });
    expect(saved).toBe(await csv.text());
    expect(saved.split('\r\n')[0]).toBe('region,order_date.month,revenue');

    await expectAccessible(page, 'Query');
    await screenshot(page, 'query');
  });

  it('another tenant\'s key shows other numbers for the same clicks', async () => {
    await freshPage();
    await signIn(page, gw.url, GLOBEX);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant globex_inc');
    await buildByClicking(page, CLICKS);
    const api = await apiQuery(gw.url, GLOBEX, QUERY);
    const { rows } = await tableCells(page);
    expect(rows).toEqual(api.json.rows.map((r: unknown[]) => r.map(cellText)));
    expect(rows.length).toBe(acmeRows.length);
    expect(rows.map((r) => r[2])).not.toEqual(acmeRows.map((r) => r[2]));
  });

  it('an API error is shown as the API words it', async () => {
    const region = await openView(page, 'Query');
    await region.getByLabel('Limit').fill('60000');
    await region.getByRole('button', { name: 'Run', exact: true }).click();
    const api = await apiQuery(gw.url, GLOBEX, { ...QUERY, limit: 60000 });
    expect(api.status).toBe(400);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe(api.json.detail);
  });

  it('Connect shows this gateway\'s own OData URL and the steps for Power BI, Excel and Tableau', async () => {
    const region = await openView(page, 'Connect');
    expect(await region.locator('#odata-url').textContent()).toBe(`${gw.url}/odata/`);
    for (const tool of ['Power BI Desktop', 'Excel', 'Tableau']) await region.getByRole('heading', { name: tool }).waitFor();
    expect(await region.textContent()).toContain('Get data > OData feed');
    expect(await region.textContent()).toContain('Get Data > From Other Sources > From OData Feed');
    await region.getByRole('button', { name: 'Copy OData URL' }).click();
    await expect.poll(() => region.getByRole('status').first().textContent()).toMatch(/^Copied\.|^Copy failed/);
    await expectAccessible(page, 'Connect');
    await screenshot(page, 'connect');
  });

  it('Usage shows the tenant\'s numbers today and draws the last days', async () => {
    const region = await openView(page, 'Usage');
    const usage = (await (await fetch(`${gw.url}/v1/usage`, { headers: { Authorization: `Bearer ${GLOBEX}` } })).json()) as { queries_today: number };
    const stat = (name: string) => region.locator('dl.stats div').filter({ has: page.getByText(name, { exact: true }) }).locator('dd');
    await expect.poll(() => stat('Queries today').textContent()).toBe(String(usage.queries_today));
    expect(usage.queries_today).toBeGreaterThanOrEqual(1);
    for (const name of ['Average response time', 'Cache hit rate', 'Rate-limit hits', 'Last active']) expect(await stat(name).textContent()).not.toBe('');
    expect(await paintedPixels(region.getByRole('figure', { name: 'Usage over the last days' }))).toBeGreaterThan(500);
    await expectAccessible(page, 'Usage');
    await screenshot(page, 'usage');
  });

  it('an admin sees every tenant\'s usage and acts as a tenant, with that tenant\'s rows', async () => {
    await freshPage();
    await signIn(page, gw.url, ADMIN);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('All tenants (admin)');
    const region = await openView(page, 'Usage');
    const table = region.getByRole('table', { name: 'Every tenant\'s usage today' });
    await expect.poll(async () => table.getByRole('rowheader').allTextContents()).toEqual(expect.arrayContaining(['acme_corp', 'globex_inc']));
    expect(await paintedPixels(region.getByRole('figure', { name: 'Queries per tenant over the last days' }))).toBeGreaterThan(500);
    await expectAccessible(page, 'admin Usage');
    await screenshot(page, 'admin-usage');

    await region.getByRole('button', { name: 'Act as globex_inc' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant globex_inc (admin acting as tenant)');
    const from = sent.length;
    await buildByClicking(page, CLICKS);
    const { rows } = await tableCells(page);
    expect(rows).toEqual((await apiQuery(gw.url, GLOBEX, QUERY)).json.rows.map((r: unknown[]) => r.map(cellText)));
    const queries = sent.slice(from).filter((s) => s.url.endsWith('/v1/query'));
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.every((s) => s.headers['x-tenant-id'] === 'globex_inc')).toBe(true);
  });

  it('works with the keyboard alone: sign in, build and run a query, download its CSV', async () => {
    await freshPage();
    await page.goto(`${gw.url}/portal/`);
    const kb = page.keyboard;
    const focused = (): Promise<{ tag: string; name: string; outline: string }> => page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return { tag: '', name: '', outline: '' };
      const input = el as HTMLInputElement;
      const name = el.getAttribute('aria-label') ?? (input.labels?.[0]?.textContent ?? el.textContent ?? '');
      return { tag: el.tagName.toLowerCase(), name: name.trim(), outline: getComputedStyle(el).outlineStyle };
    });
    /** Tab (only) until the control named `name` has the focus. */
    const tabTo = async (name: string, tag?: string): Promise<void> => {
      for (let i = 0; i < 80; i++) {
        const f = await focused();
        if (f.name === name && (tag === undefined || f.tag === tag)) {
          // The focus is visible where it is.
          expect(f.outline, `focus ring on ${name}`).not.toBe('none');
          return;
        }
        await kb.press('Tab');
      }
      throw new Error(`Tab never reached ${name}`);
    };
    expect((await focused()).name).toBe('API key'); // the page starts in the key field
    await kb.type(ACME);
    await kb.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Tenant acme_corp');
    await tabTo('Query', 'a');
    await kb.press('Enter');
    await expect.poll(async () => (await focused()).name).toBe('Query'); // the view's heading
    await tabTo('Dataset', 'select');
    await tabTo('region', 'input');
    await kb.press('Space');
    await tabTo('order_date', 'input');
    await kb.press('Space');
    await tabTo('Time grain of order_date', 'select');
    await kb.type('month');
    await tabTo('revenue', 'input');
    await kb.press('Space');
    await tabTo('Add filter', 'button');
    await kb.press('Enter');
    await tabTo('Filter 1 field', 'select');
    await kb.type('channel');
    await tabTo('Filter 1 value', 'input');
    await kb.type('web');
    await tabTo('Run', 'button');
    await kb.press('Enter');
    const query = { dataset: 'orders', dimensions: ['region', 'order_date.month'], metrics: ['revenue'], filters: [{ field: 'channel', op: 'eq', values: ['web'] }], limit: 100 };
    const api = await apiQuery(gw.url, ACME, query);
    const { rows } = await tableCells(page);
    expect(rows).toEqual(api.json.rows.map((r: unknown[]) => r.map(cellText)));
    await tabTo('Download CSV', 'a');
    const [download] = await Promise.all([page.waitForEvent('download'), kb.press('Enter')]);
    const saved = await readFile((await download.path())!, 'utf8');
    expect(saved.split('\r\n').filter((l) => l !== '')).toHaveLength(api.json.rows.length + 1);
    await screenshot(page, 'keyboard-query');
  });

  it('never put the key in a URL, a cookie or a log line', () => {
    expect(sent.length).toBeGreaterThan(20);
    for (const key of [ACME, GLOBEX, ADMIN]) {
      expect(sent.filter((s) => s.url.includes(key)).map((s) => s.url)).toEqual([]);
      expect(gw.log.filter((l) => l.includes(key))).toEqual([]);
    }
    // The log did see the requests (so its silence about keys means something).
    expect(gw.log.some((l) => l.includes('"route":"/v1/query"'))).toBe(true);
    // Every data call carried the key in the Authorization header.
    const data = sent.filter((s) => new URL(s.url).pathname.startsWith('/v1/'));
    expect(data.every((s) => /^Bearer sk_(demo_|not_a_key)/.test(s.headers['authorization'] ?? ''))).toBe(true);
  });
});
