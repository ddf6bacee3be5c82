// Cloze: Download Model… — pick a fill-mask model from the Hugging Face Hub, download it in the service with progress, select it.
import * as vscode from 'vscode';
import { parseRepoSpec } from '../protocol/repoId';
import type { DownloadProgress, DownloadReply, WeightChoice } from '../protocol';
import type { ServiceClient } from './service';
import { proxySettings } from './settings';

export interface RecommendedModel {
  readonly id: string;
  readonly about: string;
  /** Download size, as the Hub lists the weight file. */
  readonly size: string;
  readonly licence: string;
  readonly weights?: WeightChoice;
}

/** Fill-mask models Cloze runs (BERT / RoBERTa / DistilBERT architectures), small first. */
export const RECOMMENDED: readonly RecommendedModel[] = [
  { id: 'distilbert/distilroberta-base', about: 'English, 6-layer RoBERTa: fast, good default', size: '≈ 330 MB', licence: 'Apache-2.0' },
  { id: 'distilbert/distilbert-base-uncased', about: 'English DistilBERT, lower-cased: small and fast', size: '≈ 270 MB', licence: 'Apache-2.0' },
  { id: 'FacebookAI/roberta-base', about: 'English RoBERTa, 12 layers', size: '≈ 500 MB', licence: 'MIT' },
  { id: 'google-bert/bert-base-uncased', about: 'English BERT, lower-cased', size: '≈ 440 MB', licence: 'Apache-2.0' },
  { id: 'google-bert/bert-base-cased', about: 'English BERT, keeps case', size: '≈ 435 MB', licence: 'Apache-2.0' },
  { id: 'google-bert/bert-base-multilingual-cased', about: '104 languages, BERT', size: '≈ 715 MB', licence: 'Apache-2.0' },
  { id: 'FacebookAI/xlm-roberta-base', about: '100 languages, RoBERTa', size: '≈ 1.1 GB', licence: 'MIT' },
];

