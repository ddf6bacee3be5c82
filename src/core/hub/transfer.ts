// One file's transfer into the cache's blobs: resumed with a Range request, verified against its size and hash, with progress.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Response } from 'undici';
import { ClozeError, errorText } from '../errors';
import { abortedError, authHeaders, diskError, networkError, resolveUrl, statusError, type HubCall } from './hubHttp';
import type { FileMeta } from './repoInfo';

export interface DownloadProgress {
  readonly file: string;
  /** Bytes of this file on disk so far (resumed bytes included), and its size. */
  readonly fileBytes: number;
  readonly fileTotal: number;
  /** All files of this download: bytes on disk so far and in all. */
  readonly bytes: number;
  readonly total: number;
  /** Bytes per second received in this run. */
  readonly bytesPerSecond: number;
}

/** The hash the blob id is: sha256 of the content (LFS) or git's blob sha1 ("blob <size>\0" + content). */
function newHash(meta: FileMeta): Hash {
  if (meta.etag.length === 64) return createHash('sha256');
  return createHash('sha1').update(`blob ${meta.size}\0`);
}

async function hashFile(file: string, h: Hash, limit?: number): Promise<void> {
  if (limit === 0) return;
  const stream = createReadStream(file, limit === undefined ? {} : { end: limit - 1 });
  for await (const chunk of stream) h.update(chunk as Buffer);
}

export async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return undefined;
  }
}

export async function verifiedBlob(blob: string, meta: FileMeta): Promise<boolean> {
  if ((await sizeOf(blob)) !== meta.size) return false;
  const h = newHash(meta);
  await hashFile(blob, h);
  return h.digest('hex') === meta.etag;
}

export class Meter {
  private received = 0;
  private readonly started = Date.now();
  private lastReport = 0;
  constructor(readonly total: number, private done: number, private readonly onProgress?: (p: DownloadProgress) => void) {}
  add(file: string, fileBytes: number, fileTotal: number, n: number, force = false): void {
    this.received += n;
    this.done += n;
    const now = Date.now();
    if (!this.onProgress || (!force && now - this.lastReport < 100)) return;
    this.lastReport = now;
    const secs = Math.max((now - this.started) / 1000, 1e-3);
    this.onProgress({ file, fileBytes, fileTotal, bytes: this.done, total: this.total, bytesPerSecond: this.received / secs });
  }
  private fileBase = 0;
  /** A new file starts: what is on disk of it counts from here. */
  beginFile(): void {
    this.fileBase = this.done;
  }
  /** An attempt at the current file starts with `have` bytes on disk (a resume counts them once, not per attempt). */
  resumeFile(have: number): void {
    this.done = this.fileBase + have;
  }
  get bytesReceived(): number {
    return this.received;
  }
}

/**
 * Fetches one file into blobs/<etag> through blobs/<etag>.incomplete, resuming that partial file with a Range request;
 * the content must match the size and hash, else the partial file is discarded and the error says so.
 */
async function fetchBlob(repoId: string, url: string, blob: string, meta: FileMeta, o: HubCall, meter: Meter): Promise<void> {
  const partial = `${blob}.incomplete`;
  let have = (await sizeOf(partial)) ?? 0;
  if (have > meta.size) {
    await fs.rm(partial, { force: true });
    have = 0;
  }
  let res: Response;
  try {
    res = await o.net.fetch(url, { headers: authHeaders(o.token, { 'accept-encoding': 'identity', ...(have > 0 ? { range: `bytes=${have}-` } : {}) }), signal: o.signal });
  } catch (e) {
    throw abortedError(e, o.signal) ?? networkError(o, e);
  }
  if (res.status === 416) {
    await res.body?.cancel();
    if (have !== meta.size) {
      // The server has less than we hold: the partial file is not a prefix of this blob.
      await fs.rm(partial, { force: true });
      throw new ClozeError('network', `The download of ${meta.file} broke off: the server refused to resume it; the partial file was discarded.`);
    }
    // Already whole: only the check below remains.
  } else if (res.status === 206 && have > 0) {
    const range = /bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      await res.body?.cancel();
      await fs.rm(partial, { force: true });
      throw new ClozeError('network', `The server resumed ${meta.file} at the wrong offset; the partial file was discarded. Download again.`);
    }
  } else if (res.status === 200) {
    have = 0;
  } else {
    await res.body?.cancel();
    throw statusError(res.status, repoId, `file ${meta.file}`, o.token);
  }
  meter.resumeFile(have);
  const h = newHash(meta);
  await hashFile(partial, h, have);
  if (res.status !== 416 && res.body) {
    const out = await fs.open(partial, have > 0 ? 'a' : 'w');
    let at = have;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        if (at + chunk.length > meta.size) throw new ClozeError('download-corrupt', `${meta.file} is larger than the ${meta.size} bytes the Hub lists; the download was discarded.`);
        await out.write(chunk);
        h.update(chunk);
        at += chunk.length;
        meter.add(meta.file, at, meta.size, chunk.length);
      }
    } catch (e) {
      if (e instanceof ClozeError) {
        await out.close();
        await fs.rm(partial, { force: true });
        throw e;
      }
      throw abortedError(e, o.signal) ?? diskError(e, path.dirname(blob), meta.size - at) ?? new ClozeError('network', `The download of ${meta.file} broke off after ${at} of ${meta.size} bytes (${errorText(e)}). Run the download again: it continues from there.`, errorText(e));
    } finally {
      await out.close().catch(() => undefined);
    }
    meter.add(meta.file, at, meta.size, 0, true);
    if (at !== meta.size) {
      throw new ClozeError('network', `The download of ${meta.file} ended after ${at} of ${meta.size} bytes. Run the download again: it continues from there.`);
    }
  }
  if (h.digest('hex') !== meta.etag) {
    await fs.rm(partial, { force: true });
    throw new ClozeError('download-corrupt', `${meta.file} did not match its checksum from the Hub (${meta.etag.slice(0, 12)}…); the damaged download was deleted. Download again.`);
  }
  await fs.rename(partial, blob);
}

/** Fetches each file's blob, resuming after a broken connection up to `retries` times. */
export async function fetchAll(repoId: string, sha: string, blobs: string, todo: readonly FileMeta[], meter: Meter, o: HubCall): Promise<void> {
  for (const m of todo) {
    const blob = path.join(blobs, m.etag);
    if (await verifiedBlob(blob, m)) continue;
    const url = resolveUrl(o, repoId, sha, m.file);
    meter.beginFile();
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchBlob(repoId, url, blob, m, o, meter);
        break;
      } catch (e) {
        const retry = e instanceof ClozeError && e.code === 'network' && /broke off|ended after/.test(e.userMessage) && attempt < (o.retries ?? 3);
        if (!retry) throw e instanceof ClozeError ? e : diskError(e, o.cacheDir, m.size) ?? e;
        o.log?.(`${m.file}: ${(e as ClozeError).userMessage} Resuming…`);
      }
    }
  }
}
