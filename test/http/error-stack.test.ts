/**
 * A 4xx GatewayError is the caller's mistake: it captures no stack (a flood of 401s or 429s
 * must stay cheap), while a 5xx keeps one for the log, and the global limit is restored.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';

describe('GatewayError stacks', () => {
  it('captures none for a 4xx, keeps one for a 5xx, and leaves Error.stackTraceLimit as it was', () => {
    const before = Error.stackTraceLimit;
    const client = new GatewayError('auth.unauthorized', 401, 'no');
    expect(Error.stackTraceLimit).toBe(before);
    expect(client.stack?.split('\n').filter((l) => l.trim().startsWith('at '))).toEqual([]);
    expect(client.message).toBe('no');
    expect(client).toBeInstanceOf(Error);
    const server = new GatewayError('source.unavailable', 503, 'down');
    expect(server.stack?.split('\n').some((l) => l.trim().startsWith('at '))).toBe(true);
    expect(new Error('plain').stack?.split('\n').some((l) => l.trim().startsWith('at '))).toBe(true);
  });
});
