/**
 * Real services for integration suites. A suite asks for what it needs:
 *
 *   const pg = await requireServices('postgres');
 *   describe.skipIf(!pg.ok)('postgres executor', () => { ... });
 *
 * A service that is down skips the suite with a loud warning, unless
 * SEMGATE_REQUIRE_SERVICES=1 (CI), where it fails the file instead: a green CI run must
 * mean the integration tests ran.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { expect } from 'vitest';

export type ServiceName = 'postgres' | 'mysql' | 'redis';

export const services = {
  postgres: {
    host: process.env['PGHOST'] ?? '127.0.0.1',
    port: Number(process.env['PGPORT'] ?? 5432),
    user: process.env['PGUSER'] ?? 'postgres',
    password: process.env['PGPASSWORD'] ?? '',
    database: process.env['PGDATABASE'] ?? 'test',
  },
  mysql: {
    host: process.env['MYSQL_HOST'] ?? '127.0.0.1',
    port: Number(process.env['MYSQL_PORT'] ?? 3306),
    user: process.env['MYSQL_USER'] ?? 'root',
    password: process.env['MYSQL_PASSWORD'] ?? '',
    database: process.env['MYSQL_DATABASE'] ?? 'test',
  },
  redis: { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
} as const;

const LABEL: Record<ServiceName, () => string> = {
  postgres: () => `PostgreSQL at ${services.postgres.host}:${services.postgres.port}`,
  mysql: () => `MariaDB/MySQL at ${services.mysql.host}:${services.mysql.port}`,
  redis: () => `Redis at ${new URL(services.redis.url).host}`,
};

const TIMEOUT_MS = 1_000;

async function checkPostgres(): Promise<boolean> {
  const client = new pg.Client({ ...services.postgres, connectionTimeoutMillis: TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkMysql(): Promise<boolean> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ ...services.mysql, connectTimeout: TIMEOUT_MS });
    await conn.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/** A raw PING over TCP: no client library needed, and it proves the server answers. */
function checkRedis(): Promise<boolean> {
  const url = new URL(services.redis.url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(TIMEOUT_MS, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const auth = url.password ? `AUTH ${decodeURIComponent(url.password)}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (data) => {
      if (data.toString().includes('+PONG')) done(true);
      else if (data.toString().startsWith('-')) done(false);
    });
  });
}

const checks: Record<ServiceName, () => Promise<boolean>> = {
  postgres: checkPostgres,
  mysql: checkMysql,
  redis: checkRedis,
};
const cache = new Map<ServiceName, Promise<boolean>>();

/** Whether the service answers within about a second (memoised per worker). */
export function serviceAvailable(name: ServiceName): Promise<boolean> {
  let result = cache.get(name);
  if (result === undefined) {
    result = checks[name]();
    cache.set(name, result);
  }
  return result;
}

/** The test file that called us, for the warning: vitest's state, else the stack. */
function callerFile(): string {
  const fromVitest = expect.getState().testPath;
  const fromStack = new Error().stack
    ?.split('\n')
    .map((line) => /(file:\/\/[^\s)]+|\/[^\s)]+)\.test\.ts/.exec(line)?.[0])
    .find((f) => f !== undefined);
  const file = fromVitest ?? fromStack;
  if (file === undefined) return 'this suite';
  const abs = file.startsWith('file://') ? fileURLToPath(file) : file;
  return path.relative(process.cwd(), abs);
}

export async function requireServices(...names: ServiceName[]): Promise<{ ok: boolean }> {
  const results = await Promise.all(names.map(async (n) => [n, await serviceAvailable(n)] as const));
  const down = results.filter(([, ok]) => !ok).map(([n]) => n);
  if (down.length === 0) return { ok: true };
  const what = down.map((n) => LABEL[n]()).join(' and ');
  const suite = callerFile();
  if (process.env['SEMGATE_REQUIRE_SERVICES'] === '1') {
    throw new Error(`${suite} needs ${what}, which is not answering (SEMGATE_REQUIRE_SERVICES=1 forbids skipping)`);
  }
  console.warn(`SKIPPED: ${suite} needs ${what} (start it with \`npm run services\`)`);
  return { ok: false };
}
