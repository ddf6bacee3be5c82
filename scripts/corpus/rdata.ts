// Reads the character vectors of an R package's lazy-load data (data/Rdata.rdx + Rdata.rdb): how Debian ships texts
// such as Jane Austen's novels (r-cran-janeaustenr). Only what such data uses of R's XDR serialization is read.
import { gunzipSync, inflateSync } from 'node:zlib';

type RValue = null | string | RValue[] | number[] | { readonly sym: string } | RPairs;
interface RPairs { readonly pairs: { tag?: string; value: RValue }[] }

const NILVALUE = 254, REFSXP = 255, GLOBALENV = 253, EMPTYENV = 242, BASEENV = 241, MISSINGARG = 251, UNBOUNDVALUE = 252, BASENAMESPACE = 247;
const SYMSXP = 1, LISTSXP = 2, CHARSXP = 9, LGLSXP = 10, INTSXP = 13, REALSXP = 14, STRSXP = 16, VECSXP = 19;
const NA_INT = -2147483648;

/** One serialized object (`X\n`, XDR, format 2 or 3). */
class Reader {
  private at = 0;
  private readonly refs: RValue[] = [];
  constructor(private readonly b: Buffer, private readonly what: string) {}

  object(): RValue {
    if (this.b.subarray(0, 2).toString('latin1') !== 'X\n') throw new Error(`${this.what}: not R's XDR serialization`);
    this.at = 2;
    const version = this.int();
    this.int(); // R version that wrote it
    this.int(); // oldest R that reads it
    if (version === 3) {
      const n = this.int(); // the native encoding's name
      this.at += n;
    } else if (version !== 2) throw new Error(`${this.what}: serialization format ${version}`);
    return this.item();
  }

  private int(): number {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }

  private item(): RValue {
    const flags = this.int();
    const type = flags & 0xff;
    const hasAttr = (flags & (1 << 9)) !== 0;
    const hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case NILVALUE: case GLOBALENV: case EMPTYENV: case BASEENV: case MISSINGARG: case UNBOUNDVALUE: case BASENAMESPACE:
        return null;
      case REFSXP: {
        const index = flags >> 8 || this.int();
        return this.refs[index - 1];
      }
      case SYMSXP: {
        const sym = { sym: String(this.item()) };
        this.refs.push(sym);
        return sym;
      }
      case LISTSXP: {
        const pairs: RPairs['pairs'] = [];
        let f = flags;
        for (;;) {
          if (((f >> 9) & 1) !== 0) this.item();
          const tag = ((f >> 10) & 1) !== 0 ? (this.item() as { sym: string } | null)?.sym : undefined;
          pairs.push({ tag, value: this.item() });
          f = this.int();
          if ((f & 0xff) !== LISTSXP) {
            if ((f & 0xff) !== NILVALUE) throw new Error(`${this.what}: a pairlist ends in type ${f & 0xff}`);
            break;
          }
        }
        return { pairs };
      }
      case CHARSXP: {
        const n = this.int();
        if (n === -1) return null;
        const s = this.b.toString('utf8', this.at, this.at + n);
        this.at += n;
        return s;
      }
      case LGLSXP: case INTSXP: {
        const n = this.int();
        const v: number[] = [];
        for (let i = 0; i < n; i++) v.push(this.int());
        return this.attrs(hasAttr, v.map((x) => (x === NA_INT ? NaN : x)));
      }
      case REALSXP: {
        const n = this.int();
        const v: number[] = [];
        for (let i = 0; i < n; i++, this.at += 8) v.push(this.b.readDoubleBE(this.at));
        return this.attrs(hasAttr, v);
      }
      case STRSXP: case VECSXP: {
        const n = this.int();
        const v: RValue[] = [];
        for (let i = 0; i < n; i++) v.push(this.item());
        return this.attrs(hasAttr, v);
      }
      default:
        throw new Error(`${this.what}: R object type ${type}${hasTag ? ' (tagged)' : ''} is not read here`);
    }
  }

  /** Attributes are read (to keep the position) and only `names` is kept, as a property of the array. */
  private attrs<T extends RValue[] | number[]>(has: boolean, v: T): T {
    if (!has) return v;
    const a = this.item() as RPairs;
    const names = a.pairs.find((p) => p.tag === 'names')?.value;
    if (Array.isArray(names)) Object.defineProperty(v, 'names', { value: names, enumerable: false });
    return v;
  }
}

function namesOf(v: RValue): string[] {
  return ((v as unknown as { names?: unknown[] }).names ?? []).map(String);
}

/** The named character vectors of a lazy-load database, each as its lines (NA lines dropped). */
export function readLazyLoadStrings(rdx: Buffer, rdb: Buffer, what: string): Map<string, string[]> {
  const index = new Reader(gunzipSync(rdx), `${what}.rdx`).object() as RValue[];
  const variables = index[0] as RValue[];
  const out = new Map<string, string[]>();
  namesOf(variables).forEach((name, i) => {
    const [offset, length] = variables[i] as number[];
    const blob = rdb.subarray(offset, offset + length);
    // Each entry: its uncompressed length (4 bytes, big-endian), then a zlib stream.
    const value = new Reader(inflateSync(blob.subarray(4)), `${what}.rdb:${name}`).object();
    if (Array.isArray(value) && value.every((x) => x === null || typeof x === 'string')) out.set(name, (value as (string | null)[]).filter((x): x is string => x !== null));
  });
  return out;
}
