import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

/**
 * The repository root: `portal/` (the page's source) and `dist/portal/` (its build) sit
 * there. The nearest folder up with a package.json: src/portal/ from the sources,
 * dist/server/portal/ from the compiled build (`npm run build`, the container).
 */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const ROOT = packageRoot();
export const BUILD_DIR = path.join(ROOT, 'dist', 'portal');
const BUILD_SCRIPT = path.join(ROOT, 'scripts', 'build-portal.mjs');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface Asset {
  readonly type: string;
  readonly body: Uint8Array<ArrayBuffer>;
  /** The same bytes gzipped, for clients that accept it (the whole page is mostly script). */
  readonly gzip: Uint8Array<ArrayBuffer>;
}

export interface PortalFiles {
  /** index.html for `/portal/` (assets at `assets/...`) and for `/portal` (at `portal/assets/...`). */
  readonly page: { slash: Asset; bare: Asset };
  readonly assets: ReadonlyMap<string, Asset>;
}

function asset(type: string, body: Buffer): Asset {
  // Copied into plain ArrayBuffers once: what a Response body takes.
  return { type, body: new Uint8Array(body), gzip: new Uint8Array(gzipSync(body, { level: 9 })) };
}

/**
 * The built page, read once into memory. A clone whose install did not build it (scripts
 * off, or an image that copied the sources later) builds it here, once, on first use.
 */
export async function loadPortalFiles(dir: string = BUILD_DIR): Promise<PortalFiles> {
  if (!existsSync(path.join(dir, 'index.html')) && dir === BUILD_DIR) {
    await promisify(execFile)(process.execPath, [BUILD_SCRIPT, '--if-missing', '--quiet'], { cwd: ROOT, timeout: 120_000 });
  }
  const template = await readFile(path.join(dir, 'index.html'), 'utf8');
  const page = (base: string): Asset => asset('text/html; charset=utf-8', Buffer.from(template.replaceAll('%BASE%', base)));
  const assets = new Map<string, Asset>();
  for (const name of await readdir(path.join(dir, 'assets'))) {
    const type = TYPES[path.extname(name)];
    if (type !== undefined) assets.set(name, asset(type, await readFile(path.join(dir, 'assets', name))));
  }
  return { page: { slash: page(''), bare: page('portal/') }, assets };
}
