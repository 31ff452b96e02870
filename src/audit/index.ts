import type { Logger } from 'pino';
import type { Catalog } from '../catalog/types.ts';
import { AuditLog } from './audit-log.ts';
import { FileSink, NullSink, PostgresSink, StdoutSink, type AuditSink } from './sinks.ts';

export type { AuditEvent, AuditOutcome, AuditStatus } from './audit-log.ts';
export { AuditLog } from './audit-log.ts';

/** The sink sources.yaml asks for; SEMGATE_AUDIT_SINK overrides the kind (tests use `none`). */
export function sinkFor(catalog: Catalog, kind = process.env.SEMGATE_AUDIT_SINK ?? catalog.settings.audit.sink): AuditSink {
  const a = catalog.settings.audit;
  switch (kind) {
    case 'none': return new NullSink();
    case 'file':
      if (!a.file) throw new Error('audit.file is not configured');
      return new FileSink(a.file.path, a.file.maxBytes, a.file.keep);
    case 'postgres': {
      const source = a.postgres ? catalog.sources.get(a.postgres.source) : undefined;
      if (!source || !a.postgres) throw new Error('audit.postgres is not configured');
      return new PostgresSink(source, a.postgres.table);
    }
    default: return new StdoutSink();
  }
}

/** SEMGATE_AUDIT_SPOOL overrides the spool path (the image points it at a writable volume). */
export function auditLogFor(catalog: Catalog, logger: Logger): AuditLog {
  return new AuditLog(sinkFor(catalog), process.env.SEMGATE_AUDIT_SPOOL ?? catalog.settings.audit.spool, logger);
}
