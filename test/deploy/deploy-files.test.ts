/**
 * deploy/: the compose file, nginx, Prometheus rules and the Grafana dashboard stay true to
 * the gateway. Every metric an alert or a panel names is one a real gateway exports; nginx
 * accepts its configuration (`nginx -t`, when nginx is installed); no demo key ships.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { ROOT } from '../helpers/cli.ts';
import { gatewayFor, writeTinyConfig } from '../helpers/gateway-fixture.ts';
import { nginxPath } from './harness.ts';

const DEPLOY = path.join(ROOT, 'deploy');
const read = (p: string): string => readFileSync(path.join(DEPLOY, p), 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The names of the series a real gateway exports (histograms with their suffixes). */
async function exportedNames(): Promise<Set<string>> {
  const config = writeTinyConfig((k) => `api_keys:\n  - { key: "${k.admin}", role: admin }\n`, ['admin']);
  const gw = await gatewayFor(config.dir);
  try {
    const res = await createApp(gw).request('/metrics', { headers: { authorization: `Bearer ${config.keys.admin!}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    // From the TYPE lines: a counter nobody has counted yet prints no sample, only its type.
    const names = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name!}${suffix}`);
    }
    return names;
  } finally {
    await gw.close();
  }
}

/** Metric names a PromQL expression reads (ours: the semgate_ prefix). */
const metricsIn = (expr: string): string[] => [...expr.matchAll(/\bsemgate_[a-z_]+\b/g)].map((m) => m[0]);

describe('deploy/', () => {
  it('compose: three replicas of the built image behind nginx, Redis, PostgreSQL, Prometheus, Grafana', () => {
    const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, any> };
    const names = Object.keys(compose.services);
    for (const s of ['semgate-1', 'semgate-2', 'semgate-3', 'nginx', 'redis', 'postgres', 'prometheus', 'grafana']) expect(names).toContain(s);
    for (const r of ['semgate-1', 'semgate-2', 'semgate-3']) {
      const svc = compose.services[r];
      expect(svc.build.dockerfile).toBe('Dockerfile');
      expect(svc.volumes).toContain('./config:/etc/semgate:ro');
      expect(svc.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(String(svc.environment.SEMGATE_METRICS_TOKEN)).toMatch(/^\$\{SEMGATE_METRICS_TOKEN:\?/); // a secret from the environment
      expect(svc.environment.SEMGATE_DEMO).toBeUndefined();
    }
    const nginx = read('nginx.conf');
    for (const r of ['semgate-1:8080', 'semgate-2:8080', 'semgate-3:8080']) expect(nginx).toContain(`server ${r}`);
    expect(nginx).toMatch(/proxy_next_upstream error timeout http_502 non_idempotent;/);
  });

  it('ships no demo key, no plaintext key, and no secret', () => {
    for (const file of filesUnder(DEPLOY)) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/sk_demo_|sk_shared_/);
      expect(text, file).not.toMatch(/^\s*-?\s*\{?\s*key:\s*["']?\w/m);
      // Only ${VAR:?...} references (the local test services are password-less by design).
      if (!file.endsWith('compose.test-services.yaml')) expect(text, file).not.toMatch(/PASSWORD:\s*["']?[A-Za-z0-9]/);
    }
    // The image's Dockerfile serves the demo only on request.
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/SEMGATE_CONFIG_DIR=\/etc\/semgate/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/server\/cli\/main\.js", "serve"\]/);
  });

  it('every metric an alert rule or a dashboard panel reads is exported by the gateway', async () => {
    const exported = await exportedNames();
    const rules = parse(read('prometheus/alerts.yml')) as { groups: { rules: { alert: string; expr: string; annotations: { runbook?: string } }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    const dashboard = JSON.parse(read('grafana/dashboards/semgate.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const used = [
      ...alerts.map((a) => [a.alert, a.expr] as const),
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr] as const)),
    ];
    const unknown = used.flatMap(([where, expr]) => metricsIn(expr).filter((m) => !exported.has(m)).map((m) => `${where}: ${m}`));
    expect(unknown).toEqual([]);
    for (const a of alerts) expect(a.annotations.runbook, a.alert).toBeTruthy();
    // Every alert is explained in docs/deployment.md.
    const docs = readFileSync(path.join(ROOT, 'docs/deployment.md'), 'utf8');
    for (const a of alerts) expect(docs, a.alert).toContain(a.alert);
  });

  const nginx = nginxPath();
  it.skipIf(!nginx)('nginx accepts deploy/nginx.conf (nginx -t, replica names replaced by addresses)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'semgate-nginx-t-'));
    mkdirSync(path.join(dir, 'logs'));
    const conf = read('nginx.conf')
      .replace(/semgate-(\d):8080/g, '127.0.0.1:1808$1')
      .replace('listen 8080;', 'listen 127.0.0.1:18099;')
      .replaceAll('/dev/stdout', `${dir}/logs/access.log`).replaceAll('/dev/stderr', `${dir}/logs/error.log`)
      .replace(/^worker_processes auto;$/m, `worker_processes auto;\npid ${dir}/nginx.pid;`);
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    const t = spawnSync(nginx!, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'logs/error.log')], { encoding: 'utf8' });
    expect(t.stderr, t.stderr).toContain('syntax is ok');
    expect(t.status).toBe(0);
  });
});
