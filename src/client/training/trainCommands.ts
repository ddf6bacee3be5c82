// "Cloze: Train on Workspace" and its companions: pick a budget, preview the data, train with progress, swap the model in.
import * as vscode from 'vscode';
import type { TrainPreview, TrainProgressEvent, TrainSummary, UnfinishedRun } from '../../protocol';
import { percent } from '../../protocol/format';
import type { ServiceClient } from '../service';
import type { TrainingStore } from './history';
import type { TrainView } from './trainView';
import { workspaceTrainingFiles } from './workspaceFiles';

const eta = (s: number) => (Number.isFinite(s) ? (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`) : '…');

/**
 * Training reads every file of the workspace and writes a model that Cloze then runs: in Restricted Mode it is off,
 * and the user is told why and where to change that.
 */
async function requireTrust(what: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const pick = await vscode.window.showWarningMessage(
    `Cloze: ${what} is disabled in Restricted Mode — it reads every file of this workspace to train a model. Trust the workspace to use it; fills keep working with the bundled model meanwhile.`,
    'Manage Workspace Trust',
  );
  if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

export interface TrainOptionsArg {
  /** Skip the pickers (tests, keybindings): minutes (null = until stopped) and mode. */
  readonly minutes?: number | null;
  readonly mode?: 'continue' | 'fresh';
  /** Skip the confirmation of the preview. */
  readonly yes?: boolean;
  /** A fixed step count instead of fitting the run to the budget. */
  readonly steps?: number;
}

export class Trainer {
  private current: Promise<TrainSummary | undefined> | undefined;

  constructor(
    private readonly service: ServiceClient,
    private readonly store: TrainingStore,
    private readonly view: TrainView,
    private readonly log: vscode.LogOutputChannel,
  ) {
    service.onTrainProgress((e) => view.progress(e));
    service.onTrainEval((e) => view.evaluation(e));
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  async trainWorkspace(arg: TrainOptionsArg = {}): Promise<TrainSummary | undefined> {
    if (!(await requireTrust('Train on Workspace'))) return undefined;
    if (this.current) {
      const pick = await vscode.window.showInformationMessage('Cloze is already training on this workspace.', 'Show Training View', 'Stop Training');
      if (pick === 'Show Training View') this.view.show();
      else if (pick === 'Stop Training') await this.stop();
      return undefined;
    }
    const runDir = this.store.newRunDir();
    if (!runDir || !vscode.workspace.workspaceFolders?.length) {
      void vscode.window.showWarningMessage('Cloze: open a folder first — training learns from the files of the open workspace.');
      return undefined;
    }
    const minutes = arg.minutes !== undefined ? arg.minutes : await pickBudget();
    if (minutes === undefined) return undefined;
    const mode = arg.mode ?? (await pickMode(this.service.status?.model));
    if (!mode) return undefined;

    const preview = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Cloze: reading the workspace…' }, async () => {
      const files = await workspaceTrainingFiles();
      return { files, preview: await this.service.trainPreview(files) };
    });
    const p = preview.preview;
    if (p.trainFiles === 0 || p.heldOutFiles === 0) {
      void vscode.window.showWarningMessage(`Cloze: found ${p.trainFiles + p.heldOutFiles} usable text file(s) in the workspace; training needs at least two (one is held out to measure progress).`);
      return undefined;
    }
    const skipped = p.skipped.length ? ` Skipped: ${p.skipped.map((s) => `${s.count} ${s.reason}`).join(', ')}.` : '';
    const capped = preview.files.capped ? ' (the first 20,000 files found)' : '';
    const summaryLine = `${p.trainFiles} files${capped}, ${p.tokens.toLocaleString('en-US')} tokens; ${p.heldOutFiles} files held out to measure progress.${skipped}`;
    this.log.info(`Training preview: ${summaryLine}`);
    if (!arg.yes) {
      const go = await vscode.window.showInformationMessage(
        `Cloze: train ${mode === 'continue' ? p.model : 'a new model'} on ${summaryLine}`,
        { modal: true, detail: `Budget: ${minutes === null ? 'until you stop it' : `${minutes} minutes`}. Training runs in the background; completions keep working. The previous model stays one command away ("Cloze: Revert to Default Model").` },
        'Start Training',
      );
      if (go !== 'Start Training') return undefined;
    }
    await this.store.setMayHaveUnfinishedRun(true);
    const masking = vscode.workspace.getConfiguration('cloze.train').get<'uniform' | 'surprisal'>('masking', 'uniform');
    return this.run({ ...preview.files, runDir, minutes, mode, resume: false, masking, ...(arg.steps ? { steps: arg.steps } : {}) }, p);
  }

  async resume(): Promise<TrainSummary | undefined> {
    if (!(await requireTrust('Resume Training'))) return undefined;
    if (this.current) return this.trainWorkspace();
    const run = await this.unfinishedRun();
    if (!run) {
      void vscode.window.showInformationMessage('Cloze: there is no interrupted training run to resume in this workspace.');
      return undefined;
    }
    const files = await workspaceTrainingFiles();
    return this.run({ ...files, runDir: run.runDir, minutes: null, mode: run.mode, resume: true });
  }

  async offerResume(): Promise<void> {
    // Asking starts the service, so only a workspace whose last run did not end is asked at all.
    if (!vscode.workspace.isTrusted || !this.store.mayHaveUnfinishedRun) return;
    const run = await this.unfinishedRun();
    if (!run) await this.store.setMayHaveUnfinishedRun(false);
    if (!run || this.current) return;
    const pick = await vscode.window.showInformationMessage(
      `Cloze: a training run on this workspace was interrupted${run.step !== undefined ? ` at step ${run.step}` : ''}. Its checkpoint is intact.`,
      'Resume Training',
      'Discard',
    );
    if (pick === 'Resume Training') await this.resume();
    else if (pick === 'Discard') {
      await this.service.trainDiscard(run.runDir);
      await this.store.setMayHaveUnfinishedRun(false);
    }
  }

  /** The run "Resume Training" continues, as the service finds it in this workspace's runs folder. */
  private async unfinishedRun(): Promise<UnfinishedRun | undefined> {
    const root = this.store.runsDir;
    return root ? this.service.trainUnfinished(root) : undefined;
  }

  async stop(): Promise<boolean> {
    const stopped = await this.service.trainStop();
    if (!stopped) void vscode.window.showInformationMessage('Cloze: no training is running.');
    return stopped;
  }

  async revert(): Promise<void> {
    await this.store.setTrainedModel(undefined);
    await this.service.configure();
    void vscode.window.showInformationMessage(`Cloze: back to ${vscode.workspace.getConfiguration('cloze').get<string>('model') ? 'the model in the cloze.model setting' : 'the bundled default model'}.`);
  }

  private async run(params: Parameters<ServiceClient['trainStart']>[0], preview?: TrainPreview): Promise<TrainSummary | undefined> {
    this.view.reset(params.resume ? 'Cloze: Training (resumed)' : 'Cloze: Training', preview);
    this.view.show();
    const job = vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: params.resume ? 'Cloze: resuming training' : 'Cloze: training on workspace', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.service.trainStop());
        let last = 0;
        const sub = this.service.onTrainProgress((e: TrainProgressEvent) => {
          const done = e.totalSteps ? (100 * e.step) / e.totalSteps : 0;
          progress.report({ message: `step ${e.step}${e.totalSteps ? `/${e.totalSteps}` : ''} · loss ${e.loss.toFixed(3)} · ${Math.round(e.tokensPerSec).toLocaleString('en-US')} tokens/s · ETA ${eta(e.etaSec)}`, increment: Math.max(0, done - last) });
          last = done;
        });
        const subEval = this.service.onTrainEval((e) => {
          if (e.phase === 'before') progress.report({ message: `held-out accuracy before: ${percent(e.top1)}` });
          if (e.phase === 'after') progress.report({ message: `held-out accuracy after: ${percent(e.top1)}; exporting the model…` });
        });
        try {
          return await this.service.trainStart(params);
        } finally {
          sub.dispose();
          subEval.dispose();
        }
      },
    );
    void vscode.commands.executeCommand('setContext', 'cloze.training', true);
    this.current = Promise.resolve(job).then(
      (s) => s,
      () => undefined,
    );
    try {
      const s = await job;
      if (s.stopped !== 'cancelled') await this.store.setMayHaveUnfinishedRun(false);
      this.view.summary(s);
      await this.finish(s, params.mode);
      return s;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.log.error(`Training failed: ${msg}`);
      this.view.state(`failed: ${msg}`);
      // A crash of the service (or of the machine) leaves the run's last checkpoint: say so, and how to go on.
      const resumable = (await this.unfinishedRun().catch(() => undefined)) !== undefined;
      const next = resumable ? ' The last checkpoint is kept; "Cloze: Resume Training" continues from it.' : '';
      void vscode.window.showErrorMessage(`Cloze: training stopped: ${msg}.${next}`, ...(resumable ? ['Resume Training', 'Show Log'] : ['Show Log'])).then((p) => {
        if (p === 'Show Log') this.log.show();
        else if (p === 'Resume Training') void this.resume();
      });
      return undefined;
    } finally {
      this.current = undefined;
      void vscode.commands.executeCommand('setContext', 'cloze.training', false);
    }
  }

  private async finish(s: TrainSummary, mode: 'continue' | 'fresh'): Promise<void> {
    if (s.stopped === 'cancelled' || !s.modelDir) {
      this.log.info(`Training stopped at step ${s.step}; checkpoint kept.`);
      void vscode.window.showInformationMessage(`Cloze: training stopped at step ${s.step}. The checkpoint is kept; "Cloze: Resume Training" continues it.`);
      return;
    }
    await this.store.record({ date: new Date().toISOString(), mode, minutes: s.minutes, steps: s.step, files: s.trainFiles, before: s.before, after: s.after, modelDir: s.modelDir });
    if (s.before && s.after && s.after.loss >= s.before.loss && mode === 'continue') {
      // Swapping in a model that predicts the held-out files worse would be a regression the user did not ask for.
      const msg = `Cloze: training did not improve predictions on the held-out files (perplexity ${s.before.perplexity.toFixed(1)} → ${s.after.perplexity.toFixed(1)}), so the current model stays. The run's model is kept at ${s.modelDir}.`;
      this.log.warn(msg);
      void vscode.window.showWarningMessage(msg, 'Show Training View').then((p) => p && this.view.show());
      return;
    }
    await this.store.setTrainedModel(s.modelDir);
    const status = await this.service.configure();
    const scores = s.before && s.after ? `held-out masked-token accuracy ${percent(s.before.top1)} → ${percent(s.after.top1)}, perplexity ${s.before.perplexity.toFixed(1)} → ${s.after.perplexity.toFixed(1)}` : 'done';
    const line = `Cloze: trained ${s.step} steps in ${s.minutes.toFixed(1)} min — ${scores}.`;
    this.log.info(`${line} Model: ${s.modelDir}`);
    const using = status?.state === 'ready' ? ' Now using the trained model.' : ` The model could not be loaded: ${status?.error ?? 'unknown error'}`;
    // Not awaited: the command's result must not wait for someone to click the notification.
    void vscode.window.showInformationMessage(line + using, 'Show Training View', 'Revert to Default Model').then(async (pick) => {
      if (pick === 'Show Training View') this.view.show();
      else if (pick === 'Revert to Default Model') await this.revert();
    });
  }
}

async function pickBudget(): Promise<number | null | undefined> {
  const items: (vscode.QuickPickItem & { minutes: number | null })[] = [
    { label: '5 minutes', description: 'a quick adaptation', minutes: 5 },
    { label: '15 minutes', minutes: 15 },
    { label: '60 minutes', minutes: 60 },
    { label: 'Until stopped', description: '"Cloze: Stop Training" ends it and keeps the model', minutes: null },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Cloze: Train on Workspace — how long?', placeHolder: 'Time budget' });
  return pick ? pick.minutes : undefined;
}

async function pickMode(model: string | undefined): Promise<'continue' | 'fresh' | undefined> {
  const items: (vscode.QuickPickItem & { mode: 'continue' | 'fresh' })[] = [
    { label: `Continue the current model${model ? ` (${model})` : ''}`, description: 'recommended', detail: 'Keeps what it knows and learns your identifiers, idioms and prose.', mode: 'continue' },
    { label: 'Fresh tokenizer and model', detail: 'Learns a vocabulary and a small model from this workspace alone — only for large workspaces.', mode: 'fresh' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Cloze: Train on Workspace — starting point' });
  return pick?.mode;
}
