/** Rules of sources.yaml that the JSON Schema cannot express. */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { didYouMean } from '../suggest.ts';
import type { IssueSink } from './positions.ts';
import { objects, obj, str, type RawObject } from './raw.ts';
import { connectionIsPerTenant, isInitSqlPath, TENANT_PLACEHOLDER } from './rules.ts';

/** What other checks and the builder need to know about each source. */
export interface SourceFacts {
  readonly index: number;
  readonly type: string | undefined;
  readonly perTenant: boolean;
  /** The SQL to run on open, read from its file when `init_sql` names one. */
  readonly initSql: string | null;
}

const SERVER_FIELDS = ['host', 'port', 'database', 'user', 'password', 'ssl'] as const;

export function checkSources(raw: unknown, dir: string, sink: IssueSink): Map<string, SourceFacts> {
  const facts = new Map<string, SourceFacts>();
  for (const { item, index } of objects(obj(raw)?.['sources'])) {
    const at = (...rest: (string | number)[]): (string | number)[] => ['sources', index, ...rest];
    const name = str(item['name']);
    const type = str(item['type']);
    const connection = obj(item['connection']) ?? {};

    if (name === TENANT_PLACEHOLDER) {
      sink.error(at('name'), '`{tenant}` is reserved: it is how a dataset says "the source named like the tenant". Name each tenant\'s source after its tenant id instead.');
    } else if (name !== undefined && facts.has(name)) {
      const first = facts.get(name)!;
      const line = sink.positionOf(['sources', first.index, 'name']).line;
      sink.error(at('name'), `source \`${name}\` is defined twice (first at line ${line}); give each source a unique name.`);
    }

    if (type === 'duckdb') checkDuckdb(item, connection, at, sink);
    else if (type === 'postgres' || type === 'mysql') checkServer(type, connection, at, sink);

    if (item['native_rls'] !== undefined && type !== undefined && type !== 'postgres') {
      sink.error(at('native_rls'), `\`native_rls\` works only with postgres (row-level security policies); remove it from this ${type} source and rely on \`rls.tenant_column\` in the catalog.`, { key: true });
    }

    let initSql: string | null = null;
    const init = str(item['init_sql']);
    if (init !== undefined) {
      if (type !== undefined && type !== 'duckdb') {
        sink.error(at('init_sql'), `\`init_sql\` works only with duckdb sources; run setup SQL for ${type} in the database itself.`, { key: true });
      } else {
        initSql = readInitSql(init, dir, at('init_sql'), sink);
      }
    }

    if (item['read_only'] !== undefined && type !== undefined && type !== 'duckdb') {
      sink.error(at('read_only'), `\`read_only\` works only with duckdb files; for ${type}, connect as a user that may only read.`, { key: true });
    } else if (type === 'duckdb' && item['read_only'] !== false && init !== undefined && connection['path'] !== ':memory:' && writesData(initSql ?? init)) {
      sink.warning(at('init_sql'), 'the duckdb file is opened read-only, so `init_sql` can only read or create TEMP objects; add `read_only: false` if it must write.');
    }
    checkLimits(item, connectionIsPerTenant(connection), at, sink);

    if (name !== undefined && !facts.has(name)) {
      facts.set(name, { index, type, perTenant: connectionIsPerTenant(connection), initSql });
    }
  }
  checkSettings(obj(raw), facts, sink);
  return facts;
}

