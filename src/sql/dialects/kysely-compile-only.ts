import {
  DummyDriver, Kysely, type DialectAdapter, type DatabaseIntrospector, type QueryCompiler,
} from 'kysely';

/** A kysely instance that only compiles: it never opens a connection. */
export function compileOnlyKysely(
  adapter: () => DialectAdapter,
  compiler: () => QueryCompiler,
  introspector: (db: Kysely<Record<string, never>>) => DatabaseIntrospector,
): Kysely<Record<string, never>> {
  return new Kysely<Record<string, never>>({
    dialect: {
      createAdapter: adapter,
      createDriver: () => new DummyDriver(),
      createIntrospector: introspector as (db: Kysely<unknown>) => DatabaseIntrospector,
      createQueryCompiler: compiler,
    },
  });
}
