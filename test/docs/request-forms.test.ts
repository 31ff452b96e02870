/**
 * Every request form in the docs is executed against the demo (issue 14 acceptance):
 *
 * - every `curl` command of a ```sh block in docs/**\/*.md and README.md, through bash and
 *   the real curl binary (`localhost:8080` pointed at a demo gateway started here,
 *   `$SEMGATE_URL` / `$SEMGATE_ADMIN_KEY` set as the docs say), `--get --data-urlencode`
 *   included: it must answer 2xx, or the status its documented output shows (an ```http
 *   status line, a problem's `"status"`), or the one listed in DOCUMENTED_STATUS;
 * - every `GET /path` the prose names (tables, lists), with a key: 2xx.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server.ts';
import { localise, ROOT, runShell, startDemo } from '../../scripts/docs-samples.ts';
import { request } from '../helpers/http.ts';
import { assertConforms } from '../helpers/openapi-conformance.ts';

/** Commands whose documented answer is not a 2xx, by a fragment of the command, with the doc's reason. */
const DOCUMENTED_STATUS: { fragment: string; status: number; why: string }[] = [
  // keys.md: "On a gateway without a key_store: (the demo), creating, rotating and revoking answer 409".
  { fragment: 'k_1a2b3c4d5e6f/rotate', status: 409, why: 'the demo has no key store' },
  { fragment: 'DELETE "$SEMGATE_URL/v1/admin/keys/k_1a2b3c4d5e6f"', status: 409, why: 'the demo has no key store' },
  // deployment.md: the compose deployment's own key, created in the step before; the demo does not know it.
  { fragment: 'Bearer <the key printed above>', status: 401, why: 'a placeholder for a key the reader creates' },
];

function markdownFiles(): string[] {
  const out = [path.join(ROOT, 'README.md')];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(path.join(ROOT, 'docs'));
  return out;
}

/** Shell commands of a script: a newline ends one unless quoted or escaped. */
export function shellCommands(script: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"') cur += script[i++] ?? '';
      cur += ch;
      continue;
    }
    if (ch === '\\' && script[i + 1] === '\n') {
      cur += ' ';
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '#' && (cur === '' || /\s$/.test(cur))) {
      while (i < script.length && script[i] !== '\n') i++;
      i--;
      continue;
    }
    if (ch === '\n') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

interface Form { file: string; line: number; command: string; status: number | null }

/** The curl commands of every ```sh block, with the status their documented output shows. */
function curlForms(): Form[] {
  const forms: Form[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)\n```\n(?:<!--[^\n]*-->\n)?(?:```(\w+)\n([\s\S]*?)\n```)?/g)) {
      const line = text.slice(0, m.index).split('\n').length;
      const commands = shellCommands(m[1]!).filter((c) => /^curl\s/.test(c));
      const output = m[3] ?? '';
      const shown = m[2] === 'http' ? /^HTTP\/[\d.]+ (\d{3})/.exec(output)?.[1]
        : m[2] === 'json' ? /^\{\s*"type":\s*"https:\/\/semgate\.dev\/errors\/[^"]+"[\s\S]*?"status":\s*(\d{3})/.exec(output)?.[1] : undefined;
      for (const command of commands) {
        const listed = DOCUMENTED_STATUS.find((d) => command.includes(d.fragment));
        forms.push({ file: path.relative(ROOT, file), line, command, status: listed?.status ?? (commands.length === 1 && shown ? Number(shown) : null) });
      }
    }
  }
  return forms;
}

/** `GET /path` in the prose: paths with a key (admin paths with the admin key). */
function getForms(): { file: string; path: string }[] {
  const out: { file: string; path: string }[] = [];
  for (const file of markdownFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(/`GET (\/[^`\s]*)`/g)) {
      let p = m[1]!;
      if (p.includes('...') || p.includes('{file}') || p.includes('{id}')) continue;
      p = p.replace(/\{(name|set|dataset)\}/g, 'orders').replace(/=T\b/, '=acme_corp').replace(/=N\b/, '=7');
      out.push({ file: path.relative(ROOT, file), path: p });
    }
  }
  return out;
}

