// The R lazy-load reader the corpus supplement uses (scripts/corpus/rdata.ts), on a database written here byte by byte
// in R's XDR serialization, as R 4 writes one for a package's data/ (an index of named offsets, zlib'd entries).
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { readLazyLoadStrings } from '../../scripts/corpus/rdata';

const int = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const header = Buffer.concat([Buffer.from('X\n'), int(3), int(0x040201), int(0x030500), int(5), Buffer.from('UTF-8')]);
const chars = (s: string | null): Buffer => (s === null ? Buffer.concat([int(0x9), int(-1)]) : Buffer.concat([int(0x40009), int(Buffer.byteLength(s)), Buffer.from(s)]));
/** A character (16) or list (19) vector; with names, its attribute pairlist (the `names` symbol the first time, a reference after). */
function vector(type: 16 | 19, items: Buffer[], names?: string[], firstNames = true): Buffer {
  const attr = names
    ? Buffer.concat([int(0x402), firstNames ? Buffer.concat([int(1), chars('names')]) : int(0x1ff), vector(16, names.map(chars)), int(254)])
    : Buffer.alloc(0);
  return Buffer.concat([int(type | (names ? 0x200 : 0)), int(items.length), ...items, attr]);
}
const ints = (...v: number[]): Buffer => Buffer.concat([int(13), int(v.length), ...v.map(int)]);

function database(objects: [string, Buffer][]): { rdx: Buffer; rdb: Buffer } {
  const entries: Buffer[] = [];
  const where: [number, number][] = [];
  let offset = 0;
  for (const [, body] of objects) {
    const raw = Buffer.concat([header, body]);
    const entry = Buffer.concat([int(raw.length), deflateSync(raw)]);
    where.push([offset, entry.length]);
    entries.push(entry);
    offset += entry.length;
  }
  const variables = vector(19, where.map(([o, l]) => ints(o, l)), objects.map(([n]) => n));
  const index = Buffer.concat([header, vector(19, [variables, vector(19, [], [], false), Buffer.concat([int(10), int(1), int(1)])], ['variables', 'references', 'compressed'], false)]);
  return { rdx: gzipSync(index), rdb: Buffer.concat(entries) };
}

describe("reading R's lazy-load data", () => {
  it('gives each named character vector its lines, NA lines dropped, UTF-8 kept; other objects are left out', () => {
    const { rdx, rdb } = database([
      ['emma', vector(16, ['EMMA', '', 'Emma Woodhouse, handsome, clever, and rich,', null, 'Miss Taylor’s loss'].map(chars))],
      ['numbers', ints(1, 2, 3)],
      ['persuasion', vector(16, ['Sir Walter Elliot, of Kellynch Hall'].map(chars))],
    ]);
    const got = readLazyLoadStrings(rdx, rdb, 'test');
    assert.deepEqual([...got.keys()], ['emma', 'persuasion']);
    assert.deepEqual(got.get('emma'), ['EMMA', '', 'Emma Woodhouse, handsome, clever, and rich,', 'Miss Taylor’s loss']);
    assert.deepEqual(got.get('persuasion'), ['Sir Walter Elliot, of Kellynch Hall']);
  });

  it('refuses what is not R serialization, saying which file', () => {
    const { rdx } = database([['x', vector(16, [chars('a')])]]);
    assert.throws(() => readLazyLoadStrings(gzipSync(Buffer.from('not R data')), Buffer.alloc(0), 'pkg'), /pkg\.rdx: not R's XDR serialization/);
    assert.throws(() => readLazyLoadStrings(rdx, Buffer.alloc(0), 'pkg'), /./);
  });
});