/** What tests and other extensions can pass to skip the quick pick. */
export interface DownloadArg {
  readonly repoId: string;
  readonly weights?: WeightChoice;
}

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(0, Math.round(n / 1e3))} kB`;
}

async function pickModel(): Promise<DownloadArg | undefined> {
  type Item = vscode.QuickPickItem & { arg?: DownloadArg };
  const items: Item[] = RECOMMENDED.map((m) => ({ label: m.id, description: `${m.size} · ${m.licence}`, detail: m.about, arg: { repoId: m.id, weights: m.weights } }));
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Cloze: Download Model from the Hugging Face Hub';
  qp.placeholder = 'Pick a fill-mask model, or type any Hub id (organization/name[@revision])';
  qp.matchOnDescription = true;
  qp.items = items;
  qp.onDidChangeValue((v) => {
    const typed = v.trim();
    const spec = parseRepoSpec(typed);
    const known = items.some((i) => i.label === typed);
    qp.items = spec && !known ? [{ label: typed, description: 'Hub id', detail: 'Download this model (BERT, RoBERTa or DistilBERT fill-mask checkpoints with model.safetensors, or ONNX)', arg: { repoId: typed }, alwaysShow: true }, ...items] : items;
  });
  const picked = await new Promise<DownloadArg | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0]?.arg ?? (parseRepoSpec(qp.value) ? { repoId: qp.value.trim() } : undefined);
      resolve(sel);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return picked;
}

function progressText(p: DownloadProgress): string {
  return `${p.file} — ${bytes(p.bytes)} of ${bytes(p.total)} at ${bytes(p.bytesPerSecond)}/s`;
}

/** Feeds a progress notification from the service's events for download `id`. */
function reporter(progress: vscode.Progress<{ message?: string; increment?: number }>): (p: DownloadProgress) => void {
  let shown = 0;
  return (p) => {
    const pct = p.total > 0 ? (100 * p.bytes) / p.total : 0;
    progress.report({ message: progressText(p), increment: Math.max(0, pct - shown) });
    shown = Math.max(shown, pct);
  };
}

let downloads = 0;

/**
 * Downloads the model (from the arg, else the quick pick) in the service, into the Hugging Face cache, with a
 * cancellable progress notification fed by the service's events; then sets `cloze.model` to its id and the service
 * loads it from the cache. Returns the snapshot folder.
 */
export async function downloadModelCommand(svc: ServiceClient, log: vscode.LogOutputChannel, beforeSwitch: () => Promise<void>, arg?: DownloadArg): Promise<string | undefined> {
  const choice = arg ?? (await pickModel());
  if (!choice) return undefined;
  const spec = parseRepoSpec(choice.repoId);
  if (!spec) {
    void vscode.window.showErrorMessage(`Cloze: "${choice.repoId}" is not a Hub model id; write it as organization/name (e.g. FacebookAI/roberta-base).`);
    return undefined;
  }
  const id = `command-${++downloads}-${Date.now()}`;
  let result: DownloadReply;
  let cancelled = false;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Cloze: downloading ${spec.repoId}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => (cancelled = true));
        const report = reporter(progress);
        const sub = svc.onDownload((e) => e.id === id && e.kind === 'progress' && e.progress && report(e.progress));
        progress.report({ message: 'asking the Hub for the file list…' });
        try {
          const r = await svc.download({ id, repoId: spec.repoId, revision: spec.revision, weights: choice.weights, proxy: proxySettings() }, token);
          if (!r || token.isCancellationRequested) throw new Error('cancelled');
          return r;
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if (cancelled) {
      log.info(`Download of ${spec.repoId} cancelled; the partial file is kept to resume.`);
      void vscode.window.showInformationMessage(`Cloze: download of ${spec.repoId} cancelled. Run Download Model again to continue where it stopped.`);
      return undefined;
    }
    // The service's errors carry the user-facing message (see withUserErrors / HubDownloads).
    const msg = e instanceof Error ? e.message : String(e);
    log.error(`Download of ${spec.repoId} failed: ${msg}`);
    // Not awaited: the command ends now, whether or not the user ever answers the notification.
    void vscode.window.showErrorMessage(`Cloze: ${msg}`, 'Show Log').then((action) => action === 'Show Log' && log.show());
    return undefined;
  }
  log.info(`Downloaded ${result.repoId}@${result.sha} (${result.files.join(', ')}; ${bytes(result.downloadedBytes)} fetched) to ${result.dir}`);
  await beforeSwitch();
  const setting = spec.revision === 'main' ? spec.repoId : `${spec.repoId}@${spec.revision}`;
  await vscode.workspace.getConfiguration('cloze').update('model', setting, vscode.ConfigurationTarget.Global);
  const effective = vscode.workspace.getConfiguration('cloze').get<string>('model');
  if (effective !== setting) {
    // A workspace (or remote machine) value of cloze.model wins over the user setting just written.
    log.warn(`cloze.model is ${effective} here (set in workspace or remote settings), so ${setting} is not used yet.`);
    void vscode.window.showWarningMessage(`Cloze: ${setting} is downloaded, but this workspace's (or remote machine's) settings set cloze.model to ${effective}. Set cloze.model to ${setting} there to use it.`);
  } else void vscode.window.setStatusBarMessage(`Cloze: using ${setting}`, 4000);
  return result.dir;
}

/**
 * Downloads the service starts by itself (cloze.model names a Hub id that is not in the cache) get the same
 * cancellable progress notification; the service reports how they ended (a notice when they failed).
 */
export function watchServiceDownloads(svc: ServiceClient, log: vscode.LogOutputChannel): vscode.Disposable {
  return svc.onDownload((start) => {
    if (start.origin !== 'setting' || start.kind !== 'start') return;
    log.info(`The service is downloading ${start.repoId}, which cloze.model names.`);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Cloze: downloading ${start.repoId} (cloze.model)`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          const report = reporter(progress);
          progress.report({ message: 'asking the Hub for the file list…' });
          const subs: vscode.Disposable[] = [];
          const done = () => {
            subs.forEach((d) => d.dispose());
            resolve();
          };
          subs.push(token.onCancellationRequested(() => svc.cancelDownload(start.id)));
          subs.push(svc.onDownload((e) => {
            if (e.id !== start.id) return;
            if (e.kind === 'progress' && e.progress) report(e.progress);
            if (e.kind === 'end') done();
          }));
          // A restarted service (another process) does not continue this download: close the notification. The first
          // start of the service also fires onStarted, after this download may already have begun: that one is not a restart.
          const pid = svc.pid;
          subs.push(svc.onStarted(() => svc.pid !== pid && done()));
        }),
    );
  });
}