let demo: RunningServer;
let scratch: string;
beforeAll(async () => {
  demo = await startDemo();
  scratch = mkdtempSync(path.join(tmpdir(), 'semgate-doc-forms-'));
});
afterAll(async () => {
  await demo?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('every curl command in the docs, through the real curl binary', () => {
  const forms = curlForms();
  it('finds the docs\' curl commands, --get --data-urlencode ones among them', () => {
    expect(forms.length).toBeGreaterThanOrEqual(30);
    expect(forms.filter((f) => f.command.includes('--data-urlencode')).length).toBeGreaterThanOrEqual(4);
    expect(new Set(forms.map((f) => f.file))).toContain('docs/bi-tools/generic-odata.md');
  });

  it.each(forms.map((f, i) => [`${f.file}:${f.line} ${f.command.slice(0, 90)}`, f, i] as const))('%s', async (_name, f, i) => {
    // The command runs as documented; curl also writes the response headers to a file and
    // the status, method and URL after the body, so the answer is checked against OpenAPI too.
    const headersFile = path.join(scratch, `h${i}`);
    const script = `curl() { command curl -D '${headersFile}' -w '\\n@@STATUS %{http_code} %{method} %{url_effective}@@\\n' "$@"; }\n${localise(f.command, demo.url)}`;
    const { code, stdout, stderr } = await runShell(script, demo.url);
    expect(code, `curl failed: ${stderr}`).toBe(0);
    const trailer = /\n?@@STATUS (\d{3}) (\S+) (\S+)@@\s*$/.exec(stdout);
    expect(trailer, stdout.slice(-300)).not.toBeNull();
    const status = Number(trailer![1]);
    let body = stdout.slice(0, trailer!.index);
    if (/(?:^|\s)-[A-Za-z]*i[A-Za-z]*\s/.test(f.command)) body = body.slice(body.indexOf('\r\n\r\n') + 4);
    const headers = new Map(readFileSync(headersFile, 'utf8').split('\r\n').slice(1).filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const));
    const url = new URL(trailer![3]!);
    const type = headers.get('content-type') ?? '';
    assertConforms(trailer![2]!, url.pathname + url.search, {
      status, header: (n) => headers.get(n.toLowerCase()) ?? null, text: body, body: /json/.test(type) && body !== '' ? JSON.parse(body) : body,
    });
    if (f.status !== null) expect(status, body.slice(0, 400)).toBe(f.status);
    else expect(status >= 200 && status < 300, `${status}: ${body.slice(0, 400)}`).toBe(true);
  }, 60_000);
});

/** ```python blocks that talk to the demo (`localhost:8080`), e.g. generic-odata.md's paging loop. */
function pythonForms(): { file: string; line: number; code: string }[] {
  const out: { file: string; line: number; code: string }[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/```python\n([\s\S]*?)\n```/g)) {
      if (m[1]!.includes('localhost:8080')) out.push({ file: path.relative(ROOT, file), line: text.slice(0, m.index).split('\n').length, code: m[1]! });
    }
  }
  return out;
}

const havePython = (await runShell('python3 -c "import requests"', 'http://127.0.0.1:1')).code === 0;
if (!havePython) console.warn('\n*** SKIPPING the docs\' Python samples: python3 with requests is not installed ***\n');

describe.skipIf(!havePython)('every Python sample that calls the demo', () => {
  const forms = pythonForms();
  it('finds generic-odata.md\'s', () => {
    expect(forms.map((f) => f.file)).toContain('docs/bi-tools/generic-odata.md');
  });
  it.each(forms.map((f) => [`${f.file}:${f.line}`, f] as const))('%s runs as written', async (_name, f) => {
    const file = path.join(scratch, `sample-${f.line}.py`);
    writeFileSync(file, localise(f.code, demo.url));
    const { code, stdout, stderr } = await runShell(`python3 '${file}'`, demo.url);
    expect(code, stderr.slice(-1000)).toBe(0);
    expect(stdout.trim()).not.toBe('');
  }, 60_000);
});

describe('every GET /path the docs name', () => {
  const forms = getForms();
  it('finds them', () => {
    expect(forms.length).toBeGreaterThanOrEqual(10);
  });
  it.each(forms.map((f) => [`${f.file}: GET ${f.path}`, f] as const))('%s', async (_name, f) => {
    // Admin routes and /metrics (an admin key or SEMGATE_METRICS_TOKEN) with the admin key.
    const key = f.path.startsWith('/v1/admin') || f.path.startsWith('/metrics') ? 'sk_demo_admin' : 'sk_demo_acme';
    const res = await request(demo.url, 'GET', f.path, { key });
    expect(res.status >= 200 && res.status < 300, `${res.status}: ${res.text.slice(0, 300)}`).toBe(true);
  });
});
