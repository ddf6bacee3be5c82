// Downloads the files a fill-mask model needs from the Hugging Face Hub into its cache: verified, resumable, atomic.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { ClozeError, errorText } from '../errors';
import { cachedSnapshot, linkIntoSnapshot, repoFolder, writeAtomic } from './cache';
import type { Response } from 'undici';
import { HubConnection } from './network';
import type { HubSettings } from './settings';

/** Which weights to fetch: `auto` takes model.safetensors, else an ONNX export. */
export type WeightChoice = 'auto' | 'safetensors' | 'onnx' | 'quantized';

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

export interface DownloadOptions extends HubSettings {
  readonly revision?: string;
  readonly weights?: WeightChoice;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
  /** Resumed attempts after a connection breaks mid-file (default 3). */
  readonly retries?: number;
}

export interface DownloadResult {
  readonly repoId: string;
  readonly revision: string;
  readonly sha: string;
  /** The snapshot folder: load it as a model folder. */
  readonly dir: string;
  readonly files: readonly string[];
  /** Bytes fetched over the network in this call. */
  readonly downloadedBytes: number;
  /** True when the Hub could not be asked (offline) and the cached snapshot was used. */
  readonly fromCache: boolean;
}

/** The options plus the connection (proxy routing) this download's requests share. */
type Net = DownloadOptions & { readonly net: HubConnection };

interface Sibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; size?: number };
}

interface RepoInfo {
  sha: string;
  siblings: Sibling[];
}

interface FileMeta {
  readonly file: string;
  /** The blob name: the LFS sha256 (64 hex) or the git blob sha1 (40 hex). */
  readonly etag: string;
  readonly size: number;
}

/** Tokenizer and config files fetched when the repository has them. */
const SMALL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/** Sharded safetensors: this index maps each tensor to one of the model-0000i-of-0000n.safetensors files. */
export const SHARD_INDEX = 'model.safetensors.index.json';

const WEIGHT_ORDER: Record<WeightChoice, string[]> = {
  auto: ['model.safetensors', SHARD_INDEX, 'onnx/model.onnx', 'model.onnx', 'onnx/model_quantized.onnx'],
  safetensors: ['model.safetensors', SHARD_INDEX],
  onnx: ['onnx/model.onnx', 'model.onnx'],
  quantized: ['onnx/model_quantized.onnx'],
};

const USER_AGENT = 'cloze/0.1; hf_hub-protocol';

/** The files of `siblings` this model needs, or a ClozeError saying what is missing. */
export function chooseFiles(repoId: string, names: readonly string[], weights: WeightChoice = 'auto'): string[] {
  const has = new Set(names);
  if (!has.has('config.json')) {
    throw new ClozeError('model-corrupt', `${repoId} has no config.json, so it is not a transformers model Cloze can load.`);
  }
  const weight = WEIGHT_ORDER[weights].find((w) => has.has(w));
  if (!weight) {
    const present = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', ...WEIGHT_ORDER.auto].filter((w) => has.has(w));
    const wanted = WEIGHT_ORDER[weights].join(' or ');
    throw new ClozeError('model-corrupt', `${repoId} has no ${wanted}${present.length ? ` (it has ${present.join(', ')})` : ''}. Cloze reads model.safetensors or an ONNX export${weights === 'auto' ? '' : '; try another --weights choice'}.`);
  }
  const files = SMALL_FILES.filter((f) => has.has(f));
  files.push(weight);
  // ONNX exports over 2 GB keep their weights in a side file.
  if (weight.endsWith('.onnx') && has.has(`${weight}_data`)) files.push(`${weight}_data`);
  return files;
}

