// What every request of one download shares: the headers, the resolve URL, and the errors the Hub, network and disk give.
import { ClozeError, errorText } from '../errors';
import type { HubConnection } from './network';

/** The settings of one download's requests, with the connection (proxy routing) they share. */
export interface HubCall {
  readonly endpoint: string;
  readonly token?: string;
  readonly cacheDir: string;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
  /** Resumed attempts after a connection breaks mid-file (default 3). */
  readonly retries?: number;
  readonly net: HubConnection;
}

const USER_AGENT = 'cloze/0.1; hf_hub-protocol';

export function authHeaders(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return { 'user-agent': USER_AGENT, ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

export const resolveUrl = (o: HubCall, repoId: string, sha: string, file: string) =>
  `${o.endpoint}/${repoId}/resolve/${sha}/${file.split('/').map(encodeURIComponent).join('/')}`;

export function networkError(o: HubCall, e: unknown): ClozeError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? errorText(e);
  const proxy = o.net.proxyFor(o.endpoint);
  const via = proxy ? ` through the proxy ${proxy}` : '';
  const check = proxy ? 'Check the proxy (http.proxy in the editor settings, or HTTPS_PROXY / NO_PROXY)' : 'Check the network connection or proxy (http.proxy, or HTTPS_PROXY)';
  return new ClozeError('network', `Cannot reach the Hugging Face Hub at ${o.endpoint}${via} (${why}). ${check}, or set HF_HUB_OFFLINE=1 to use only models already in the cache.`, errorText(e));
}

export function statusError(status: number, repoId: string, what: string, token: string | undefined): ClozeError {
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

export function abortedError(e: unknown, signal: AbortSignal | undefined): ClozeError | undefined {
  if (signal?.aborted || (e as { name?: string }).name === 'AbortError') return new ClozeError('cancelled', 'The download was cancelled; run it again to continue where it stopped.');
  return undefined;
}

export function diskError(e: unknown, dir: string, need: number): ClozeError | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ClozeError('disk-full', `No space left on the disk of the Hugging Face cache (${dir}); the model needs about ${(need / 1e6).toFixed(0)} MB more. Free some space (or set HF_HOME to a larger disk) and download again.`, errorText(e));
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ClozeError('disk-full', `Cannot write to the Hugging Face cache (${dir}): ${code}. Set HF_HOME to a writable folder.`, errorText(e));
  }
  return undefined;
}

