/** Loading a fixture's configuration in a test: it must load, or the test stops with its errors. */
import { formatIssues } from '../../src/catalog/format.ts';
import { loadConfig, type LoadOptions } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/** The catalog of `dir` (the repository root: the demo), or an Error listing every config error. */
export async function loadCatalog(dir: string, opts?: LoadOptions): Promise<Catalog> {
  const { catalog, issues } = await loadConfig(dir, opts);
  if (!catalog) throw new Error(`${dir} does not load:\n${formatIssues(issues.filter((i) => i.severity === 'error'))}`);
  return catalog;
}
