// A run's prepared data (packed training and held-out rows) kept in its folder, so a resume skips re-reading and re-tokenizing the corpus.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeAtomic } from '../core/atomicFile';
import { errorText } from '../core/errors';
import type { PackedSequences } from './packer';
import { DATA_CACHE_FILE } from './runLayout';
import type { Data } from './trainData';

/*
 * Layout: 8 bytes of magic, a u32 (LE) header length, the header as JSON, zero padding to 8, then the payload: the
 * sections the header lists, each at an 8-aligned offset from the payload's start, in the platform's (little-endian)
 * byte order. `sha256` covers the header's other fields and the whole payload, so any damage is found.
 */
const FORMAT = 1;
const MAGIC = Buffer.from('CLOZEPD\n', 'latin1');
const PREFIX = MAGIC.length + 4;
const MAX_HEADER = 1 << 20;
/** Larger data is not cached: one read (fs) and one Buffer stay within 2 GiB. */
export const MAX_DATA_CACHE_BYTES = 2 ** 31 - 1;

type DType = 'int32' | 'uint8';
interface Section {
  readonly name: string;
  readonly dtype: DType;
  /** Bytes from the payload's start. */
  readonly offset: number;
  /** Elements. */
  readonly length: number;
}
interface RowsInfo {
  readonly count: number;
  readonly tokens: number;
}
interface Header {
  readonly format: number;
  readonly key: string;
  readonly endian: 'LE';
  readonly seq: number;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  /** Files the corpus walk left out (for the data summary line). */
  readonly skipped: number;
  readonly dataHash: string;
  readonly train: RowsInfo;
  readonly heldOut: RowsInfo;
  readonly sections: readonly Section[];
  readonly payloadBytes: number;
  readonly sha256: string;
}

/** Prepared data and how many files the walk skipped, as the cache holds them. */
export interface CachedData {
  readonly data: Data;
  readonly skipped: number;
}

/** The fingerprint of the training rows that a checkpoint's cursor keeps: a resume on other rows is not exact. */
export function dataHashOf(train: PackedSequences): string {
  const h = createHash('sha256').update(`${train.seq}\n`);
  h.update(bytesOf(train.ids));
  h.update(bytesOf(train.lengths));
  return h.digest('hex');
}

/**
 * The cached data of `runDir` when it was made under `key`; undefined (after one log line saying why) when there is
 * none, it is stale, or it is damaged in any way: the caller prepares the data again.
 */
export async function loadDataCache(runDir: string, key: string, log: (m: string) => void): Promise<CachedData | undefined> {
  const file = path.join(runDir, DATA_CACHE_FILE);
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log(`the prepared data in ${file} cannot be opened (${errorText(e)}); reading the corpus again`);
    return undefined;
  }
  try {
    const size = (await fh.stat()).size;
    const prefix = await readExactly(fh, 0, PREFIX, size);
    if (!prefix.subarray(0, MAGIC.length).equals(MAGIC)) throw new Damaged('not a prepared-data file');
    const headerBytes = prefix.readUInt32LE(MAGIC.length);
    if (headerBytes > MAX_HEADER) throw new Damaged('header too large');
    const header = parseHeader((await readExactly(fh, PREFIX, headerBytes, size)).toString('utf8'));
    if (header.format !== FORMAT || header.key !== key || header.endian !== os.endianness()) {
      log(`the prepared data in ${file} was made from other files or settings; reading the corpus again`);
      return undefined;
    }
    const start = align8(PREFIX + headerBytes);
    if (start + header.payloadBytes !== size) throw new Damaged(`${size} bytes, ${start + header.payloadBytes} expected`);
    const payload = await readExactly(fh, start, header.payloadBytes, size);
    const { sha256, ...rest } = header;
    if (checksum(rest, [payload]) !== sha256) throw new Damaged('checksum mismatch');
    // The checksum covers the rows and the header's dataHash together: hashing the rows again would only repeat it.
    return { data: assemble(header, payload), skipped: header.skipped };
  } catch (e) {
    log(`the prepared data in ${file} is damaged (${errorText(e)}); reading the corpus again`);
    return undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Saves `data` under `key` in `runDir`, atomically. Returns false (with a log line) when it is larger than `maxBytes`
 * or cannot be written: the cache only saves time, so the run goes on either way.
 */
export async function saveDataCache(runDir: string, key: string, cached: CachedData, log: (m: string) => void, maxBytes = MAX_DATA_CACHE_BYTES): Promise<boolean> {
  const file = path.join(runDir, DATA_CACHE_FILE);
  const { data, skipped } = cached;
  if (os.endianness() !== 'LE') return false;
  const arrays: [string, Int32Array | Uint8Array][] = [
    ['train.ids', data.train.ids], ['train.lengths', data.train.lengths], ['heldOut.ids', data.heldOut.ids],
    ['heldOut.lengths', data.heldOut.lengths], ['train.wordStart', data.train.wordStart], ['heldOut.wordStart', data.heldOut.wordStart],
  ];
  let payloadBytes = 0;
  const sections: Section[] = arrays.map(([name, a]) => {
    const s: Section = { name, dtype: a instanceof Int32Array ? 'int32' : 'uint8', offset: payloadBytes, length: a.length };
    payloadBytes = align8(payloadBytes + a.byteLength);
    return s;
  });
  if (PREFIX + payloadBytes > maxBytes) {
    log(`not caching the prepared data: ${mib(payloadBytes)} is over the ${mib(maxBytes)} limit; a resume reads the corpus again`);
    return false;
  }
  const rows = (p: PackedSequences): RowsInfo => ({ count: p.count, tokens: p.tokens });
  const fields: Omit<Header, 'sha256'> = {
    format: FORMAT, key, endian: 'LE', seq: data.train.seq, trainFiles: data.trainFiles, heldOutFiles: data.heldOutFiles, skipped,
    dataHash: data.dataHash, train: rows(data.train), heldOut: rows(data.heldOut), sections, payloadBytes,
  };
  const parts = arrays.flatMap(([, a]) => [bytesOf(a), new Uint8Array(align8(a.byteLength) - a.byteLength)]);
  const json = Buffer.from(JSON.stringify({ ...fields, sha256: checksum(fields, parts) }), 'utf8');
  const start = align8(PREFIX + json.length);
  if (start + payloadBytes > maxBytes) {
    log(`not caching the prepared data: ${mib(start + payloadBytes)} is over the ${mib(maxBytes)} limit; a resume reads the corpus again`);
    return false;
  }
  const out = Buffer.alloc(start + payloadBytes);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, PREFIX);
  arrays.forEach(([, a], i) => out.set(bytesOf(a), start + sections[i].offset));
  try {
    await removeDataCacheTemps(runDir);
    await writeAtomic(file, out);
  } catch (e) {
    log(`could not save the prepared data in ${file} (${errorText(e)}); a resume reads the corpus again`);
    return false;
  }
  log(`saved the prepared data (${mib(out.length)}) in ${file}: a resume with the same files skips reading and tokenizing them`);
  return true;
}

