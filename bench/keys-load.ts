/**
 * Started by bench/keys.ts: loads one configuration directory the way `semgate serve` does,
 * and prints one JSON line: load time (wall and CPU), RSS after a GC, peak RSS, and the cost
 * of a key lookup. `node --expose-gc --import tsx bench/keys-load.ts DIR KEY`
 */
import { readFileSync } from 'node:fs';
import { authenticatorFor } from '../src/auth/authenticate.ts';
import { loadConfig } from '../src/catalog/load.ts';

const [dir, key] = process.argv.slice(2) as [string, string];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const status = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

gc();
const rssBefore = status('VmRSS');
const wall = performance.now();
const cpu = cpuMs();
const { catalog } = await loadConfig(dir);
if (!catalog) throw new Error(`${dir} does not load`);
const auth = authenticatorFor(catalog);
const loadWall = performance.now() - wall;
const loadCpu = cpuMs() - cpu;
gc();
const rssAfter = status('VmRSS');
const N = 100_000;
const t = performance.now();
for (let i = 0; i < N; i++) auth.authenticateNow(key);
const lookupUs = ((performance.now() - t) * 1000) / N;
process.stdout.write(`${JSON.stringify({ keys: catalog.apiKeys.length, loadWall, loadCpu, rssBefore, rssAfter, peak: status('VmHWM'), lookupUs })}\n`);
