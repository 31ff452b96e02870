/** The OData entity writer (src/odata/routes.ts) writes what JSON.stringify writes for the entity object. */
import { describe, expect, it } from 'vitest';
import { entityWriter } from '../../src/odata/routes.ts';
import { KEY_PROPERTY } from '../../src/odata/model.ts';
import type { Row } from '../../src/sources/types.ts';

/** The object the gateway used to build for each entity, stringified: the reference. */
function reference(row: Row, props: { name: string; index: number; numeric: boolean }[], keyDims: number[] | null, ieee: boolean): string {
  const out: Record<string, unknown> = {};
  if (keyDims) out[KEY_PROPERTY] = JSON.stringify(keyDims.map((i) => row[i]));
  props.forEach((p) => {
    const v = row[p.index];
    out[p.name] = !p.numeric || v === null || v === undefined ? v : ieee ? String(v) : Number(v);
  });
  return JSON.stringify(out);
}

const rows: Row[] = [
  ['EU', 12.5, 3, true, '2024-01-31'],
  ['quote " back\\slash \n line \u2028 sep \u0000 nul', -0, 0, false, null],
  ['ünïcødé 🎉 </script>', '123456789012345678901234.5', '9007199254740993', null, '2024-02-29T10:00:00.000Z'],
  [null, null, null, null, null],
  ['', 1e21, -1.5e-7, true, ''],
];
const props = [
  { name: 'region', index: 0, numeric: false },
  { name: 'revenue', index: 1, numeric: true },
  { name: 'order count', index: 2, numeric: true },
  { name: 'flag"x', index: 3, numeric: false },
  { name: 'day', index: 4, numeric: false },
];

describe('entityWriter', () => {
  for (const ieee of [false, true]) {
    for (const keyDims of [null, [0], [0, 4]]) {
      it(`matches JSON.stringify of the entity object (ieee ${ieee}, key ${JSON.stringify(keyDims)})`, () => {
        const write = entityWriter(props, keyDims, ieee);
        for (const row of rows) {
          expect(write(row)).toBe(reference(row, props, keyDims, ieee));
          expect(JSON.parse(write(row))).toEqual(JSON.parse(reference(row, props, keyDims, ieee)));
        }
        // Properties in another order than the row's, and a subset of them.
        const reordered = [props[4]!, props[0]!, props[2]!];
        expect(entityWriter(reordered, keyDims, ieee)(rows[1]!)).toBe(reference(rows[1]!, reordered, keyDims, ieee));
      });
    }
  }
});
