// What the Hub says about a repository at a revision: its commit, its files, and each file's size and blob id.
import type { Response } from 'undici';
import { ClozeError, errorText } from '../errors';
import { abortedError, authHeaders, networkError, resolveUrl, statusError, type HubCall } from './hubHttp';

export interface Sibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; size?: number };
}

export interface RepoInfo {
  sha: string;
  siblings: Sibling[];
}

export interface FileMeta {
  readonly file: string;
  /** The blob name: the LFS sha256 (64 hex) or the git blob sha1 (40 hex). */
  readonly etag: string;
  readonly size: number;
}

export async function getRepoInfo(repoId: string, revision: string, o: HubCall): Promise<RepoInfo> {
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

/** Size and blob id from the API listing, else from the resolve URL's headers (X-Linked-ETag / ETag, X-Linked-Size). */
export async function fileMeta(repoId: string, sha: string, s: Sibling, o: HubCall): Promise<FileMeta> {
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
