// Downloads the files a fill-mask model needs from the Hugging Face Hub into its cache: verified, resumable, atomic.
// The repository's file list is repoInfo.ts, which files a model needs repoFiles.ts, one file's transfer transfer.ts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClozeError } from '../errors';
import { writeAtomic } from '../atomicFile';
import { cachedSnapshot, linkIntoSnapshot, repoFolder } from './cache';
import { diskError, type HubCall } from './hubHttp';
import { HubConnection } from './network';
import { chooseFiles, SHARD_INDEX, shardNames, type WeightChoice } from './repoFiles';
import { fileMeta, getRepoInfo, type FileMeta, type RepoInfo, type Sibling } from './repoInfo';
import type { HubSettings } from './settings';
import { fetchAll, Meter, sizeOf, verifiedBlob, type DownloadProgress } from './transfer';

export { SHARD_INDEX, shardNames, type WeightChoice } from './repoFiles';
export type { DownloadProgress } from './transfer';

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

  const o: HubCall & DownloadOptions = { ...opts, net: new HubConnection(opts.proxy) };
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

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}