function authHeaders(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { 'user-agent': USER_AGENT, ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

function networkError(o: Net, e: unknown): ClozeError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? errorText(e);
  const proxy = o.net.proxyFor(o.endpoint);
  const via = proxy ? ` through the proxy ${proxy}` : '';
  const check = proxy ? 'Check the proxy (http.proxy in the editor settings, or HTTPS_PROXY / NO_PROXY)' : 'Check the network connection or proxy (http.proxy, or HTTPS_PROXY)';
  return new ClozeError('network', `Cannot reach the Hugging Face Hub at ${o.endpoint}${via} (${why}). ${check}, or set HF_HUB_OFFLINE=1 to use only models already in the cache.`, errorText(e));
}

function statusError(status: number, repoId: string, what: string, token: string | undefined): ClozeError {
  if (status === 401 || status === 403) {
    return new ClozeError('hub-auth', token
      ? `The Hub refused ${what} of ${repoId} (HTTP ${status}) with your token: the model may be gated (accept its terms on its Hub page) or the token may lack read access. Check HF_TOKEN.`
      : `The Hub refused ${what} of ${repoId} (HTTP ${status}): the model is private, gated or does not exist. For a gated or private model create a read token at https://huggingface.co/settings/tokens and set HF_TOKEN in the environment VS Code or the terminal starts from (or run huggingface-cli login).`);
  }
  if (status === 404) {
    return new ClozeError('hub-not-found', what === 'the model'
      ? `There is no model ${repoId} on the Hub. Check the id (organization/name, as on the model's page).`
      : `${repoId} on the Hub has no ${what}. Check the id and the revision.`);
  }
  return new ClozeError('network', `The Hub answered HTTP ${status} for ${what} of ${repoId}; try again later.`);
}

function abortedError(e: unknown, signal: AbortSignal | undefined): ClozeError | undefined {
  if (signal?.aborted || (e as { name?: string }).name === 'AbortError') return new ClozeError('cancelled', 'The download was cancelled; run it again to continue where it stopped.');
  return undefined;
}

async function getRepoInfo(repoId: string, revision: string, o: Net): Promise<RepoInfo> {
  const url = `${o.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let res: Response;
  try {
    res = await o.net.fetch(url, { headers: authHeaders(o.token), signal: o.signal });
  } catch (e) {
    throw abortedError(e, o.signal) ?? networkError(o, e);
  }
  if (!res.ok) throw statusError(res.status, repoId, revision === 'main' ? 'the model' : `revision ${revision}`, o.token);
  let body: unknown;
  try {
    body = await res.json();
  } catch (e) {
    throw new ClozeError('network', `The Hub's answer about ${repoId} is not JSON; is HF_ENDPOINT (${o.endpoint}) a Hugging Face Hub?`, errorText(e));
  }
  const info = body as Partial<RepoInfo>;
  if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha) || !Array.isArray(info.siblings)) {
    throw new ClozeError('network', `The Hub's answer about ${repoId} has no commit sha or file list; is HF_ENDPOINT (${o.endpoint}) a Hugging Face Hub?`);
  }
  return { sha: info.sha, siblings: info.siblings.filter((s): s is Sibling => !!s && typeof s.rfilename === 'string') };
}

const resolveUrl = (o: DownloadOptions, repoId: string, sha: string, file: string) =>
  `${o.endpoint}/${repoId}/resolve/${sha}/${file.split('/').map(encodeURIComponent).join('/')}`;

/** Size and blob id from the API listing, else from the resolve URL's headers (X-Linked-ETag / ETag, X-Linked-Size). */
async function fileMeta(repoId: string, sha: string, s: Sibling, o: Net): Promise<FileMeta> {
  const lfs = s.lfs;
  if (lfs?.sha256 && typeof lfs.size === 'number') return { file: s.rfilename, etag: lfs.sha256, size: lfs.size };
  if (s.blobId && typeof s.size === 'number') return { file: s.rfilename, etag: s.blobId, size: s.size };
  let res: Response;
  try {
    res = await o.net.fetch(resolveUrl(o, repoId, sha, s.rfilename), { method: 'HEAD', redirect: 'manual', headers: authHeaders(o.token, { 'accept-encoding': 'identity' }), signal: o.signal });
  } catch (e) {
    throw abortedError(e, o.signal) ?? networkError(o, e);
  }
  if (res.status >= 400) throw statusError(res.status, repoId, `file ${s.rfilename}`, o.token);
  const etag = (res.headers.get('x-linked-etag') ?? res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
  const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag) || !Number.isFinite(size)) {
    throw new ClozeError('network', `The Hub gave no checksum for ${repoId}/${s.rfilename}, so the download cannot be verified.`);
  }
  return { file: s.rfilename, etag, size };
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

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return undefined;
  }
}

async function verifiedBlob(blob: string, meta: FileMeta): Promise<boolean> {
  if ((await sizeOf(blob)) !== meta.size) return false;
  const h = newHash(meta);
  await hashFile(blob, h);
  return h.digest('hex') === meta.etag;
}

function diskError(e: unknown, dir: string, need: number): ClozeError | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ClozeError('disk-full', `No space left on the disk of the Hugging Face cache (${dir}); the model needs about ${(need / 1e6).toFixed(0)} MB more. Free some space (or set HF_HOME to a larger disk) and download again.`, errorText(e));
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ClozeError('disk-full', `Cannot write to the Hugging Face cache (${dir}): ${code}. Set HF_HOME to a writable folder.`, errorText(e));
  }
  return undefined;
}

