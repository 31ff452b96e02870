import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import pg from 'pg';
import type { Source } from '../catalog/types.ts';
import { pgConnectionOf } from '../sources/postgres.ts';

/** Where audit lines go. `write` either stores every line of the batch or throws. */
export interface AuditSink {
  readonly name: string;
  /** Lines per write this sink prefers (else the log's default). */
  readonly batch?: number;
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class StdoutSink implements AuditSink {
  readonly name = 'stdout';
  /**
   * Small batches: a write to a pipe is cheap, while lines held for the 250 ms timer
   * outlive the young generation and cost the garbage collector more than the writes.
   */
  readonly batch = 64;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}
  async write(lines: readonly string[]): Promise<void> {
    await new Promise<void>((resolve, reject) => this.out.write(`${lines.join('\n')}\n`, (err) => (err ? reject(err) : resolve())));
  }
  async close(): Promise<void> {}
}

export class NullSink implements AuditSink {
  readonly name = 'none';
  async write(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Appends, fsyncs once per batch, and rotates by size: audit.log -> audit.log.1 -> ... .keep */
export class FileSink implements AuditSink {
  readonly name = 'file';
  private handle: FileHandle | null = null;
  private size = 0;
  constructor(private readonly path: string, private readonly maxBytes: number, private readonly keep: number) {}

  private async ensureOpen(): Promise<FileHandle> {
    if (!this.handle) {
      this.handle = await open(this.path, 'a');
      this.size = (await this.handle.stat()).size;
    }
    return this.handle;
  }

  private async rotate(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => undefined);
    }
    await rename(this.path, `${this.path}.1`).catch(() => undefined);
  }

  async write(lines: readonly string[]): Promise<void> {
    const text = `${lines.join('\n')}\n`;
    const bytes = Buffer.byteLength(text);
    await this.ensureOpen();
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    const h = await this.ensureOpen();
    await h.appendFile(text);
    await h.datasync();
    this.size += bytes;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }

  /** For tests and the docs: the files that exist, newest first. */
  async files(): Promise<string[]> {
    const out: string[] = [];
    for (const p of [this.path, ...Array.from({ length: this.keep }, (_, i) => `${this.path}.${i + 1}`)]) {
      if (await stat(p).then(() => true, () => false)) out.push(p);
    }
    return out;
  }
}

/** Batched inserts into a PostgreSQL table: one statement per batch, the batch as one JSON parameter. */
export class PostgresSink implements AuditSink {
  readonly name = 'postgres';
  private readonly pool: pg.Pool;
  private ready = false;
  constructor(source: Source, private readonly table: string) {
    this.pool = new pg.Pool({ ...pgConnectionOf(source.connection), max: 2, connectionTimeoutMillis: 2000, idleTimeoutMillis: 10_000 });
    this.pool.on('error', () => undefined); // a dropped idle connection is retried on the next write
  }

  /** The table name was checked against an identifier pattern at load. */
  private async ensureTable(): Promise<void> {
    if (this.ready) return;
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id bigserial PRIMARY KEY, ts timestamptz NOT NULL, request_id text NOT NULL, tenant text, key_id text,
      status integer NOT NULL, line jsonb NOT NULL)`);
    this.ready = true;
  }

  async write(lines: readonly string[]): Promise<void> {
    await this.ensureTable();
    await this.pool.query(
      `INSERT INTO ${this.table} (ts, request_id, tenant, key_id, status, line)
       SELECT (e->>'ts')::timestamptz, e->>'request_id', e->>'tenant', e->>'key_id', (e->>'status')::int, e
       FROM jsonb_array_elements($1::jsonb) AS e`,
      [`[${lines.join(',')}]`],
    );
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
