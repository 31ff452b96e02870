import { parseArgs } from 'node:util';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../catalog/load.ts';
import { formatIssues, summarizeCatalog } from '../catalog/format.ts';
import type { Catalog } from '../catalog/types.ts';
import { actAs, keyIndexFor, principalForKey } from '../auth/keys.ts';
import { GatewayError } from '../errors.ts';
import type { Principal } from '../query/types.ts';
import { SourceRegistry } from '../sources/registry.ts';
import { checkLive } from '../service/live-check.ts';
import { executePrepared, prepareQuery } from '../service/query.ts';
import { keysCommand } from './keys.ts';
import { serveCommand } from './serve.ts';
import { formatTable } from './table.ts';

const USAGE = `semgate <command> [options]

Commands:
  serve   [--port N] [--host H] [--watch] [--strict] [--sample N]
                                                serve on port N (default $PORT or 8080); --watch reloads
                                                when a YAML file changes (SIGHUP always does). At start
                                                the catalog is checked against the databases (as
                                                validate --connect does): findings are warnings in
                                                the log, and with --strict the server refuses to start
  keys create --role R [--tenant T] [--expires ISO] [--description TEXT] [--rate-limit N/minute] [--datasets a,b]
                                                a new random key: stored in the key store when
                                                api-keys.yaml has \`key_store:\`, else printed with
                                                its key_hash entry for the file
  keys init                                     create the key store's table (idempotent)
  keys list [--tenant T] [--limit N] [--after ID]   the keys (file and store), without secrets
  keys rotate ID [--grace SECONDS]              a new key; the old one works for the grace period
  keys revoke ID                                revoke a store key on every replica
  validate [--config DIR] [--connect [--sample N]]
                                                check catalog.yaml, sources.yaml, api-keys.yaml; with
                                                --connect also against the databases: each source is
                                                reached (one per tenant of api-keys.yaml, or the first
                                                N with --sample N, when {tenant} picks the schema or
                                                database) and every table, column, expr, segment and
                                                join is compiled there with LIMIT 0 (no row is read)
  compile --key KEY [--tenant T] '<query json>' print the SQL and parameters that would run
  query   --key KEY [--tenant T] '<query json>' run a query and print a table (--json for JSON)

Options:
  --config DIR   directory holding the three YAML files (default: $SEMGATE_CONFIG_DIR or .)
  --tenant T     admin keys only: act as tenant T (what the X-Tenant-Id header does over HTTP)`;

function sampleOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error('--sample must be a whole number of tenants, 1 or more');
  return n;
}

function configDir(flag: string | undefined): string {
  return path.resolve(flag ?? process.env.SEMGATE_CONFIG_DIR ?? '.');
}

async function loadOrExit(dir: string): Promise<Catalog> {
  const { catalog, issues } = await loadConfig(dir);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) process.stderr.write(`${formatIssues(errors)}\n`);
  if (!catalog) process.exit(1);
  const warnings = issues.length - errors.length;
  if (warnings > 0) process.stderr.write(`(${warnings} configuration warning${warnings > 1 ? 's' : ''}: see \`semgate validate\`)\n`);
  return catalog;
}

function principalFor(catalog: Catalog, key: string | undefined, tenant: string | undefined): Principal {
  const p = principalForKey(keyIndexFor(catalog), key ?? process.env.SEMGATE_KEY ?? null);
  return tenant === undefined ? p : actAs(p, tenant, '--tenant');
}

function parseQueryJson(text: string | undefined): unknown {
  if (!text) throw new GatewayError('query.invalid', 400, 'Give the query as JSON, e.g. \'{"dataset":"orders","metrics":["revenue"]}\'');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GatewayError('query.malformed_json', 400, `The query is not valid JSON: ${(e as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' }, key: { type: 'string' }, tenant: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      port: { type: 'string' }, host: { type: 'string' }, role: { type: 'string' }, watch: { type: 'boolean' },
      expires: { type: 'string' }, description: { type: 'string' }, 'rate-limit': { type: 'string' }, datasets: { type: 'string' },
      grace: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' },
      connect: { type: 'boolean' }, sample: { type: 'string' }, strict: { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 1;
  }
  const dir = configDir(values.config);
  switch (command) {
    case 'serve': {
      const port = Number(values.port ?? process.env.PORT ?? 8080);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
      await serveCommand(dir, port, values.host, {
        watch: values.watch ?? process.env.SEMGATE_WATCH === '1', strict: values.strict ?? false, sample: sampleOption(values.sample),
      });
      return 0;
    }
    case 'keys': {
      // Without `key_store:` in api-keys.yaml, `keys create` prints an entry for the file and
      // needs no configuration at all (nor the time to load one).
      const storeConfigured = /^key_store:/m.test(await readFile(path.join(dir, 'api-keys.yaml'), 'utf8').catch(() => ''));
      const { catalog, issues } = rest[0] === 'create' && !storeConfigured ? { catalog: null, issues: [] } : await loadConfig(dir);
      if (!catalog && rest[0] !== 'create') process.stderr.write(`${formatIssues(issues.filter((i) => i.severity === 'error'))}\n`);
      return keysCommand(catalog, rest[0], rest.slice(1), {
        tenant: values.tenant, role: values.role, expires: values.expires, description: values.description, rateLimit: values['rate-limit'],
        datasets: values.datasets, grace: values.grace, limit: values.limit, after: values.after, json: values.json,
      }, (text) => process.stdout.write(`${text}\n`));
    }
    case 'validate': {
      const sample = sampleOption(values.sample);
      const { catalog, issues } = await loadConfig(dir);
      if (issues.length > 0) process.stdout.write(`${formatIssues(issues)}\n`);
      if (!catalog) {
        if (values.connect) process.stdout.write('(not checked against the databases: the errors above come first)\n');
        return 1;
      }
      if (!values.connect) {
        process.stdout.write(`${summarizeCatalog(catalog)}\n`);
        return 0;
      }
      const live = await checkLive(catalog, { ...(sample !== undefined && { sample }) });
      if (live.issues.length > 0) process.stdout.write(`${formatIssues(live.issues)}\n`);
      if (live.issues.some((i) => i.severity === 'error')) return 1;
      process.stdout.write(`${summarizeCatalog(catalog)}; checked against the databases (${live.statements} statements${live.tenants.length > 0 ? `, tenants ${live.tenants.join(', ')}` : ''})\n`);
      return 0;
    }
    case 'compile': {
      const catalog = await loadOrExit(dir);
      const { compiled, plan } = prepareQuery(catalog, principalFor(catalog, values.key, values.tenant), parseQueryJson(rest[0]));
      process.stdout.write(`${JSON.stringify({ source: plan.target.source, dialect: plan.target.type, ...compiled }, null, 2)}\n`);
      return 0;
    }
    case 'query': {
      const catalog = await loadOrExit(dir);
      const prepared = prepareQuery(catalog, principalFor(catalog, values.key, values.tenant), parseQueryJson(rest[0]));
      const registry = new SourceRegistry(catalog.sources);
      try {
        const result = await executePrepared(registry, prepared);
        process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : formatTable(result)}\n`);
      } finally {
        await registry.close();
      }
      return 0;
    }
    default:
      process.stderr.write(`Unknown command '${command}'.\n\n${USAGE}\n`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof GatewayError) {
      process.stderr.write(`error (${e.status} ${e.code}): ${e.message}${e.field ? ` [${e.field}]` : ''}\n`);
      process.exit(e.status >= 500 ? 2 : 1);
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