/** The audit sink's source must be a shared postgres source; proxies must be addresses. */
function checkSettings(raw: RawObject | undefined, facts: ReadonlyMap<string, SourceFacts>, sink: IssueSink): void {
  const audit = obj(raw?.['audit']);
  const sinkName = str(audit?.['sink']) ?? 'stdout';
  const pgSink = obj(audit?.['postgres']);
  if (sinkName === 'file' && audit?.['file'] === undefined) {
    sink.error(['audit', 'sink'], 'the file sink needs `audit.file: { path: ./audit.log }`.');
  }
  if (sinkName === 'postgres' && pgSink === undefined) {
    sink.error(['audit', 'sink'], 'the postgres sink needs `audit.postgres: { source: <a postgres source> }`.');
  }
  const source = str(pgSink?.['source']);
  if (source !== undefined) {
    const f = facts.get(source);
    if (!f) sink.error(['audit', 'postgres', 'source'], `there is no source \`${source}\`.${didYouMean(source, facts.keys())}`);
    else if (f.type !== 'postgres' || f.perTenant) sink.error(['audit', 'postgres', 'source'], `the audit table needs a postgres source with one database; \`${source}\` is not one.`);
  }
  const proxies = obj(raw?.['server'])?.['trusted_proxies'];
  if (Array.isArray(proxies)) {
    proxies.forEach((p, i) => {
      const [addr, bits] = String(p).split('/');
      const family = isIP(addr ?? '');
      const ok = family !== 0 && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
      if (!ok) sink.error(['server', 'trusted_proxies', i], `\`${String(p)}\` is not an IP address or CIDR range like 10.0.0.0/8.`);
    });
  }
}

/** SQL that changes a database file (TEMP objects and SET do not). A hint for a warning, not a parser. */
function writesData(sql: string): boolean {
  return /\b(INSERT|UPDATE|DELETE|ALTER|DROP|COPY|CHECKPOINT)\b|\bCREATE\s+(?!(OR\s+REPLACE\s+)?TEMP)/i.test(sql);
}

/** One tenant must not be able to take every slot of a shared pool (a tenant's own pool is its own). */
function checkLimits(item: RawObject, perTenant: boolean, at: (...r: (string | number)[]) => (string | number)[], sink: IssueSink): void {
  const limits = obj(item['limits']);
  const perTenantCap = limits?.['max_concurrent_per_tenant'];
  if (perTenant || typeof perTenantCap !== 'number') return;
  const cap = typeof limits?.['max_concurrent'] === 'number' ? limits['max_concurrent'] : obj(item['pool'])?.['max'] ?? 10;
  if (typeof cap === 'number' && cap > 1 && perTenantCap >= cap) {
    sink.warning(at('limits', 'max_concurrent_per_tenant'), `one tenant may take all ${cap} query slots of this source, so its slow queries can make every other tenant wait; keep it below \`max_concurrent\` (${cap}).`);
  }
}

function checkDuckdb(item: RawObject, connection: RawObject, at: (...r: (string | number)[]) => (string | number)[], sink: IssueSink): void {
  if (str(connection['path']) === undefined) {
    sink.error(at('connection'), 'a duckdb source needs `connection: { path: <file.duckdb> }`, or `path: ":memory:"` together with `init_sql:`.');
  } else if (connection['path'] === ':memory:' && item['init_sql'] === undefined) {
    sink.warning(at('connection', 'path'), 'an in-memory duckdb database starts empty: add `init_sql:` to create its tables.');
  }
  for (const f of SERVER_FIELDS) {
    if (connection[f] !== undefined) {
      sink.warning(at('connection', f), `\`${f}\` is ignored by duckdb, which reads the file in \`path\`; remove it.`, { key: true });
    }
  }
}

function checkServer(type: string, connection: RawObject, at: (...r: (string | number)[]) => (string | number)[], sink: IssueSink): void {
  for (const f of ['host', 'database'] as const) {
    if (connection[f] === undefined) {
      sink.error(at('connection'), `a ${type} source needs \`connection.${f}\`.`);
    }
  }
  if (connection['path'] !== undefined) {
    sink.warning(at('connection', 'path'), `\`path\` is only for duckdb; a ${type} source connects with host and database. Remove it.`, { key: true });
  }
}

function readInitSql(text: string, dir: string, path: (string | number)[], sink: IssueSink): string | null {
  if (!isInitSqlPath(text)) return text;
  const file = isAbsolute(text.trim()) ? text.trim() : resolve(dir, text.trim());
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    sink.error(path, `init_sql file \`${text.trim()}\` ${reason} (looked for ${file}); paths are relative to sources.yaml.`);
    return null;
  }
}
