import { pino, type Logger } from 'pino';
import { KeyIndex } from '../auth/keys.ts';
import { loadConfig } from '../catalog/load.ts';
import { formatIssues } from '../catalog/format.ts';
import type { Catalog, ConfigIssue } from '../catalog/types.ts';
import { UsageStats } from '../observability/usage.ts';
import { SourceRegistry } from '../sources/registry.ts';

/** What one loaded configuration serves with; swapped whole on reload. */
export interface GatewayState {
  readonly catalog: Catalog;
  readonly keys: KeyIndex;
  readonly registry: SourceRegistry;
}

export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`configuration has errors:\n${formatIssues(issues.filter((i) => i.severity === 'error'))}`);
  }
}

export function stateFor(catalog: Catalog): GatewayState {
  return { catalog, keys: new KeyIndex(catalog.apiKeys), registry: new SourceRegistry(catalog.sources) };
}

/** The long-lived gateway: current state, usage, logger. */
export class Gateway {
  readonly usage = new UsageStats();
  constructor(public state: GatewayState, readonly logger: Logger) {}

  static async load(dir: string, logger: Logger = defaultLogger()): Promise<Gateway> {
    const { catalog, issues } = await loadConfig(dir);
    for (const i of issues.filter((x) => x.severity === 'warning')) {
      logger.warn({ file: i.file, line: i.line, field: i.field }, i.message);
    }
    if (!catalog) throw new ConfigError(issues);
    return new Gateway(stateFor(catalog), logger);
  }

  /** Opens every shared source once (the demo builds its data), so the first query is not slow. */
  async warmUp(): Promise<void> {
    const { catalog, registry } = this.state;
    await Promise.all([...catalog.sources.values()].filter((s) => !s.perTenant).map(async (s) => {
      try {
        await registry.ping(s.name);
      } catch (err) {
        this.logger.warn({ source: s.name, err: (err as Error).message }, 'source is not reachable yet');
      }
    }));
  }

  async close(): Promise<void> {
    await this.state.registry.close();
  }
}

export function defaultLogger(): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined });
}
