// Seedable PRNG whose whole state is four integers, so a checkpoint can store it and a resumed run draws the same numbers.

/** The complete, JSON-serializable state of an {@link Rng}: the four 32-bit words of xoshiro128**. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
}

/** splitmix32: spreads a small integer seed over 32 bits, so nearby seeds give unrelated streams. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

/**
 * xoshiro128** (Blackman & Vigna): fast, statistically sound for simulation, and its state is small enough
 * to round-trip through JSON exactly. Not for cryptography.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v >>> 0) as [number, number, number, number];
    // An all-zero state is the one fixed point of xoshiro; nudge it so the stream never sticks at zero.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator from an integer seed (any JS number; only its low 32 bits and the high 21 bits of the integer part count). */
  static fromSeed(seed: number): Rng {
    const hi = Math.floor(seed / 2 ** 32) | 0;
    let x = (seed | 0) ^ Math.imul(hi, 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nx, z] = splitmix32(x);
      x = nx;
      words.push(z);
    }
    return new Rng(words as [number, number, number, number]);
  }

  /** Restores a generator exactly where {@link state} captured it. */
  static fromState(state: RngState): Rng {
    if (state.algorithm !== 'xoshiro128**' || state.s.length !== 4 || !state.s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new RangeError(`not a xoshiro128** state: ${JSON.stringify(state)}`);
    }
    return new Rng(state.s);
  }

  /** A snapshot of the state; the generator can go on independently afterwards. */
  state(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0; this.s2 >>>= 0; this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. n must be in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`Rng.int: bad bound ${n}`);
    // Rejection sampling on the top of the range keeps every outcome equally likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal by Box–Muller; draws a fresh pair each call so the state stays four words. */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A `() => number` uniform source, for APIs such as `initParams(cfg, rng)`. */
  uniform(): () => number {
    return () => this.next();
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