class Meter {
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
async function fetchBlob(repoId: string, url: string, blob: string, meta: FileMeta, o: Net, meter: Meter): Promise<void> {
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

/**
 * Downloads `repoId` at `opts.revision` (default main) into the Hugging Face cache and returns its snapshot folder.
 * Blobs already present are checked (size and hash) and re-fetched when damaged. Offline (HF_HUB_OFFLINE, or the Hub
 * cannot be reached) the cached snapshot is returned when there is one.
 */
export async function downloadModel(repoId: string, opts: DownloadOptions): Promise<DownloadResult> {
  const revision = opts.revision ?? 'main';
  const repoDir = repoFolder(opts.cacheDir, repoId);
  const fromCache = async (why: ClozeError | undefined): Promise<DownloadResult> => {
    const dir = await cachedSnapshot(opts.cacheDir, repoId, revision);
    if (!dir) {
      throw why ?? new ClozeError('model-missing', `${repoId}@${revision} is not in the Hugging Face cache (${opts.cacheDir}) and HF_HUB_OFFLINE is set; unset it to download the model.`);
    }
    opts.log?.(`Using the cached ${repoId}@${revision} (${why ? why.userMessage : 'HF_HUB_OFFLINE is set'})`);
    const files = await listFiles(dir);
    return { repoId, revision, sha: path.basename(dir), dir, files, downloadedBytes: 0, fromCache: true };
  };
  if (opts.offline) return fromCache(undefined);

  const o: Net = { ...opts, net: new HubConnection(opts.proxy) };
  const via = o.net.proxyFor(opts.endpoint);
  if (via) opts.log?.(`Reaching ${opts.endpoint} through the proxy ${via}`);
  try {
    let info: RepoInfo;
    try {
      info = await getRepoInfo(repoId, revision, o);
    } catch (e) {
      if (e instanceof ClozeError && e.code === 'network') return await fromCache(e);
      throw e;
    }
    const blobs = path.join(repoDir, 'blobs');
    try {
      await fs.mkdir(blobs, { recursive: true });
    } catch (e) {
      throw diskError(e, opts.cacheDir, 0) ?? e;
    }
    const sibling = (f: string): Sibling => {
      const s = info.siblings.find((x) => x.rfilename === f);
      if (!s) throw new ClozeError('download-corrupt', `${repoId}'s file list has no ${f}, which its model.safetensors.index.json names; the repository is incomplete.`);
      return s;
    };
    const files = chooseFiles(repoId, info.siblings.map((s) => s.rfilename), opts.weights);
    const metas: FileMeta[] = [];
    for (const f of files) metas.push(await fileMeta(repoId, info.sha, sibling(f), o));
    // Sharded weights: the index names the shards; it is small, so it is fetched first to learn them.
    const index = metas.find((m) => m.file === SHARD_INDEX);
    if (index) {
      await fetchAll(repoId, info.sha, blobs, [index], new Meter(index.size, 0), o);
      const shards = shardNames(await fs.readFile(path.join(blobs, index.etag), 'utf8'), repoId);
      for (const f of shards) {
        files.push(f);
        metas.push(await fileMeta(repoId, info.sha, sibling(f), o));
      }
    }

    // Which blobs are missing or damaged; what remains to fetch must fit on the disk.
    const todo: FileMeta[] = [];
    let total = 0;
    for (const m of metas) {
      total += m.size;
      const blob = path.join(blobs, m.etag);
      if (await verifiedBlob(blob, m)) continue;
      if ((await sizeOf(blob)) !== undefined) {
        opts.log?.(`${m.file}: the cached blob is damaged (size or checksum); fetching it again`);
        await fs.rm(blob, { force: true });
      }
      todo.push(m);
    }
    const need = todo.reduce((a, m) => a + m.size, 0);
    try {
      const st = await fs.statfs(blobs);
      if (st.bavail * st.bsize < need) throw Object.assign(new Error('ENOSPC: not enough free space'), { code: 'ENOSPC' });
    } catch (e) {
      const d = diskError(e, opts.cacheDir, need);
      if (d && (e as NodeJS.ErrnoException).code === 'ENOSPC') throw d;
    }

    const meter = new Meter(total, total - need, opts.onProgress);
    await fetchAll(repoId, info.sha, blobs, todo, meter, o);
    // The index last: a snapshot that shows it has all its shards.
    const snapshot = path.join(repoDir, 'snapshots', info.sha);
    for (const m of [...metas.filter((x) => x !== index), ...(index ? [index] : [])]) await linkIntoSnapshot(path.join(blobs, m.etag), path.join(snapshot, ...m.file.split('/')));
    if (revision !== info.sha) await writeAtomic(path.join(repoDir, 'refs', ...revision.split('/')), info.sha);
    return { repoId, revision, sha: info.sha, dir: snapshot, files, downloadedBytes: meter.bytesReceived, fromCache: false };
  } finally {
    await o.net.close();
  }
}

/** Fetches each file's blob, resuming after a broken connection up to `retries` times. */
async function fetchAll(repoId: string, sha: string, blobs: string, todo: readonly FileMeta[], meter: Meter, o: Net): Promise<void> {
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

/** The shard files a model.safetensors.index.json names (its weight_map values), in order. */
export function shardNames(indexJson: string, repoId: string): string[] {
  let map: unknown;
  try {
    map = (JSON.parse(indexJson) as { weight_map?: unknown }).weight_map;
  } catch {
    map = undefined;
  }
  const names = map && typeof map === 'object' ? [...new Set(Object.values(map as Record<string, unknown>))] : [];
  if (!names.length || !names.every((n): n is string => typeof n === 'string' && /^[\w.-]+\.safetensors$/.test(n))) {
    throw new ClozeError('model-corrupt', `${repoId}'s ${SHARD_INDEX} has no usable weight_map (shard file names); the repository is damaged.`);
  }
  return (names as string[]).sort();
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}