/**
 * Removes a run folder's cached data (and any temporary file a killed write left), for a run that will not resume.
 * Never throws: a file that cannot be removed is only disk space, not a reason to fail a finished run.
 */
export async function removeDataCache(runDir: string): Promise<void> {
  await fs.rm(path.join(runDir, DATA_CACHE_FILE), { force: true }).catch(() => undefined);
  await removeDataCacheTemps(runDir).catch(() => undefined);
}

/** writeAtomic's temporary files of the cache, left by a process killed while writing (each as large as the data). */
async function removeDataCacheTemps(runDir: string): Promise<void> {
  const names = await fs.readdir(runDir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith(`${DATA_CACHE_FILE}.tmp-`)) await fs.rm(path.join(runDir, n), { force: true });
}

class Damaged extends Error {}

function parseHeader(text: string): Header {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Damaged('the header is not JSON');
  }
  const h = v as Partial<Header>;
  const int = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
  const rowsOk = (r: unknown): boolean => typeof r === 'object' && r !== null && int((r as RowsInfo).count) && int((r as RowsInfo).tokens);
  const ok = typeof v === 'object' && v !== null && typeof h.key === 'string' && typeof h.dataHash === 'string' && typeof h.sha256 === 'string'
    && int(h.format) && int(h.seq) && int(h.trainFiles) && int(h.heldOutFiles) && int(h.skipped) && int(h.payloadBytes)
    && rowsOk(h.train) && rowsOk(h.heldOut) && Array.isArray(h.sections)
    && h.sections.every((s) => typeof s === 'object' && s !== null && typeof s.name === 'string' && (s.dtype === 'int32' || s.dtype === 'uint8') && int(s.offset) && int(s.length));
  if (!ok) throw new Damaged('the header lacks fields');
  return v as Header;
}

/** The packed rows, as views into the payload (no copy): every section checked against the header's counts. */
function assemble(h: Header, payload: Buffer): Data {
  // A fresh read buffer starts on an 8-aligned address; a section view needs its element size's alignment.
  const base = payload.byteOffset % 8 === 0 ? payload : Buffer.from(payload);
  const section = <T extends DType>(name: string, dtype: T, length: number): T extends 'int32' ? Int32Array : Uint8Array => {
    const s = h.sections.find((x) => x.name === name);
    const width = dtype === 'int32' ? 4 : 1;
    if (!s || s.dtype !== dtype || s.length !== length || s.offset % 8 !== 0 || s.offset + length * width > base.length) throw new Damaged(`section ${name} is out of place`);
    const at = base.byteOffset + s.offset;
    return (dtype === 'int32' ? new Int32Array(base.buffer, at, length) : new Uint8Array(base.buffer, at, length)) as T extends 'int32' ? Int32Array : Uint8Array;
  };
  const rows = (set: 'train' | 'heldOut'): PackedSequences => {
    const { count, tokens } = h[set];
    const lengths = section(`${set}.lengths`, 'int32', count);
    let sum = 0;
    for (const n of lengths) sum += n;
    if (sum !== tokens) throw new Damaged(`${set} rows hold ${sum} tokens, ${tokens} expected`);
    return { seq: h.seq, count, tokens, ids: section(`${set}.ids`, 'int32', count * h.seq), wordStart: section(`${set}.wordStart`, 'uint8', count * h.seq), lengths };
  };
  return { train: rows('train'), heldOut: rows('heldOut'), trainFiles: h.trainFiles, heldOutFiles: h.heldOutFiles, dataHash: h.dataHash };
}

function checksum(fields: object, payload: readonly Uint8Array[]): string {
  const h = createHash('sha256').update(JSON.stringify(fields)).update('\n');
  for (const p of payload) h.update(p);
  return h.digest('hex');
}

/** `length` bytes at `position`, or Damaged when the file ends first. */
async function readExactly(fh: FileHandle, position: number, length: number, size: number): Promise<Buffer> {
  if (position + length > size) throw new Damaged(`truncated at ${size} bytes`);
  const buf = Buffer.allocUnsafeSlow(length);
  for (let n = 0; n < length;) {
    const { bytesRead } = await fh.read(buf, n, length - n, position + n);
    if (bytesRead === 0) throw new Damaged(`truncated at ${position + n} bytes`);
    n += bytesRead;
  }
  return buf;
}

function bytesOf(a: Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
