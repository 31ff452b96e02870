/**
 * The Usage view: the tenant's numbers today and a chart over the last days; for an admin
 * (not acting as a tenant), every tenant's, with a button to act as each.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, type Api, type Usage } from './api.ts';
import { ChartCanvas } from './chart.tsx';
import type { ChartData } from './chart-data.ts';

export const HISTORY_DAYS = 14;

const percent = (rate: number): string => `${(rate * 100).toFixed(1)} %`;
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const when = (iso: string | null): string => (iso === null ? 'not today' : `${iso.slice(0, 19).replace('T', ' ')} UTC`);

export function UsageView({ api, allTenants, onActAs }: { api: Api; allTenants: boolean; onActAs: (tenant: string) => void }) {
  const [state, setState] = useState<{ one: Usage } | { all: Usage[] } | { error: string } | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState(null);
    const load = allTenants
      ? api.get<{ tenants: Usage[] }>(`/v1/admin/usage?days=${HISTORY_DAYS}`).then((r) => ({ all: r.tenants }))
      : api.get<Usage>(`/v1/usage?days=${HISTORY_DAYS}`).then((r) => ({ one: r }));
    load.then((s) => live && setState(s), (e: unknown) => live && setState({ error: e instanceof ApiError ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [api, allTenants, tick]);

  return (
    <>
      <p>
        Counted per UTC day by this gateway. Queries are successful query requests (REST and OData); the history keeps
        the last {HISTORY_DAYS} days.{' '}
        <button type="button" class="secondary" onClick={() => setTick(tick + 1)}>Refresh usage</button>
      </p>
      {state === null && <p class="muted">Loading usage…</p>}
      {state !== null && 'error' in state && <p role="alert" class="alert">{state.error}</p>}
      {state !== null && 'one' in state && <TenantUsage usage={state.one} />}
      {state !== null && 'all' in state && <AllTenants tenants={state.all} onActAs={onActAs} />}
    </>
  );
}

function TenantUsage({ usage }: { usage: Usage }) {
  const daily = usage.daily ?? [];
  const chart = useMemo<ChartData>(() => ({
    kind: 'bar',
    labels: daily.map((d) => d.date),
    series: [
      { label: 'Queries', data: daily.map((d) => d.queries) },
      { label: 'Rate-limit hits', data: daily.map((d) => d.rate_limit_hits) },
      { label: 'Average response time (ms)', data: daily.map((d) => d.avg_response_ms) },
    ],
    description: `Bar chart of queries and rate-limit hits per day over the last ${daily.length} days, with the average response time as a line.`,
  }), [usage]);
  const right = useMemo(() => ({ series: ['Average response time (ms)'], title: 'ms' }), []);
  return (
    <>
      <dl class="stats">
        <div><dt>Queries today</dt><dd>{usage.queries_today}</dd></div>
        <div><dt>Average response time</dt><dd>{ms(usage.avg_response_ms)}</dd></div>
        <div><dt>95th percentile</dt><dd>{ms(usage.p95_response_ms)}</dd></div>
        <div><dt>Cache hit rate</dt><dd>{percent(usage.cache_hit_rate)}</dd></div>
        <div><dt>Rate-limit hits</dt><dd>{usage.rate_limit_hits}</dd></div>
        <div><dt>Errors</dt><dd>{usage.errors}</dd></div>
        <div class="wide"><dt>Last active</dt><dd>{when(usage.last_active)}</dd></div>
      </dl>
      <figure aria-label="Usage over the last days">
        <ChartCanvas data={chart} rightAxis={right} yTitle="count" />
        <figcaption>{chart.description}</figcaption>
      </figure>
      <details>
        <summary>Daily numbers</summary>
        <div class="table-wrap">
          <table>
            <caption>Usage per day</caption>
            <thead><tr><th scope="col">Date</th><th scope="col">Queries</th><th scope="col">Average response time</th><th scope="col">Cache hit rate</th><th scope="col">Rate-limit hits</th><th scope="col">Errors</th></tr></thead>
            <tbody>
              {daily.map((d) => (
                <tr key={d.date}><th scope="row">{d.date}</th><td>{d.queries}</td><td>{ms(d.avg_response_ms)}</td><td>{percent(d.cache_hit_rate)}</td><td>{d.rate_limit_hits}</td><td>{d.errors}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function AllTenants({ tenants, onActAs }: { tenants: Usage[]; onActAs: (tenant: string) => void }) {
  const chart = useMemo<ChartData | null>(() => {
    const first = tenants[0]?.daily;
    if (!first) return null;
    return {
      kind: 'line',
      labels: first.map((d) => d.date),
      series: tenants.slice(0, 12).map((t) => ({ label: t.tenant, data: (t.daily ?? []).map((d) => d.queries) })),
      description: `Line chart of queries per day over the last ${first.length} days, one line per tenant.`,
    };
  }, [tenants]);
  if (tenants.length === 0) return <p>No tenant has sent a query in the last {HISTORY_DAYS} days.</p>;
  return (
    <>
      <div class="table-wrap">
        <table>
          <caption>Every tenant's usage today</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th><th scope="col">Queries today</th><th scope="col">Average response time</th><th scope="col">Cache hit rate</th>
              <th scope="col">Rate-limit hits</th><th scope="col">Errors</th><th scope="col">Last active</th><th scope="col"><span class="visually-hidden">Action</span></th>
            </tr>
          </thead>
          <tbody>
            {tenants.map((t) => (
              <tr key={t.tenant}>
                <th scope="row">{t.tenant}</th><td>{t.queries_today}</td><td>{ms(t.avg_response_ms)}</td><td>{percent(t.cache_hit_rate)}</td>
                <td>{t.rate_limit_hits}</td><td>{t.errors}</td><td>{when(t.last_active)}</td>
                <td><button type="button" class="secondary" onClick={() => onActAs(t.tenant)}>Act as {t.tenant}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chart && (
        <figure aria-label="Queries per tenant over the last days">
          <ChartCanvas data={chart} yTitle="queries" />
          <figcaption>{chart.description}</figcaption>
        </figure>
      )}
    </>
  );
}
