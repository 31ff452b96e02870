// The registry's bookkeeping with stand-in executors: no database needed.
import { afterEach, describe, expect, it } from 'vitest';
import type { Source } from '../../src/catalog/types.ts';
import { SourceRegistry } from '../../src/sources/registry.ts';
import type { ExecRequest, ExecResult, Executor } from '../../src/sources/types.ts';
import { makeSource, req } from './fixture.ts';

interface Fake extends Executor {
  readonly tenant: string | null;
  closed: boolean;
  release(): void;
}

function fakeFactory(opened: Fake[]) {
  return (_source: Source, tenant: string | null): Executor => {
    let release = (): void => undefined;
    const fake: Fake = {
      tenant,
      closed: false,
      run: (_req: ExecRequest) => new Promise<ExecResult>((resolve) => {
        release = () => resolve({ rows: [[tenant]] });
      }),
      stream: async () => ({ next: async () => null, cancel: async () => undefined }),
      ping: async () => undefined,
      close: async () => {
        fake.closed = true;
      },
      stats: () => ({ inUse: 0, idle: 0, waiting: 0 }),
      release: () => release(),
    };
    opened.push(fake);
    return fake;
  };
}

const shared = makeSource('duckdb', { path: ':memory:' }, { name: 'shared' });
const perTenant = makeSource('postgres', { database: 't_{tenant}' }, {
  name: 'per_tenant',
  pool: { max: 1, idleTimeoutMs: 100, maxTenantPools: 2 },
});

describe('source registry pools', () => {
  let registry: SourceRegistry | undefined;
  afterEach(async () => registry?.close());

  it('creates one executor per plain source, lazily', () => {
    const opened: Fake[] = [];
    registry = new SourceRegistry(new Map([['shared', shared]]), { createExecutor: fakeFactory(opened) });
    expect(opened).toHaveLength(0);
    expect(registry.executor('shared', null)).toBe(registry.executor('shared', 'acme'));
    expect(opened).toHaveLength(1);
  });

  it('never evicts a tenant pool with a query running; answers 503 when all are busy', async () => {
    const opened: Fake[] = [];
    registry = new SourceRegistry(new Map([['per_tenant', perTenant]]), { createExecutor: fakeFactory(opened) });
    const runA = registry.executor('per_tenant', 'a').run(req('q', ['string']));
    const runB = registry.executor('per_tenant', 'b').run(req('q', ['string']));
    await expect(registry.executor('per_tenant', 'c').run(req('q', ['string']))).rejects.toMatchObject({ status: 503 });
    opened[0]?.release();
    expect((await runA).rows).toEqual([['a']]);
    // a is idle now and least recently used: c takes its place.
    const runC = registry.executor('per_tenant', 'c').run(req('q', ['string']));
    expect(opened.map((f) => [f.tenant, f.closed])).toEqual([['a', true], ['b', false], ['c', false]]);
    opened[1]?.release();
    opened[2]?.release();
    await Promise.all([runB, runC]);
    expect(registry.stats()['per_tenant']?.pools).toBe(2);
  });

  it('reopens a pool evicted between executor() and run()', async () => {
    const opened: Fake[] = [];
    registry = new SourceRegistry(new Map([['per_tenant', { ...perTenant, pool: { ...perTenant.pool, maxTenantPools: 1 } }]]), {
      createExecutor: fakeFactory(opened),
    });
    const handleA = registry.executor('per_tenant', 'a');
    const first = handleA.run(req('q', ['string']));
    opened[0]?.release();
    await first;
    const runB = registry.executor('per_tenant', 'b').run(req('q', ['string']));
    opened[1]?.release();
    await runB;
    const again = handleA.run(req('q', ['string']));
    opened[2]?.release();
    expect((await again).rows).toEqual([['a']]);
    expect(opened.map((f) => f.closed)).toEqual([true, true, false]);
  });

  it('closes tenant pools left idle, in the background', async () => {
    const opened: Fake[] = [];
    registry = new SourceRegistry(new Map([['per_tenant', perTenant]]), { createExecutor: fakeFactory(opened) });
    const run = registry.executor('per_tenant', 'a').run(req('q', ['string']));
    opened[0]?.release();
    await run;
    // idleTimeoutMs 100 -> closed after ~400 ms idle, checked every second.
    await new Promise((r) => setTimeout(r, 1_600));
    expect(opened[0]?.closed).toBe(true);
    expect(registry.stats()['per_tenant']?.pools).toBe(0);
  });
});
