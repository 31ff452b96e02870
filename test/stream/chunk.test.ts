/** stream-body's Chunk: text written in pieces comes out as exactly its UTF-8 bytes, however it grows. */
import { describe, expect, it } from 'vitest';
import { Chunk } from '../../src/web/stream-body.ts';

const PIECES = ['a', 'plain ascii row,1,2\r\n', 'ünïcødé', '日本語のテキスト', '🎉 emoji 👩‍💻', '"quoted, ""cell"""', '\u2028\u0000', 'x'.repeat(5000), '€'.repeat(3000)];

describe('Chunk', () => {
  it('holds the UTF-8 bytes of everything written, in order, past its first size and across encoding groups', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (const size of [1, 64, 4096, 65_536]) {
      const chunk = new Chunk(size);
      const written: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const piece = PIECES[Math.floor(random() * PIECES.length)]!;
        chunk.write(piece);
        written.push(piece);
        if (i % 500 === 0) expect(chunk.size).toBe(Buffer.byteLength(written.join('')));
      }
      const expected = Buffer.from(written.join(''), 'utf8');
      expect(chunk.size).toBe(expected.length);
      expect(Buffer.compare(chunk.bytes(), expected)).toBe(0);
    }
  });

  it('is empty when nothing was written', () => {
    const chunk = new Chunk(16);
    chunk.write('');
    expect(chunk.size).toBe(0);
    expect(chunk.bytes().length).toBe(0);
  });
});
