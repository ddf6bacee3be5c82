// Hub downloads in the service: Download Model… asks for one (progress events, LSP cancellation), and a cloze.model
// that names an uncached Hub id is fetched here with the same events, so the editor shows it instead of a silent wait.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import { ClozeError, errorText } from '../core/errors';
import { cachedSnapshot } from '../core/hub/cache';
import { downloadModel, type DownloadResult } from '../core/hub/download';
import { hubSettings } from '../core/hub/settings';
import { parseRepoSpec } from '../protocol/repoId';
import {
  DownloadCancelNotification,
  DownloadEventNotification,
  DownloadRequest,
  type DownloadEvent,
  type DownloadParams,
  type DownloadReply,
  type ServiceSettings,
} from '../protocol';

/** How a download the settings asked for ended. */
export type SettingDownload = { readonly outcome: 'none' | 'done' } | { readonly outcome: 'cancelled' | 'failed'; readonly error: ClozeError };

export class HubDownloads {
  /** Downloads the service started for the settings, by id, so the client can cancel them. */
  private readonly ownAborts = new Map<string, AbortController>();
  /** One download per model spec at a time: a second configure for the same id waits for the first. */
  private readonly forSpec = new Map<string, Promise<SettingDownload>>();
  private seq = 0;

  constructor(private readonly connection: Connection, private readonly log: (message: string) => void) {
    connection.onRequest(DownloadRequest, (p, token) => this.request(p, token));
    connection.onNotification(DownloadCancelNotification, ({ id }) => this.ownAborts.get(id)?.abort());
  }

  private send(e: DownloadEvent): void {
    void this.connection.sendNotification(DownloadEventNotification, e);
  }

  /** Runs one download with start / progress / end events. */
  private async run(id: string, origin: DownloadEvent['origin'], p: Omit<DownloadParams, 'id'>, signal: AbortSignal): Promise<DownloadResult> {
    const hub = { ...hubSettings(), proxy: p.proxy };
    this.log(`Downloading ${p.repoId}@${p.revision ?? 'main'} from ${hub.endpoint} into ${hub.cacheDir}${origin === 'setting' ? ' (cloze.model names it)' : ''}`);
    this.send({ id, repoId: p.repoId, kind: 'start', origin });
    try {
      const r = await downloadModel(p.repoId, {
        ...hub,
        revision: p.revision,
        weights: p.weights,
        signal,
        log: this.log,
        onProgress: (progress) => this.send({ id, repoId: p.repoId, kind: 'progress', origin, progress }),
      });
      this.log(`Downloaded ${r.repoId}@${r.sha} (${r.files.join(', ')}; ${r.downloadedBytes} bytes fetched${r.fromCache ? ', from the cache' : ''}) to ${r.dir}`);
      this.send({ id, repoId: p.repoId, kind: 'end', origin });
      return r;
    } catch (e) {
      const err = e instanceof ClozeError ? e : new ClozeError('network', `The download of ${p.repoId} failed: ${errorText(e)}`, errorText(e));
      this.log(`Download of ${p.repoId} ${err.code === 'cancelled' ? 'cancelled' : `failed: ${err.message}`}`);
      this.send({ id, repoId: p.repoId, kind: 'end', origin, error: err.userMessage, cancelled: err.code === 'cancelled' });
      throw err;
    }
  }

  /** DownloadRequest: the reply is the snapshot; an LSP cancellation aborts the transfer (the partial file stays). */
  private async request(p: DownloadParams, token: CancellationToken): Promise<DownloadReply> {
    if (!parseRepoSpec(p.revision ? `${p.repoId}@${p.revision}` : p.repoId)) {
      throw new ResponseError(1, `"${p.repoId}" is not a Hub model id; write it as organization/name (e.g. FacebookAI/roberta-base).`, { code: 'model-missing' });
    }
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const r = await this.run(p.id, 'request', p, abort.signal);
      return { repoId: r.repoId, sha: r.sha, dir: r.dir, files: r.files, downloadedBytes: r.downloadedBytes, fromCache: r.fromCache };
    } catch (e) {
      const err = e as ClozeError;
      throw new ResponseError(1, err.userMessage, { code: err.code });
    } finally {
      sub.dispose();
    }
  }

  /**
   * When the settings name a Hub id that is neither a folder nor in the cache (and downloads are allowed), downloads
   * it here with events, before the model host loads it. Errors are returned, not thrown: the caller decides.
   */
  fetchConfigured(settings: ServiceSettings): Promise<SettingDownload> {
    const spec = (settings.trainedModel || settings.model || '').trim();
    const repo = parseRepoSpec(spec);
    if (!repo || existsSync(path.resolve(spec))) return Promise.resolve({ outcome: 'none' });
    const running = this.forSpec.get(spec);
    if (running) return running;
    const job = (async (): Promise<SettingDownload> => {
      const hub = hubSettings();
      if (hub.offline || (await cachedSnapshot(hub.cacheDir, repo.repoId, repo.revision))) return { outcome: 'none' };
      const id = `setting-${process.pid}-${++this.seq}`;
      const abort = new AbortController();
      this.ownAborts.set(id, abort);
      try {
        await this.run(id, 'setting', { repoId: repo.repoId, revision: repo.revision, proxy: settings.proxy }, abort.signal);
        return { outcome: 'done' };
      } catch (e) {
        const error = e as ClozeError;
        return { outcome: error.code === 'cancelled' ? 'cancelled' : 'failed', error };
      } finally {
        this.ownAborts.delete(id);
      }
    })();
    this.forSpec.set(spec, job);
    void job.finally(() => this.forSpec.delete(spec));
    return job;
  }
}
