// The training RNG must be a faithful xoshiro128** whose state survives a JSON round trip exactly.
import assert from 'node:assert/strict';
import { Rng, type RngState } from '../../src/train/rng';

/** The published C reference (prng.di.unimi.it/xoshiro128starstar.c), written with BigInt so no 32-bit tricks are shared with the implementation. */
function referenceStream(seed: [number, number, number, number], n: number): number[] {
  const M = (1n << 32n) - 1n;
  const s = seed.map(BigInt);
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number((rotl((s[1] * 5n) & M, 7n) * 9n) & M));
    const t = (s[1] << 9n) & M;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11n);
  }
  return out;
}

describe('train rng (xoshiro128**)', () => {
  it('matches the reference algorithm output word for word', () => {
    for (const seed of [[1, 2, 3, 4], [0xdeadbeef, 0x12345678, 0xffffffff, 7]] as [number, number, number, number][]) {
      const rng = Rng.fromState({ algorithm: 'xoshiro128**', s: seed });
      const got = Array.from({ length: 2000 }, () => rng.nextU32());
      assert.deepEqual(got, referenceStream(seed, 2000));
    }
  });

  it('round-trips its state through JSON exactly, mid-stream', () => {
    const a = Rng.fromSeed(42);
    for (let i = 0; i < 1234; i++) a.next();
    const saved: RngState = JSON.parse(JSON.stringify(a.state()));
    const b = Rng.fromState(saved);
    const fromA = Array.from({ length: 500 }, () => [a.nextU32(), a.next(), a.int(97), a.normal()]);
    const fromB = Array.from({ length: 500 }, () => [b.nextU32(), b.next(), b.int(97), b.normal()]);
    assert.deepEqual(fromB, fromA);
  });

  it('gives different streams for different seeds and the same stream for the same seed', () => {
    const x = Array.from({ length: 8 }, ((r) => () => r.nextU32())(Rng.fromSeed(1)));
    const y = Array.from({ length: 8 }, ((r) => () => r.nextU32())(Rng.fromSeed(2)));
    const z = Array.from({ length: 8 }, ((r) => () => r.nextU32())(Rng.fromSeed(1)));
    assert.notDeepEqual(x, y);
    assert.deepEqual(x, z);
  });

  it('draws uniform integers and [0,1) floats without visible bias', () => {
    const rng = Rng.fromSeed(7);
    const k = 10, n = 100_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(k)]++;
    const expected = n / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 30, `chi-square ${chi2.toFixed(1)} over 9 degrees of freedom`); // p < 0.001 bound is 27.9
    let min = 1, max = 0, sum = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      min = Math.min(min, u); max = Math.max(max, u); sum += u;
    }
    assert.ok(min >= 0 && max < 1);
    assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  });

  it('draws standard normals', () => {
    const rng = Rng.fromSeed(3);
    const n = 50_000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z; s2 += z * z;
    }
    assert.ok(Math.abs(s / n) < 0.03);
    assert.ok(Math.abs(s2 / n - 1) < 0.03);
  });

  it('rejects a state that is not its own', () => {
    assert.throws(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, -4] as unknown as [number, number, number, number] }), RangeError);
  });
});
