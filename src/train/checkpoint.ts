// Saves and loads training state as one self-checking file, written so that a crash at any instant leaves the previous checkpoint whole.
import { promises as fs } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ClozeError, errorText } from '../core/errors';
import { syncDir } from '../core/paths';
import { writeFailure } from './diskErrors';
import type { RngState } from './rng';

/**
 * File layout (little-endian):
 *   "CLOZECK1" | u32 header length H | H bytes of JSON header | zero padding to a multiple of 8 |
 *   tensor data (float32, in header order) | SHA-256 of header JSON + tensor data (32 bytes) | "CLOZEEND"
 * The trailer is written last, so a file cut short anywhere fails the check instead of loading half a model.
 */
const MAGIC = Buffer.from('CLOZECK1', 'ascii');
const END = Buffer.from('CLOZEEND', 'ascii');
const FORMAT = 1;

export type TensorMap = Map<string, Float32Array>;

/** Where the data pipeline stands: enough to produce exactly the batches that would have come next. */
export interface DataCursor {
  /** Completed passes over the training rows. */
  readonly epoch: number;
  /** Next row index within the epoch's shuffled order. */
  readonly offset: number;
  /** Fingerprint of the training rows, to tell whether a resume sees the same data. */
  readonly dataHash: string;
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainingCheckpoint<Config extends object = object, Hyper extends object = object> {
  /** Optimizer steps completed. */
  readonly step: number;
  readonly config: Config;
  readonly hyper: Hyper;
  readonly cursor: DataCursor;
  /** Masking RNG, positioned for the next batch. */
  readonly rng: RngState;
  readonly params: TensorMap;
  /** AdamW first and second moments, same names as params. */
  readonly m: TensorMap;
  readonly v: TensorMap;
  /** Anything else the trainer wants back on resume (history, provenance); JSON-serializable. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

interface TensorEntry {
  readonly group: 'p' | 'm' | 'v';
  readonly name: string;
  readonly length: number;
}

interface Header {
  readonly format: number;
  readonly step: number;
  readonly config: object;
  readonly hyper: object;
  readonly cursor: DataCursor;
  readonly rng: RngState;
  readonly extra: Record<string, unknown>;
  readonly tensors: TensorEntry[];
  readonly savedAt: string;
}

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new ClozeError('checkpoint-corrupt', 'Checkpoints are little-endian; this machine is big-endian and cannot read or write them.');
}

/**
 * Writes the checkpoint atomically: a temp file beside the target is written and fsynced, renamed over the
 * target (rename is atomic on one filesystem), and the folder is fsynced so the rename itself is durable. Until
 * the rename, the previous checkpoint is untouched.
 */
export async function saveCheckpoint(file: string, ck: TrainingCheckpoint): Promise<void> {
  try {
    await writeCheckpoint(file, ck);
  } catch (e) {
    // A full disk or a read-only folder is the user's to fix, not a crash: say so (the old checkpoint is untouched).
    throw writeFailure(e, 'checkpoint', path.resolve(file), 'the previous checkpoint is');
  }
}

async function writeCheckpoint(file: string, ck: TrainingCheckpoint): Promise<void> {
  assertLittleEndian();
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  await fs.mkdir(dir, { recursive: true });

  const tensors: TensorEntry[] = [];
  const arrays: Float32Array[] = [];
  for (const [group, map] of [['p', ck.params], ['m', ck.m], ['v', ck.v]] as const) {
    for (const [name, arr] of [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      tensors.push({ group, name, length: arr.length });
      arrays.push(arr);
    }
  }
  const header: Header = {
    format: FORMAT,
    step: ck.step,
    config: ck.config,
    hyper: ck.hyper,
    cursor: ck.cursor,
    rng: ck.rng,
    extra: { ...(ck.extra ?? {}) },
    tensors,
    savedAt: new Date().toISOString(),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const lead = Buffer.alloc(align8(MAGIC.length + 4 + headerBytes.length));
  MAGIC.copy(lead, 0);
  lead.writeUInt32LE(headerBytes.length, MAGIC.length);
  headerBytes.copy(lead, MAGIC.length + 4);

  const tmp = `${abs}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const hash = createHash('sha256').update(headerBytes);
  const fh = await fs.open(tmp, 'w');
  try {
    await writeAll(fh, lead);
    for (const a of arrays) {
      const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      hash.update(bytes);
      await writeAll(fh, bytes);
    }
    await writeAll(fh, Buffer.concat([hash.digest(), END]));
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fs.rename(tmp, abs);
  await syncDir(dir);
  await removeStaleTemps(abs);
}

/** Loads and verifies a checkpoint; any damage is a ClozeError('checkpoint-corrupt') naming the file. */
export async function loadCheckpoint(file: string): Promise<TrainingCheckpoint> {
  assertLittleEndian();
  const abs = path.resolve(file);
  let buf: Buffer;
  try {
    buf = await fs.readFile(abs);
  } catch (e) {
    throw new ClozeError('checkpoint-missing', `No checkpoint at ${abs}. Start without --resume, or point --out at the folder of the run to continue.`, errorText(e));
  }
  const corrupt = (why: string): ClozeError =>
    new ClozeError('checkpoint-corrupt', `The checkpoint ${abs} is damaged (${why}). Delete it to start over, or restore it from a backup.`);
  if (buf.length < MAGIC.length + 4 + 40 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('not a Cloze checkpoint');
  if (!buf.subarray(buf.length - END.length).equals(END)) throw corrupt('truncated: end marker missing');
  const hLen = buf.readUInt32LE(MAGIC.length);
  const hStart = MAGIC.length + 4;
  if (hStart + hLen > buf.length - 40) throw corrupt('header runs past the end');
  const headerBytes = buf.subarray(hStart, hStart + hLen);
  let header: Header;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as Header;
  } catch (e) {
    throw corrupt(`header is not JSON: ${errorText(e)}`);
  }
  if (header.format !== FORMAT) throw corrupt(`format ${String(header.format)}, this version reads ${FORMAT}`);
  const dataStart = align8(hStart + hLen);
  const dataBytes = header.tensors.reduce((n, t) => n + 4 * t.length, 0);
  if (dataStart + dataBytes + 40 !== buf.length) throw corrupt(`size ${buf.length} does not match the header (${dataStart + dataBytes + 40})`);
  const digest = createHash('sha256').update(headerBytes).update(buf.subarray(dataStart, dataStart + dataBytes)).digest();
  if (!digest.equals(buf.subarray(dataStart + dataBytes, dataStart + dataBytes + 32))) throw corrupt('checksum mismatch');

  const groups: Record<'p' | 'm' | 'v', TensorMap> = { p: new Map(), m: new Map(), v: new Map() };
  let off = dataStart;
  for (const t of header.tensors) {
    // Copy out so each tensor owns an aligned buffer and the file buffer can be freed.
    const arr = new Float32Array(t.length);
    new Uint8Array(arr.buffer).set(buf.subarray(off, off + 4 * t.length));
    groups[t.group].set(t.name, arr);
    off += 4 * t.length;
  }
  return {
    step: header.step,
    config: header.config,
    hyper: header.hyper,
    cursor: header.cursor,
    rng: header.rng,
    params: groups.p,
    m: groups.m,
    v: groups.v,
    extra: header.extra,
  };
}

/** True when a checkpoint file exists (damaged or not). */
export async function checkpointExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

async function writeAll(fh: fs.FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/** Temp files left by writers that were killed mid-write; ours was renamed away already. */
async function removeStaleTemps(abs: string): Promise<void> {
  const dir = path.dirname(abs);
  const prefix = `${path.basename(abs)}.tmp-`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (pid !== process.pid && isAlive(pid)) continue; // another live writer's file
    await fs.rm(path.join(dir, n), { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
